import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    assert.match(logs.stdout, /^bg drover \| \S+Z \[drover\] bg: 2 workers: -i 2\nbg drover \| \S+Z \[drover\] bg: 2 workers listening on http:\/\/127\.0\.0\.1:\d+ \(pids \d+, \d+\)\n$/);

    const follow = new DroverProcess(['logs', 'bg', '--follow', '--lines', '0']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await runDrover(['stop', 'bg'])).code, 0);
    await follow.waitForOutput(/bg drover \| \S+Z \[drover\] bg: stop requested through the control API: draining 2 worker\(s\)[^]*bg: all workers drained; stopped\n/);
    assert.equal((await follow.exited).code, 0);
    await waitFor(() => !isAlive(status!.supervisorPid) && status!.workers.every((w) => !isAlive(w.pid)), 5000, 'supervisor and workers gone');
  });

  it('an app that cannot start: start says so, with the end of its log', async () => {
    const port = await freePort();
    const start = await runDrover(['start', 'test/fixtures/apps/throws-on-import.cjs', '-i', '1', '--max-restarts', '1'], { env: { PORT: String(port) } });
    assert.equal(start.code, 3);
    assert.match(start.stderr, /^drover: throws-on-import did not start \(it gave up\); the end of \S+\/logs\/throws-on-import\.log:\n/);
    assert.match(start.stderr, /DROVER_E_CRASH_LOOP/);
  });

  it('a log file that cannot be written: a clear error at start, and nothing started', async () => {
    // Root may write anywhere, so the test puts a file where a folder must be.
    const home = mkdtempSync(`${tmpdir()}/drover-home-blocked-`);
    writeFileSync(`${home}/logs`, 'not a folder');
    const start = await runDrover(['start', example('hello/server.js'), '-i', '1', '--name', 'blocked'], { env: { PORT: String(await freePort()), DROVER_HOME: home } });
    assert.equal(start.code, 2);
    assert.match(start.stderr, /^drover: blocked: cannot write the supervisor log \S+\/logs\/blocked\.log: EEXIST: file already exists, mkdir .*\[DROVER_E_LOG_FILE\]\n$/);
    assert.deepEqual(start.leftover, []);

    const config = `${home}/blocked.config.cjs`;
    writeFileSync(config, `module.exports = { name: 'blocked', script: ${JSON.stringify(example('hello/server.js'))}, error_file: ${JSON.stringify(`${home}/logs/x/err.log`)} };\n`);
    rmSync(`${home}/logs`);
    mkdirSync(`${home}/logs`);
    writeFileSync(`${home}/logs/x`, 'not a folder either');
    const fromConfig = await runDrover(['start', config], { env: { PORT: String(await freePort()), DROVER_HOME: home } });
    assert.equal(fromConfig.code, 2);
    assert.match(fromConfig.stderr, /^drover: blocked: cannot write the log file \S+\/logs\/x\/err\.log: .*\[DROVER_E_LOG_FILE\]\n$/);
    assert.equal((await runDrover(['ls'], { env: { DROVER_HOME: home } })).stdout, 'no app is running\n');
    rmSync(home, { recursive: true, force: true });
  });
});
