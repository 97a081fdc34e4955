import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { DroverProcess, fixture, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

// Rolling reload (SIGUSR2 / SIGHUP to `drover run`) with real workers and real clients.

interface Answer {
  pid: number;
  instance: string;
  version: string;
}

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function startReloadable(extra: string[] = [], env: Record<string, string> = {}) {
  const port = await freePort();
  const dir = mkdtempSync(`${tmpdir()}/drover-reload-`);
  dirs.push(dir);
  const drover = new DroverProcess(['run', fixture('reloadable.cjs'), '-i', '2', '--name', 'app', ...extra], {
    env: { PORT: String(port), STATE_DIR: dir, ...env },
  });
  await drover.waitForOutput(/app: 2 workers (ready, )?listening/);
  const url = `http://127.0.0.1:${port}`;
  return { drover, url, dir };
}

async function pidsBySlot(url: string): Promise<Map<string, number>> {
  const slots = new Map<string, number>();
  for (let i = 0; i < 40 && slots.size < 2; i++) {
    const answer = (await get(`${url}/`)).json<Answer>();
    slots.set(answer.instance, answer.pid);
  }
  return slots;
}

async function reload(drover: DroverProcess, count: number) {
  drover.signal('SIGUSR2');
  await drover.waitForOutput(new RegExp(`(reload (done|stopped)[^\\n]*\\n[^]*){${count}}`), 20_000);
}

describe('rolling reload', () => {
  it('3 reloads under keep-alive load from 20 connections: no failed request, every slot a new pid', async () => {
    const { drover, url } = await startReloadable();
    const before = await pidsBySlot(url);
    const load = keepAliveLoad(`${url}/`, 20);
    try {
      await sleep(300);
      for (let i = 1; i <= 3; i++) {
        await reload(drover, i);
        await sleep(300);
      }
    } finally {
      await load.stop();
    }

    const { ok, failed, failures } = load.tally;
    assert.equal(failed, 0, `failed requests: ${failures.slice(0, 5).join('; ')}`);
    assert.ok(ok > 200, `requests served: ${ok}`);
    assert.equal(drover.output.match(/reload done in/g)?.length, 3);
    const afterReloads = await pidsBySlot(url);
    for (const slot of ['0', '1']) assert.notEqual(afterReloads.get(slot), before.get(slot), `slot ${slot} has a new pid`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a 2 s request in flight when the reload starts completes with 200', async () => {
    const { drover, url } = await startReloadable();
    const slow = get(`${url}/slow?ms=2000`);
    await sleep(200);
    await reload(drover, 1);
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.connection, 'close');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('picks up new code on disk', async () => {
    const { drover, url, dir } = await startReloadable();
    assert.equal((await get(`${url}/`)).json<Answer>().version, 'v1');
    writeFileSync(`${dir}/version`, 'v2');
    await reload(drover, 1);
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) versions.add((await get(`${url}/`)).json<Answer>().version);
    assert.deepEqual([...versions], ['v2']);
    drover.signal('SIGTERM');
    await drover.exited;
  });

  it('a new worker that throws at start stops the reload; the old workers keep serving', async () => {
    const { drover, url, dir } = await startReloadable();
    const before = await pidsBySlot(url);
    writeFileSync(`${dir}/broken`, '');
    await reload(drover, 1);
    assert.match(
      drover.stderr,
      /app: reload stopped after [\d.]+ m?s: the new worker 0 \(pid \d+\) crashed on start with exit code 1 after [\d.]+ m?s: Error: bad deploy: config\.json is missing \(fixture\)\. 0 of app's slots were replaced; the others keep their old workers \(serving: pids \d+, \d+\)/,
    );
    const afterFailure = await pidsBySlot(url);
    assert.deepEqual([...afterFailure.entries()].sort(), [...before.entries()].sort());
    assert.doesNotMatch(drover.stderr, /crash loop|restarting in/, 'a failed candidate is not a crash of the app');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('wait_ready: a new worker that never calls ready() stops the reload at listen_timeout', async () => {
    const { drover, url, dir } = await startReloadable(['--wait-ready', '--listen-timeout', '700'], { WAIT_READY: '1' });
    assert.match(drover.stdout, /app: 2 workers ready, listening on/);
    const before = await pidsBySlot(url);
    writeFileSync(`${dir}/not-ready`, '');
    await reload(drover, 1);
    assert.match(
      drover.stderr,
      /reload stopped after [\d.]+ m?s: the new worker 0 \(pid \d+\) not ready \(no process\.send\('ready'\)\) after listen_timeout 700 ms\./,
    );
    // The candidate listened and was drained; the old workers still hold both slots.
    await sleep(600);
    assert.deepEqual([...(await pidsBySlot(url)).entries()].sort(), [...before.entries()].sort());
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('an upgraded (WebSocket) connection open during the reload: the app\'s onShutdown hook runs and closes it', async () => {
    const { drover, url } = await startReloadable();
    const { port } = new URL(url);
    const socket = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { Connection: 'Upgrade', Upgrade: 'fixture' } });
      req.on('upgrade', (_res, upgradedSocket) => resolve(upgradedSocket));
      req.on('error', reject);
      req.end();
    });
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await reload(drover, 1);
    await closed;
    assert.equal(received, 'bye\n');
    await waitFor(() => /shutdown hook ran in \d+ with 1 upgraded connection\(s\)/.test(drover.stdout), 3000, 'the hook line');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
