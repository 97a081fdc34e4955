import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DroverProcess, example, runDrover, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

// Chaos, bounded: 2 workers under keep-alive load on loopback while a random worker is
// SIGKILLed every 0.5 to 1.5 s for 12 s. The app always comes back to 2 workers, never
// has more than 2 + reload_batch worker processes, never gives up, and leaves nothing
// behind. (Requests in flight on a killed worker fail; bench/chaos.js counts them.)

const CHAOS_MS = 12_000;
const WORKERS = 2;
const RELOAD_BATCH = 1;

it('a worker SIGKILLed every 0.5-1.5 s under load: back to 2 workers every time, never too many, never given up', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const drover = new DroverProcess(['run', example('hello/server.js'), '-i', String(WORKERS), '--name', 'chaos'], { env: { PORT: String(port) } });
  await drover.waitUntilListening();
  const supervisor = drover.pid;
  const workerPids = () => drover.groupPids().filter((pid) => pid !== supervisor);

  const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 10);

  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, workerPids().length)), 10);
  let kills = 0;
  try {
    const end = Date.now() + CHAOS_MS;
    while (Date.now() < end) {
      await sleep(500 + Math.random() * 1000);
      const pids = workerPids();
      if (pids.length === 0) continue;
      process.kill(pids[Math.floor(Math.random() * pids.length)]!, 'SIGKILL');
      kills += 1;
    }
    // Back to full strength: 2 workers, both ready.
    await waitFor(() => workerPids().length === WORKERS, 10_000, '2 worker processes');
    let ready = 0;
    for (let i = 0; i < 50 && ready !== WORKERS; i++) {
      const list = JSON.parse((await runDrover(['ls', '--json'])).stdout) as { workers: { state: string }[] }[];
      ready = list[0]?.workers.filter((worker) => worker.state === 'ready').length ?? 0;
      if (ready !== WORKERS) await sleep(100);
    }
    assert.equal(ready, WORKERS);
  } finally {
    clearInterval(sampler);
    await load.stop();
  }

  assert.ok(kills >= 8, `kills: ${kills}`);
  assert.ok(most <= WORKERS + RELOAD_BATCH, `at most ${most} worker processes at once`);
  assert.ok(load.tally.ok > 100, `requests answered: ${load.tally.ok}`);
  assert.doesNotMatch(drover.output, /crash loop|DROVER_E_CRASH_LOOP/);
  const pids = new Set<number>();
  for (let i = 0; i < 10; i++) pids.add((await get(`http://127.0.0.1:${port}/`)).json<{ pid: number }>().pid);
  assert.equal(pids.size, WORKERS);

  drover.signal('SIGTERM');
  assert.equal((await drover.exited).code, 0);
  await waitFor(() => drover.groupPids().length === 0, 5000, 'no process left');
});
