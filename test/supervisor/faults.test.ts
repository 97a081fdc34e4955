import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
// The built supervisor: its workers preload dist/worker/runtime.js.
import { Supervisor, validateAppOptions } from '../../dist/index.js';
import { DroverProcess, ROOT, example, fixture, isAlive, runDrover, runningApps, scratchDir, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// Supervisor faults found under chaos and abuse, each reproduced with real processes:
// a spawn that fails, workers whose supervisor was killed, a scale far too large, a
// scale during a reload, a crash loop in one slot, a multi-app start that fails.

const scratch = () => scratchDir('faults');

interface Status {
  name: string;
  supervisorPid: number;
  workers: { slot: number; pid: number; state: string }[];
  degraded?: { reason: string; code: string; emptySlots: number[] };
}

async function status(name: string): Promise<Status> {
  const list = JSON.parse((await runDrover(['ls', '--json'])).stdout) as Status[];
  const found = list.find((app) => app.name === name);
  if (!found) throw new Error(`${name} is not running`);
  return found;
}

describe('supervisor faults', () => {
  it('a spawn that throws is a worker that failed to start, counted toward the crash loop; the supervisor does not crash', async () => {
    // An environment value with a NUL byte makes child_process throw synchronously.
    const app = validateAppOptions({ script: example('hello/server.js'), name: 'nul', env: { BAD: 'a\u0000b' }, max_restarts: 2, exp_backoff_restart_delay: 10 });
    const supervisor = new Supervisor(app);
    const crashes: string[] = [];
    supervisor.on('crash', (report) => crashes.push(report.cause ?? ''));
    const result = await supervisor.run(1);
    assert.equal(result.error?.code, 'DROVER_E_CRASH_LOOP');
    assert.equal(crashes.length, 3);
    assert.match(crashes[0]!, /ERR_INVALID_ARG_VALUE/);
  });

  it('a pid_file whose folder is removed: reported once, the reload still rolls, the supervisor stays up', async () => {
    const dir = scratch();
    mkdirSync(`${dir}/run`);
    const port = await freePort();
    writeFileSync(
      `${dir}/ecosystem.config.js`,
      `module.exports = { apps: [{ name: 'pids', script: ${JSON.stringify(example('hello/server.js'))}, instances: 2, exec_mode: 'cluster', pid_file: 'run/app.pid' }] };\n`,
    );
    const drover = new DroverProcess(['run', `${dir}/ecosystem.config.js`], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    rmSync(`${dir}/run`, { recursive: true });
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload done/, 10_000);
    assert.equal(drover.output.match(/cannot write the pid file .*app-0\.pid \(ENOENT\); the worker runs without it/g)?.length, 1, drover.output);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  for (const mode of ['fork', 'cluster']) {
    it(`${mode} mode: workers whose supervisor is SIGKILLed drain and exit, and the port is free again`, async () => {
      const port = await freePort();
      const args = [example('hello/server.js'), '-i', mode === 'fork' ? '1' : '2', '--exec-mode', mode, '--stats-interval', '0', '--kill-timeout', '2000'];
      const name = `orphans-${mode}`;
      const started = await runDrover(['start', ...args, '--name', name], { env: { PORT: String(port) } });
      assert.equal(started.code, 0, started.output);
      const app = (await runningApps()).find((candidate) => candidate.name === name)!;
      const slow = get(`http://127.0.0.1:${port}/slow?ms=500`);
      await sleep(100);
      process.kill(app.supervisorPid, 'SIGKILL');
      // The request in flight when the supervisor died is finished by its worker.
      assert.equal((await slow).status, 200);
      for (const worker of app.workers) await waitFor(() => !isAlive(worker.pid), 5000, `worker ${worker.pid} to exit`);
      const again = await runDrover(['start', ...args, '--name', name], { env: { PORT: String(port) } });
      assert.equal(again.code, 0, again.output);
      assert.equal((await runDrover(['stop', name])).code, 0);
    });
  }

  it('scale far beyond the machine is refused with the limit and why; -i too', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'huge'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const scaled = await runDrover(['scale', 'huge', '100000']);
    assert.equal(scaled.code, 2);
    assert.match(scaled.stderr, /scale: 100000 workers is more than max_workers \d+ \(.*\); set max_workers in the app's config to allow more \[DROVER_E_INVALID_OPTION\]/);
    assert.equal((await status('huge')).workers.length, 1);
    const run = await runDrover(['run', example('hello/server.js'), '-i', '100000', '--name', 'huger']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /huger: 100000 workers \(-i 100000\) is more than max_workers \d+ .*--max-workers.*\[DROVER_E_INVALID_OPTION\]/);
    const allowed = await runDrover(['run', example('hello/server.js'), '-i', '3', '--max-workers', '2', '--name', 'capped']);
    assert.equal(allowed.code, 2);
    assert.match(allowed.stderr, /3 workers \(-i 3\) is more than max_workers 2 \(max_workers\)/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a SIGTERM during a large scale-up is answered: every worker drains and nothing is left', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'scaling', '--max-workers', '12'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const scaling = runDrover(['scale', 'scaling', '12']);
    await sleep(150);
    drover.signal('SIGTERM');
    const exit = await drover.exited;
    assert.equal(exit.code, 0, drover.output);
    await scaling;
    await waitFor(() => drover.groupPids().length === 0, 5000, 'no process left in the group');
  });

  it('scale down during a reload: the reload finishes first, then exactly the remaining workers run, every one listed', async () => {
    const dir = scratch();
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('slotted.cjs'), '-i', '3', '--name', 'shrinking'], {
      env: { PORT: String(port), STATE_DIR: dir, START_DELAY: '300' },
    });
    await drover.waitUntilListening();
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload: replacing 3 workers/);
    const scaled = await runDrover(['scale', 'shrinking', '1']);
    assert.equal(scaled.code, 0, scaled.output);
    assert.match(drover.stdout, /reload done in [^\n]*3 workers replaced/);
    const listed = (await status('shrinking')).workers;
    assert.deepEqual(listed.map((worker) => worker.slot), [0]);
    // The supervisor and one worker: no untracked worker left serving old code.
    await waitFor(() => drover.groupPids().length === 2, 8000, 'only the supervisor and one worker in the group');
    const pids = new Set<number>();
    for (let i = 0; i < 10; i++) pids.add((await get(`http://127.0.0.1:${port}/`)).json<{ pid: number }>().pid);
    assert.deepEqual([...pids], [listed[0]!.pid]);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a crash loop in one slot: the app is degraded, ls says so, the other worker serves; restart brings the slot back', async () => {
    const dir = scratch();
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('slotted.cjs'), '-i', '2', '--name', 'halved', '--max-restarts', '2', '--exp-backoff-restart-delay', '50'], {
      env: { PORT: String(port), STATE_DIR: dir },
    });
    await drover.waitUntilListening();
    writeFileSync(`${dir}/broken-1`, '');
    process.kill((await status('halved')).workers.find((worker) => worker.slot === 1)!.pid, 'SIGKILL');
    await drover.waitForOutput(/crash loop/, 10_000);
    const degraded = await status('halved');
    assert.deepEqual(degraded.workers.map((worker) => worker.slot), [0]);
    assert.equal(degraded.degraded?.code, 'DROVER_E_CRASH_LOOP');
    assert.deepEqual(degraded.degraded?.emptySlots, [1]);
    const table = await runDrover(['ls']);
    assert.match(table.stdout, /halved\s+1\s+-\s+errored/);
    assert.match(table.stdout, /halved: degraded, serving with 1 of 2 workers: crash loop: .*drover restart halved tries again/);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).json<{ instance: string }>().instance, '0');

    rmSync(`${dir}/broken-1`);
    const restarted = await runDrover(['restart', 'halved']);
    assert.equal(restarted.code, 0, restarted.output);
    const healed = await status('halved');
    assert.deepEqual(healed.workers.map((worker) => [worker.slot, worker.state]), [
      [0, 'ready'],
      [1, 'ready'],
    ]);
    assert.equal(healed.degraded, undefined);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a multi-app run whose second app cannot start stops the first and exits; no socket or process is left', async () => {
    const dir = scratch();
    const [portA, portB] = [await freePort(), await freePort()];
    const blocker = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'blocker'], { env: { PORT: String(portB) } });
    await blocker.waitUntilListening();
    const hello = JSON.stringify(example('hello/server.js'));
    writeFileSync(
      `${dir}/two.config.js`,
      `module.exports = { apps: [
        { name: 'first', script: ${hello}, instances: 1, exec_mode: 'cluster', env: { PORT: ${portA} } },
        { name: 'second', script: ${hello}, instances: 1, exec_mode: 'cluster', env: { PORT: ${portB} } },
      ] };\n`,
    );
    const run = await runDrover(['run', `${dir}/two.config.js`], { timeoutMs: 20_000 });
    assert.equal(run.code, 3, run.output);
    assert.match(run.output, /second: port \d+ is already in use/);
    assert.match(run.output, /first: second did not start: draining 1 worker/);
    assert.deepEqual(run.leftover, []);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['blocker']);

    // The same when the second app's name is taken: refused before anything starts.
    writeFileSync(
      `${dir}/taken.config.js`,
      `module.exports = { apps: [
        { name: 'third', script: ${hello}, instances: 1, exec_mode: 'cluster', env: { PORT: ${portA} } },
        { name: 'blocker', script: ${hello}, instances: 1, exec_mode: 'cluster', env: { PORT: ${portA} } },
      ] };\n`,
    );
    const taken = await runDrover(['run', `${dir}/taken.config.js`], { timeoutMs: 20_000 });
    assert.equal(taken.code, 2, taken.output);
    assert.match(taken.stderr, /an app named 'blocker' is already running/);
    assert.deepEqual(taken.leftover, []);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['blocker']);
    blocker.signal('SIGTERM');
    await blocker.exited;
  });

  it('stop says so, and exits 1, when the supervisor is still there after its deadline', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', `${ROOT}test/fixtures/frameworks/ws-slow-reply.cjs`, '-i', '1', '--name', 'stuck', '--kill-timeout', '1000'], {
      env: { PORT: String(port) },
    });
    await drover.waitUntilListening();
    // An open WebSocket keeps the drain going until drover closes it (ws_close_window).
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const stopping = runDrover(['stop', 'stuck']);
    await drover.waitForOutput(/stop requested through the control API/);
    // Frozen before it can finish: it cannot exit.
    drover.signal('SIGSTOP');
    const stopped = await stopping;
    drover.signal('SIGCONT');
    assert.equal(stopped.code, 1, stopped.output);
    assert.match(stopped.stderr, /^drover: stuck: its supervisor is still there 6 s after the stop \(kill_timeout 1 s\); drover ls shows it; its log is .*stuck\.log\n$/);
    assert.equal(stopped.stdout, '');
    socket.terminate();
    await drover.exited;
  });

  it('heartbeat_timeout no longer than two stats intervals is refused, naming both options', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--stats-interval', '2s', '--heartbeat-timeout', '3s']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      'drover: --heartbeat-timeout: 3 s must be more than twice --stats-interval (2 s): a worker reports once per interval, and a report may wait one more for the health check; raise heartbeat_timeout above 4 s, or lower stats_interval [DROVER_E_INVALID_OPTION]\n',
    );
  });
});
