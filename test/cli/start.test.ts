import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DROVER_HOME, DroverProcess, example, isAlive, runDrover, runningApps, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// `drover start`: detached supervisors, one per app, reached through their sockets.

describe('drover start', () => {
  it('starts the app in the background, returns once it serves, and refuses a second start', async () => {
    const port = await freePort();
    const start = await runDrover(['start', example('hello/server.js'), '-i', '2', '--name', 'bg'], { env: { PORT: String(port) } });
    const [status] = await runningApps();
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^app\s+slot\s+pid/);
    assert.equal(status!.name, 'bg');
    assert.equal(status!.workers.length, 2);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200, 'serving after start returned');
    assert.match(readFileSync(`${DROVER_HOME}/logs/bg.log`, 'utf8'), /bg: 2 workers listening on/);

    const again = await runDrover(['start', example('hello/server.js'), '--name', 'bg'], { env: { PORT: String(port) } });
    assert.equal(again.code, 2);
    assert.equal(again.stderr, "drover: 'bg' is already running; drover reload or stop it instead [DROVER_E_APP_RUNNING]\n");

    const logs = await runDrover(['logs', 'bg', '--lines', '2']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /^\[drover\] bg: 2 workers: -i 2\n\[drover\] bg: 2 workers listening on http:\/\/127\.0\.0\.1:\d+ \(pids \d+, \d+\)\n$/);
    const missing = await runDrover(['logs', 'nope']);
    assert.equal(missing.stderr, "drover: no log for an app named 'nope'; logs exist for: 'bg' [DROVER_E_UNKNOWN_APP]\n");

    const follow = new DroverProcess(['logs', 'bg', '--follow', '--lines', '0']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await runDrover(['stop', 'bg'])).code, 0);
    await follow.waitForOutput(/bg: stop requested through the control API: draining 2 worker\(s\)[^]*bg: all workers drained; stopped\n/);
    follow.killGroup();
    await waitFor(() => !isAlive(status!.supervisorPid) && status!.workers.every((w) => !isAlive(w.pid)), 5000, 'supervisor and workers gone');
  });

  it('an app that cannot start: start says so, with the end of its log', async () => {
    const port = await freePort();
    const start = await runDrover(['start', 'test/fixtures/apps/throws-on-import.cjs', '-i', '1', '--max-restarts', '1'], { env: { PORT: String(port) } });
    assert.equal(start.code, 3);
    assert.match(start.stderr, /^drover: throws-on-import did not start \(its supervisor exited\); the end of \S+\/logs\/throws-on-import\.log:\n/);
    assert.match(start.stderr, /DROVER_E_CRASH_LOOP/);
  });
});
