import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DROVER_HOME, DroverProcess, fixture, isAlive, processGroupMembers, runDrover, runningApps, scratchDir, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// What PM2 users start besides a Node.js server, end to end with the real CLI: a shell
// script (run by bash, as PM2 maps .sh), `npm start` whose script is `node <file>`
// (run as that file, clustered), and `npm run <x>` whose script is not (npm itself,
// supervised, its process group stopped with it: nothing orphaned).

const NPM_APP = fixture('npm-app');

describe('programs that are not Node.js servers', () => {
  it('a shell script: up after min_uptime, its output logged, SIGINT on stop, listed stopped', async () => {
    const dir = scratchDir('sh');
    const start = await runDrover(['start', fixture('worker.sh'), '--min-uptime', '300', '--stats-interval', '200'], { env: { STATE_DIR: dir } });
    assert.equal(start.code, 0, start.stderr);
    const [status] = await runningApps();
    assert.equal(status!.name, 'worker');
    assert.equal(status!.workers.length, 1, 'fork mode, one instance');
    const pid = status!.workers[0]!.pid;
    await waitFor(() => existsSync(`${DROVER_HOME}/logs/worker.out.log`) && readFileSync(`${DROVER_HOME}/logs/worker.out.log`, 'utf8').includes(`worker ${pid} started`), 5000, 'its stdout in the log');
    // Its memory and CPU, read from /proc for its process group, as ls shows them.
    let rss = 0;
    for (let i = 0; i < 50 && !(rss > 0); i++) {
      const [listed] = (await runningApps()) as unknown as { workers: { stats?: { rss: number } }[] }[];
      rss = listed!.workers[0]!.stats?.rss ?? 0;
      if (!(rss > 0)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(rss > 0, 'ls shows its memory');
    assert.equal((await runDrover(['stop', 'worker'])).code, 0);
    assert.equal(readFileSync(`${dir}/${pid}`, 'utf8'), 'SIGINT\n');
    assert.equal((await runDrover(['delete', 'worker'])).code, 0);
  });

  it('npm start, whose script is node <file>: that file runs clustered, each worker serving', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', 'npm', '-i', '2', '--', 'start'], { cwd: NPM_APP, env: { PORT: String(port) } });
    await drover.waitForOutput(/2 workers listening on/);
    const pids = new Set<string>();
    // A new connection each time: node:cluster hands them out round-robin.
    for (let i = 0; i < 20 && pids.size < 2; i++) pids.add((await get(`http://127.0.0.1:${port}/`, { agent: new http.Agent({ keepAlive: false }) })).body);
    assert.equal(pids.size, 2, 'two workers answered');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('npm run <script> that is not node: npm supervised, and its script stopped with it', async () => {
    const dir = scratchDir('npm');
    const drover = new DroverProcess(['run', 'npm', '--name', 'looper', '--min-uptime', '300', '--', 'run', 'loop'], { cwd: NPM_APP, env: { STATE_DIR: dir } });
    await drover.waitForOutput(/looper: 1 worker running, no port/);
    const [status] = await runningApps();
    const npmPid = status!.workers[0]!.pid;
    // npm, its shell and worker.sh: one process group, the program's own.
    await waitFor(() => processGroupMembers(npmPid).length >= 2, 5000, "npm's script started");
    const group = processGroupMembers(npmPid);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    await waitFor(() => group.every((pid) => !isAlive(pid)), 5000, 'the whole group gone');
  });
});
