import assert from 'node:assert/strict';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { DROVER_HOME, DroverProcess, example, fixture, runDrover } from '../helpers/drover-process.js';
import { freePort, keepAliveLoad } from '../helpers/http.js';

// The control socket every `drover run` serves, and the commands that use it.

interface Status {
  name: string;
  supervisorPid: number;
  workers: { slot: number; pid: number; state: string }[];
}

async function startApp(name: string, workers: number, extra: string[] = []) {
  const port = await freePort();
  const drover = new DroverProcess(['run', example('hello/server.js'), '-i', String(workers), '--name', name, ...extra], { env: { PORT: String(port) } });
  await drover.waitUntilListening();
  return Object.assign(drover, { url: `http://127.0.0.1:${port}` });
}

describe('control socket', () => {
  it('ls --json shows each running app with its workers; stop drains one, stop all the rest', async () => {
    const api = await startApp('api', 2);
    const web = await startApp('web', 1);
    const ls = await runDrover(['ls', '--json']);
    assert.equal(ls.code, 0);
    const statuses = JSON.parse(ls.stdout) as Status[];
    assert.deepEqual(statuses.map((s) => [s.name, s.supervisorPid, s.workers.length]), [
      ['api', api.pid, 2],
      ['web', web.pid, 1],
    ]);
    assert.equal(statSync(`${DROVER_HOME}/sockets/api.sock`).mode & 0o777, 0o600, 'only the owner can reach the socket');
    const memory = (statuses[0] as Status & { supervisorMemory: { rss: number; heapUsed: number } }).supervisorMemory;
    assert.ok(memory.rss > memory.heapUsed && memory.heapUsed > 0, "the supervisor's own memory is in the status");

    const table = await runDrover(['ls']);
    assert.match(table.stdout, /^app\s+slot\s+pid\s+state\s+uptime\s+restarts\s+cpu\s+memory\s+loop p99\napi\s+0\s+\d+\s+ready/);

    assert.equal((await runDrover(['stop', 'api'])).code, 0);
    assert.deepEqual(await api.exited, { code: 0, signal: null });
    assert.match(api.stdout, /stop requested through the control API: draining 2 worker/);
    assert.equal((await runDrover(['stop', 'all'])).code, 0);
    assert.equal((await web.exited).code, 0);
    assert.equal((await runDrover(['ls'])).stdout, 'no app is running\n');
  });

  it('reload <app> rolls its workers and reports', async () => {
    const app = await startApp('rolling', 2);
    const result = await runDrover(['reload', 'rolling']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^rolling: reloaded in [\d.]+ m?s, 2 worker\(s\) replaced\n$/);
    assert.match(app.stdout, /rolling: reload done in/);
    app.signal('SIGTERM');
    await app.exited;
  });

  it('an unknown app lists the running ones; a second run of the same name is refused', async () => {
    const app = await startApp('only-one', 1);
    const unknown = await runDrover(['reload', 'nope']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "drover: no running app named 'nope'; running: 'only-one' [DROVER_E_UNKNOWN_APP]\n");
    const port = await freePort();
    const second = await runDrover(['run', example('hello/server.js'), '--name', 'only-one'], { env: { PORT: String(port) } });
    assert.equal(second.code, 2);
    assert.match(second.stderr, /an app named 'only-one' is already running .*\[DROVER_E_APP_RUNNING\]/);
    app.signal('SIGTERM');
    await app.exited;
  });

  it('a stale socket left by a killed supervisor is removed and reported', async () => {
    const app = await startApp('killed', 1);
    app.signal('SIGKILL');
    await app.exited;
    const ls = await runDrover(['ls']);
    assert.equal(ls.stderr, "drover: removed the stale control socket of 'killed' (its supervisor is gone)\n");
    assert.equal(ls.stdout, 'no app is running\n');
    // A file that is not a socket at all is treated the same way.
    writeFileSync(`${DROVER_HOME}/sockets/junk.sock`, '');
    assert.match((await runDrover(['ls'])).stderr, /stale control socket of 'junk'/);
  });

  it('scale up and down under keep-alive load: no failed request', async () => {
    const app = await startApp('scaled', 2);
    const load = keepAliveLoad(`${app.url}/`, 10);
    const counts: number[] = [];
    try {
      for (const change of ['+2', '-3', '3', '-1']) {
        const result = await runDrover(['scale', 'scaled', change]);
        assert.equal(result.code, 0, result.stderr);
        await new Promise((resolve) => setTimeout(resolve, 700));
        const [status] = JSON.parse((await runDrover(['ls', '--json'])).stdout) as Status[];
        counts.push(status!.workers.length);
      }
    } finally {
      await load.stop();
    }
    assert.deepEqual(counts, [4, 1, 3, 2]);
    assert.deepEqual(load.tally.failures, []);
    assert.ok(load.tally.ok > 100, `requests: ${load.tally.ok}`);
    app.signal('SIGTERM');
    assert.equal((await app.exited).code, 0);
  });

  it('scale to 0 or to a non-number: a clear error', async () => {
    const app = await startApp('unscaled', 1);
    const zero = await runDrover(['scale', 'unscaled', '-1']);
    assert.equal(zero.code, 2);
    assert.equal(zero.stderr, 'drover: scale: unscaled would have 0 workers; at least 1 (to run none, drover stop unscaled) [DROVER_E_INVALID_OPTION]\n');
    const word = await runDrover(['scale', 'unscaled', 'lots']);
    assert.equal(word.stderr, "drover: scale: expected N, +N or -N workers, got 'lots' [DROVER_E_INVALID_OPTION]\n");
    app.signal('SIGTERM');
    await app.exited;
  });

  it('describe: config in effect with secrets masked, and the events timeline', async () => {
    const app = await startApp('described', 1, ['--env', 'API_TOKEN=hunter2', '--env', 'MODE=demo']);
    const result = await runDrover(['describe', 'described']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^app 'described': supervisor pid \d+, up /);
    assert.match(result.stdout, /\n {2}env {24}API_TOKEN=\*{8} MODE=demo\n/);
    assert.doesNotMatch(result.stdout, /hunter2/);
    assert.match(result.stdout, /\nevents:\n {2}\S+ spawned worker 0 \(pid \d+\): started\n {2}\S+ listening worker 0 \(pid \d+\): listening on 127\.0\.0\.1:\d+/);
    const json = JSON.parse((await runDrover(['describe', 'described', '--json'])).stdout) as { app: { env: Record<string, string> } };
    assert.equal(json.app.env.API_TOKEN, '********');
    app.signal('SIGTERM');
    await app.exited;
  });

  it('restart: every worker starts afresh, counted as requested', async () => {
    const app = await startApp('restarted', 2);
    const [before] = JSON.parse((await runDrover(['ls', '--json'])).stdout) as Status[];
    const result = await runDrover(['restart', 'restarted']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^restarted: restarted in [\d.]+ m?s, 2 worker\(s\)\n$/);
    const [status] = JSON.parse((await runDrover(['ls', '--json'])).stdout) as (Status & { restarts: { requested: number } })[];
    assert.equal(status!.workers.length, 2);
    assert.ok(status!.workers.every((w) => !before!.workers.some((old) => old.pid === w.pid)), 'new pids in every slot');
    assert.equal(status!.restarts.requested, 2);
    assert.match(app.stdout, /restarted: restart: 2 workers \(pids \d+, \d+\) draining/);
    app.signal('SIGTERM');
    assert.equal((await app.exited).code, 0);
  });

  it('a stuck supervisor: commands say so at once instead of hanging; one that dies mid-command is reported', async () => {
    const app = await startApp('frozen', 1);
    app.signal('SIGSTOP');
    try {
      const reload = await runDrover(['reload', 'frozen']);
      assert.equal(reload.code, 1);
      assert.equal(reload.stderr, "drover: 'frozen': its supervisor accepts connections but does not answer (stuck, or stopped with SIGSTOP?) [DROVER_E_SUPERVISOR_UNREACHABLE]\n");
      const ls = await runDrover(['ls']);
      assert.equal(ls.code, 0);
      assert.match(ls.stderr, /'frozen': its supervisor accepts connections but does not answer/);
    } finally {
      app.signal('SIGCONT');
    }

    // Killed while a reload waits for a new worker that never becomes ready.
    const dir = mkdtempSync(`${tmpdir()}/drover-dies-`);
    const port = await freePort();
    const doomed = new DroverProcess(['run', fixture('reloadable.cjs'), '-i', '1', '--name', 'doomed', '--wait-ready', '--listen-timeout', '20s'], {
      env: { PORT: String(port), STATE_DIR: dir, WAIT_READY: '1' },
    });
    await doomed.waitForOutput(/1 worker ready/);
    writeFileSync(`${dir}/not-ready`, '');
    const reload = new DroverProcess(['reload', 'doomed']);
    await doomed.waitForOutput(/doomed: reload: replacing 1 worker/);
    doomed.signal('SIGKILL');
    const exit = await reload.exited;
    assert.equal(exit.code, 1);
    assert.match(reload.stdout, /^doomed: reload stopped: 'doomed': POST \/v1\/reload: its supervisor closed the connection \(did it die\?\)\n$/);
    assert.match((await runDrover(['ls'])).stderr, /removed the stale control socket of 'doomed'/);
    rmSync(dir, { recursive: true, force: true });
    app.signal('SIGTERM');
    await app.exited;
  });

  const asRoot = process.getuid?.() === 0;
  it('a control socket made by another user id is refused, and left alone', { skip: asRoot ? false : 'making a socket owned by another uid needs root; the 0600 mode is checked above' }, async () => {
    // Whoever owns a socket in $DROVER_HOME could answer as a supervisor: drover must not talk to it.
    let connections = 0;
    const intruder = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    const socket = `${DROVER_HOME}/sockets/intruder.sock`;
    mkdirSync(`${DROVER_HOME}/sockets`, { recursive: true });
    await new Promise<void>((resolve) => intruder.listen(socket, resolve));
    chownSync(socket, 65534, 65534);
    try {
      const ls = await runDrover(['ls']);
      assert.equal(ls.code, 0);
      assert.equal(ls.stdout, 'no app is running\n');
      assert.equal(ls.stderr, `drover: refused the control socket ${socket}: it belongs to uid 65534, not to you (uid 0); remove it if you did not expect it\n`);
      assert.equal((await runDrover(['stop', 'intruder'])).code, 2, 'not a running app');
      assert.equal(connections, 0, 'never connected to');
      assert.ok(existsSync(socket), 'not removed');
    } finally {
      intruder.close();
      rmSync(socket, { force: true });
    }
  });
});
