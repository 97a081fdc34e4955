import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
// The built supervisor: its workers preload dist/worker/runtime.js.
import { Supervisor, validateAppOptions, type TimelineEvent } from '../../dist/index.js';
import { STACK_CAPTURE_TIMEOUT_MS } from '../../dist/inspector/index.js';
import { DroverProcess, fixture, scratchDir, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

// Health supervision with real workers: heartbeats, the memory limit, the app's own
// health check, the figures each worker reports, and the timeline that explains it all.

const stateDir = () => scratchDir('health');

interface Answer {
  pid: number;
  instance: string;
}

async function startSupervisor(options: Record<string, unknown>, workers = 2) {
  const port = await freePort();
  const dir = stateDir();
  const app = validateAppOptions({ script: fixture('sick.cjs'), env: { PORT: port, STATE_DIR: dir }, ...options });
  const supervisor = new Supervisor(app);
  const done = supervisor.run(workers);
  await new Promise((resolve) => supervisor.once('ready', resolve));
  const stop = async () => {
    supervisor.stop();
    return done;
  };
  return { supervisor, url: `http://127.0.0.1:${port}`, dir, stop };
}

/** Send GET /block?slot=N until the worker in that slot takes it (it never answers). */
async function blockSlot(url: string, slot: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const reply = await Promise.race([get(`${url}/block?slot=${slot}`, { timeoutMs: 30_000 }).catch(() => undefined), sleep(300).then(() => 'blocked' as const)]);
    if (reply === 'blocked') return;
  }
  throw new Error(`worker ${slot} never took /block`);
}

const kinds = (events: TimelineEvent[], slot: number) => events.filter((e) => e.slot === slot).map((e) => e.kind);

