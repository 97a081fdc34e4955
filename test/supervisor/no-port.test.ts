import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Supervisor, validateAppOptions, type AppOptions } from '../../dist/index.js';
import { DroverProcess, fixture, isAlive, runDrover, runningApps, scratchDir, waitFor } from '../helpers/drover-process.js';

// Queue workers, cron jobs and bots never listen on a port. They are up once they have
// lived min_uptime; reload and restart start the new process, then stop the old one
// with its signal. Programs that are not Node.js run the same way, without drover's
// runtime: no IPC, no heartbeat, their stop signal sent from outside.

const heard = (dir: string, pid: number) => (existsSync(`${dir}/${pid}`) ? readFileSync(`${dir}/${pid}`, 'utf8') : undefined);

describe('an app that never listens', () => {
  it('start returns once it has lived min_uptime; reload and restart replace it; its own SIGTERM handler runs', async () => {
    const dir = scratchDir('queue');
    const start = await runDrover(['start', fixture('queue-worker.cjs'), '-i', '2', '--name', 'queue', '--min-uptime', '500'], { env: { STATE_DIR: dir } });
    assert.equal(start.code, 0, start.stderr);
    const [before] = await runningApps();
    assert.deepEqual(before!.workers.map((w) => (w as { state?: string }).state), ['ready', 'ready']);

    const reload = await runDrover(['reload', 'queue']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /queue: reloaded in .*, 2 worker\(s\) replaced/);
    const [afterReload] = await runningApps();
    const oldPids = before!.workers.map((w) => w.pid);
    assert.equal(afterReload!.workers.filter((w) => oldPids.includes(w.pid)).length, 0, 'every worker replaced');
    await waitFor(() => oldPids.every((pid) => !isAlive(pid)), 5000, 'old workers gone');
    assert.deepEqual(oldPids.map((pid) => heard(dir, pid)), ['SIGTERM', 'SIGTERM'], "each old worker's own handler ran");

    const restart = await runDrover(['restart', 'queue']);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stdout, /queue: restarted in .*, 2 worker\(s\)/);
    assert.equal((await runDrover(['stop', 'queue'])).code, 0);
  });

  it('drover run says it runs with no port, and warns of nothing', async () => {
    const drover = new DroverProcess(['run', fixture('never-listens.cjs'), '-i', '2', '--listen-timeout', '300', '--min-uptime', '500']);
    await drover.waitForOutput(/2 workers running, no port \(up after min_uptime 500 ms\) \(pids \d+, \d+\)/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.doesNotMatch(drover.stderr, /not listening/);
  });
});

describe('a program that is not Node.js', () => {
  // Node itself, started as a plain program: no drover runtime, no IPC channel.
  const program = (extra: Record<string, unknown> = {}): AppOptions => ({
    ...validateAppOptions({ script: fixture('queue-worker.cjs'), name: 'program', exec_mode: 'fork', instances: 1, min_uptime: 300, ...extra }),
    interpreter: process.execPath,
  });

  it('is up after min_uptime, has no heartbeat to miss, hears SIGINT on stop (PM2 default) and is restarted after a crash', async () => {
    const dir = scratchDir('program');
    const app = { ...program({ stats_interval: 100, heartbeat_timeout: 300, env: { STATE_DIR: dir } }) };
    const supervisor = new Supervisor(app);
    const ready = new Promise((resolve) => supervisor.once('ready', resolve));
    const done = supervisor.run(1);
    try {
      await ready;
      const [first] = supervisor.workers;
      // Three heartbeat timeouts pass with no report: a program without the runtime is not killed for it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(supervisor.workers[0]!.pid, first!.pid);
      process.kill(first!.pid, 'SIGKILL');
      await waitFor(() => supervisor.workers[0]?.pid !== first!.pid && supervisor.workers[0]?.state === 'ready', 5000, 'restarted after the crash');
      const second = supervisor.workers[0]!.pid;
      supervisor.stop();
      assert.equal((await done).exitCode, 0);
      assert.equal(heard(dir, second), 'SIGINT');
    } finally {
      supervisor.forceStop();
    }
  });

  it('has its figures read from /proc, so that max_memory_restart replaces it (successor first)', async () => {
    const supervisor = new Supervisor(program({ stats_interval: 200, heartbeat_timeout: 1000, max_memory_restart: '1M' }));
    const replaced = new Promise<string>((resolve) => supervisor.once('replaced', (_entry, reason) => resolve(reason)));
    const done = supervisor.run(1);
    try {
      assert.equal(await replaced, 'memory-limit');
      const [worker] = supervisor.snapshot().workers;
      assert.ok(worker!.stats === undefined || worker!.stats.rss > 1024 * 1024, 'RSS read from /proc');
    } finally {
      supervisor.stop();
      await done;
    }
  });

  it('hears kill_signal where one is set, and is killed at kill_timeout if it ignores it', async () => {
    const dir = scratchDir('program');
    const supervisor = new Supervisor(program({ kill_signal: 'SIGTERM', env: { STATE_DIR: dir } }));
    const ready = new Promise((resolve) => supervisor.once('ready', resolve));
    const done = supervisor.run(1);
    await ready;
    const pid = supervisor.workers[0]!.pid;
    supervisor.stop();
    assert.equal((await done).exitCode, 0);
    assert.equal(heard(dir, pid), 'SIGTERM');

    const stubborn = new Supervisor({ ...program({ kill_timeout: 300 }), script: fixture('ignores-signals.cjs') });
    const up = new Promise((resolve) => stubborn.once('ready', resolve));
    const result = await (async () => {
      const running = stubborn.run(1);
      await up;
      stubborn.stop();
      return running;
    })();
    assert.equal(result.error?.code, 'DROVER_E_SHUTDOWN_FORCED');
    assert.deepEqual(result.forced, [0]);
  });
});
