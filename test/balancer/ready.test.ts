import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, scratchDir } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad, type Reply } from '../helpers/http.js';

// Traffic only to ready workers: with the supervisor's balancer, a worker that listens
// but has not said ready() (wait_ready) gets no connection. node:cluster's round-robin
// hands it connections the moment it listens, as PM2 does (pm2#5716).

describe('traffic only to ready workers', () => {
  it("wait_ready, least-connections: a reload's new worker that listens but never calls ready() takes no request, and the reload stops at listen_timeout", async () => {
    const port = await freePort();
    const dir = scratchDir('ready');
    const drover = new DroverProcess(['run', fixture('reloadable.cjs'), '-i', '2', '--name', 'app', '--balance', 'least-connections', '--wait-ready', '--listen-timeout', '1000'], {
      env: { PORT: String(port), STATE_DIR: dir, WAIT_READY: '1' },
    });
    await drover.waitForOutput(/app: 2 workers ready, listening on/);
    const url = `http://127.0.0.1:${port}/`;
    const before = new Set<number>();
    for (let i = 0; i < 20; i++) before.add((await get(url)).json<{ pid: number }>().pid);
    writeFileSync(`${dir}/not-ready`, '');
    writeFileSync(`${dir}/version`, 'v2');
    const versions = new Set<string>();
    const pids = new Set<number>();
    const load = keepAliveLoad(url, 8, {
      keepAlive: false,
      onAnswer: (reply: Reply) => {
        const answer = reply.json<{ pid: number; version: string }>();
        versions.add(answer.version);
        pids.add(answer.pid);
      },
    });
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload stopped after/, 15_000);
    const tally = await load.stop();
    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.match(drover.stderr, /the new worker 0 \(pid \d+\) not ready \(no process\.send\('ready'\)\) after listen_timeout 1 s/);
    assert.deepEqual([...versions], ['v1'], 'the listening but unready new worker answered nothing');
    assert.deepEqual(pids, before);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