describe('health supervision', () => {
  it('kills and replaces a worker whose event loop is blocked, within heartbeat_timeout + one interval; the other keeps serving', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('sick.cjs'), '-i', '2', '--stats-interval', '200', '--heartbeat-timeout', '1000'], {
      env: { PORT: String(port), STATE_DIR: stateDir() },
    });
    await drover.waitUntilListening();
    const url = `http://127.0.0.1:${port}`;
    const blockedAt = Date.now();
    await blockSlot(url, 0);
    // Meanwhile slot 1 keeps answering (a request handed to the blocked worker just waits).
    let servedBySlot1 = 0;
    const probe = (async () => {
      const deadline = Date.now() + 10_000;
      while (!/unresponsive for/.test(drover.stderr) && Date.now() < deadline) {
        const reply = await get(`${url}/`, { timeoutMs: 400 }).catch(() => undefined);
        if (reply && reply.json<Answer>().instance === '1') servedBySlot1 += 1;
        await sleep(20);
      }
    })();
    // Where it was stuck comes first (see test/inspector/hang-capture.test.ts), within its own time limit.
    const match = await drover.waitForOutput(/worker 0 \(pid (\d+)\) unresponsive for ([\d.]+) (m?s) \(no heartbeat within heartbeat_timeout\), stuck at .*sick\.cjs:\d+\).*: killed and replaced/, 10_000);
    const detectedAfter = Date.now() - blockedAt;
    await probe;
    assert.ok(detectedAfter < 1000 + 200 + 1500 + STACK_CAPTURE_TIMEOUT_MS, `killed after ${detectedAfter} ms (timeout 1000 + interval 200 + the stack capture's limit, plus scheduling slack)`);
    assert.ok(servedBySlot1 > 0, 'slot 1 served while slot 0 was blocked');
    // The slot comes back with a new pid.
    const victim = Number(match[1]);
    let replacement: number | undefined;
    for (let i = 0; i < 50 && replacement === undefined; i++) {
      const answer = (await get(`${url}/`)).json<Answer>();
      if (answer.instance === '0' && answer.pid !== victim) replacement = answer.pid;
      await sleep(20);
    }
    assert.ok(replacement, 'slot 0 has a new worker');
    assert.doesNotMatch(drover.stderr, /crashed/, 'the kill is reported once, as unresponsive');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('replaces a worker over max_memory_restart, successor first: a keep-alive client sees no failed request', async () => {
    const port = await freePort();
    const drover = new DroverProcess(
      ['run', fixture('sick.cjs'), '-i', '2', '--stats-interval', '200', '--max-memory-restart', '150M'],
      { env: { PORT: String(port), STATE_DIR: stateDir() } },
    );
    await drover.waitUntilListening();
    const url = `http://127.0.0.1:${port}`;
    const load = keepAliveLoad(`${url}/`, 10);
    try {
      for (let i = 0; i < 40 && !/replaced \(memory-limit\)/.test(drover.stdout); i++) {
        await get(`${url}/leak?mb=25`);
        await sleep(100);
      }
      await drover.waitForOutput(/worker \d replaced \(memory-limit\): pid \d+ serving, pid \d+ draining/, 10_000);
      await sleep(500);
    } finally {
      await load.stop();
    }
    assert.match(drover.stderr, /worker \d \(pid \d+\): RSS \d+ MiB is over max_memory_restart 150 MiB: starting its replacement, then draining it/);
    assert.deepEqual(load.tally.failures, []);
    assert.ok(load.tally.ok > 100, `requests served: ${load.tally.ok}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('counts requests: served matches what was sent; in flight and connections return to 0', async () => {
    const { supervisor, url, stop } = await startSupervisor({ stats_interval: 200 });
    for (let i = 0; i < 25; i++) await get(`${url}/`);
    await sleep(600);
    const snapshot = supervisor.snapshot();
    assert.equal(snapshot.workers.length, 2);
    assert.equal(snapshot.totals.requestsServed, 25);
    assert.equal(snapshot.totals.requestsInFlight, 0);
    assert.equal(snapshot.totals.connections, 0);
    assert.ok(snapshot.workers.every((w) => w.stats && w.stats.rss > 0 && w.stats.heapUsed > 0 && w.stats.uptimeMs > 0));
    assert.equal((await stop()).exitCode, 0);
  });

  it("replaces a worker whose own health check keeps failing, gracefully, with the reason in the timeline", async () => {
    const { supervisor, url, dir, stop } = await startSupervisor({ stats_interval: 150, health_check_failures: 3 }, 1);
    const before = (await get(`${url}/`)).json<Answer>().pid;
    writeFileSync(`${dir}/unhealthy`, '');
    await new Promise((resolve) => supervisor.once('replacing', resolve));
    unlinkSync(`${dir}/unhealthy`);
    const [entry, reason] = await new Promise<[{ oldPid?: number; newPid: number }, string]>((resolve) =>
      supervisor.once('replaced', (replaced, why) => resolve([replaced, why])),
    );
    assert.equal(reason, 'health-check');
    assert.equal(entry.oldPid, before);
    assert.notEqual((await get(`${url}/`)).json<Answer>().pid, before);
    const event = supervisor.timeline().find((e) => e.kind === 'health-check');
    assert.match(event!.detail, /^health check failed 3 times in a row: database unreachable \(fixture\): replacing it$/);
    assert.equal(supervisor.snapshot().restarts['health-check'], 1);
    assert.equal((await stop()).exitCode, 0);
  });

  it('the timeline explains a crash, a memory restart and an unresponsive kill, in order', async () => {
    const { supervisor, url, stop } = await startSupervisor({ stats_interval: 150, heartbeat_timeout: 800, max_memory_restart: '150M' }, 1);
    const pid0 = (await get(`${url}/`)).json<Answer>().pid;
    await get(`${url}/crash`).catch(() => undefined);
    await new Promise((resolve) => supervisor.once('ready', resolve).once('listening', resolve));
    await waitFor(() => supervisor.workers[0]?.pid !== pid0 && supervisor.workers[0]?.state === 'ready', 5000, 'the restarted worker');
    for (let i = 0; i < 20 && !supervisor.timeline().some((e) => e.kind === 'replaced'); i++) {
      await get(`${url}/leak?mb=30`).catch(() => undefined);
      await sleep(150);
    }
    await waitFor(() => supervisor.timeline().some((e) => e.kind === 'replaced'), 5000, 'the memory replacement');
    await sleep(300);
    await blockSlot(url, 0);
    await waitFor(() => supervisor.timeline().filter((e) => e.kind === 'listening').length >= 4, 8000, 'the worker after the unresponsive kill');

    const events = supervisor.timeline();
    const sequence = kinds(events, 0).filter((kind) => !['ready', 'draining'].includes(kind));
    assert.deepEqual(sequence, [
      'spawned', 'listening',
      'crashed', 'restarting', 'spawned', 'listening',
      'memory-limit', 'spawned', 'listening', 'replaced', 'exited',
      'unresponsive', 'exited', 'restarting', 'spawned', 'listening',
    ]);
    assert.match(events.find((e) => e.kind === 'crashed')!.detail, /^crashed with exit code 1 after [\d.]+ m?s$/);
    assert.match(events.find((e) => e.kind === 'memory-limit')!.detail, /^RSS \d+ MiB is over max_memory_restart 150 MiB: replacing it$/);
    assert.match(events.find((e) => e.kind === 'unresponsive')!.detail, /^unresponsive for [\d.]+ m?s \(no heartbeat\), stuck at \(anonymous\) \(test\/fixtures\/apps\/sick\.cjs:\d+\).*: killed and replaced$/);
    assert.deepEqual(supervisor.snapshot().restarts, { crash: 1, unresponsive: 1, 'memory-limit': 1, 'event-loop-delay': 0, 'health-check': 0, requested: 0 });
    assert.equal((await stop()).exitCode, 0);
  });
});
