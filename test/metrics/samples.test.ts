import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REQUEST_BUCKETS, type WorkerStats } from '../../src/ipc/messages.js';
import { quantileMs, SampleHistory } from '../../src/metrics/samples.js';

// The dashboard's samples: what a report becomes, and the bounds of what is kept.

const stats = (served: number, counts: number[] = new Array<number>(REQUEST_BUCKETS.length + 1).fill(0), uptimeMs = 10_000): WorkerStats => ({
  rss: 50_000_000,
  heapUsed: 1,
  heapTotal: 2,
  cpuPercent: 0,
  eventLoopDelay: { p50: 1, p99: 3.456, max: 9 },
  requestsServed: served,
  requestsInFlight: 0,
  connections: 0,
  uptimeMs,
  health: undefined,
  requestDurations: { counts, sum: 0 },
});
const buckets = (at: Record<number, number>) => Array.from({ length: REQUEST_BUCKETS.length + 1 }, (_, i) => at[i] ?? 0);

describe('dashboard samples', () => {
  it('req/s and p99 come from the differences between two reports of one worker', () => {
    const history = new SampleHistory<{ slot: number; pid: number }>();
    const worker = { slot: 1, pid: 42 };
    const first = history.add(worker, stats(100, buckets({ 0: 100 }), 10_000), 1_000_000);
    assert.equal(first.rps, 10); // 100 requests since it started, 10 s ago
    assert.equal(first.p99, 4.95); // all in the first bucket (0-5 ms)
    // 50 more in 5 s, all between 100 and 250 ms.
    const second = history.add(worker, stats(150, buckets({ 0: 100, 5: 50 })), 1_005_000);
    assert.deepEqual(second, { at: 1_005_000, slot: 1, pid: 42, rps: 10, p99: 248.5, rss: 50_000_000, eld: 3.46 });
    const idle = history.add(worker, stats(150, buckets({ 0: 100, 5: 50 })), 1_010_000);
    assert.equal(idle.rps, 0);
    assert.equal(idle.p99, null);
    // A new process in the slot counts from 0 again.
    history.forget(worker);
    assert.equal(history.add({ slot: 1, pid: 43 }, stats(5, buckets({ 2: 5 }), 1000), 1_011_000).rps, 5);
  });

  it('quantiles past the last bucket are its bound', () => {
    assert.equal(quantileMs(buckets({ [REQUEST_BUCKETS.length]: 3 }), 0.99), 10_000);
    assert.equal(quantileMs(buckets({}), 0.99), null);
  });

  it('keeps 15 minutes at most, and no more than its limit, and tells followers until they stop', () => {
    const history = new SampleHistory<{ slot: number; pid: number }>(100, 60_000);
    const heard: number[] = [];
    const stop = history.follow((sample) => heard.push(sample.at));
    for (let i = 0; i < 1000; i++) history.add({ slot: i % 2, pid: 1 + (i % 2) }, stats(i), i * 100);
    const kept = history.list(99_900);
    assert.equal(kept.length, 100);
    assert.deepEqual([kept[0]!.at, kept.at(-1)!.at], [90_000, 99_900]);
    assert.equal(history.followers, 1);
    stop();
    assert.equal(history.followers, 0);
    history.add({ slot: 0, pid: 1 }, stats(1000), 100_000);
    assert.equal(heard.length, 1000);
    // Older than the window: gone, whatever the limit.
    assert.deepEqual(history.list(100_000 + 60_000).map((sample) => sample.at), [100_000]);
    assert.deepEqual(history.list(100_001 + 60_000), []);
  });
});
