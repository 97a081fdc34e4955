import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusResponse } from '../../src/control/api.js';
import type { AppView } from '../../src/monit/poller.js';
import { RequestRates } from '../../src/monit/rates.js';
import { fit, renderFrame } from '../../src/monit/render.js';
import type { WorkerSnapshot } from '../../src/supervisor/index.js';

// monit's frame as a pure function of what it knows and the terminal's size.

const stats = (served: number, uptimeMs: number) => ({
  rss: 50 * 1024 * 1024,
  heapUsed: 5e6,
  heapTotal: 8e6,
  cpuPercent: 1.5,
  eventLoopDelay: { p50: 0.5, p99: 1.2, max: 3 },
  requestsServed: served,
  requestsInFlight: 1,
  connections: 1,
  uptimeMs,
  health: undefined,
});

const worker = (slot: number, pid: number, served = 10, uptimeMs = 5000): WorkerSnapshot => ({ slot, pid, state: 'ready', uptimeMs, restarts: slot, stats: stats(served, uptimeMs) });

function app(name: string, workers: WorkerSnapshot[], error?: string): AppView {
  const status = { name, workers, degraded: undefined, restarts: {}, totals: {} } as unknown as StatusResponse;
  const rates = new RequestRates();
  rates.update(workers);
  return { name, status, events: [], rates, error, busy: undefined };
}

const frame = (apps: AppView[], size = { columns: 100, rows: 20 }) =>
  renderFrame({ apps, selected: 0, message: 'api: scaled from 1 to 2 worker(s)', intervalMs: 1000, now: Date.UTC(2026, 0, 1), colours: false, ...size });

describe('monit frame', () => {
  it('is exactly the terminal size: as many lines as rows, none wider than the columns', () => {
    for (const size of [{ columns: 100, rows: 20 }, { columns: 30, rows: 8 }, { columns: 200, rows: 60 }]) {
      const lines = frame([app('api', [worker(0, 101), worker(1, 102)])], size);
      assert.equal(lines.length, size.rows);
      assert.ok(lines.every((line) => line.length <= size.columns), JSON.stringify(lines));
    }
  });

  it('has a row per worker under its app, the keys and the last message', () => {
    const lines = frame([app('api', [worker(0, 101), worker(1, 102)]), app('jobs', [worker(0, 201)])]);
    assert.match(lines[0]!, /^drover monit: 2 apps, 3 workers\s+\d\d:\d\d:\d\d, every 1 s$/);
    assert.match(lines.find((line) => line.includes('101'))!, /^> api\s+0\s+101\s+ready\s+5 s\s+1.5%\s+50 MiB\s+1.2 ms\s+-\s+1\s+10\s+0$/);
    assert.match(lines.find((line) => line.includes('102'))!, /^\s+1\s+102\s+ready/);
    assert.match(lines.find((line) => line.includes('201'))!, /^ {2}jobs\s+0\s+201/);
    assert.equal(lines.at(-2), 'q quit   r reload   + scale up   - scale down   up/down select app');
    assert.equal(lines.at(-1), 'api: scaled from 1 to 2 worker(s)');
  });

  it('says which app does not answer, and why', () => {
    const lines = frame([app('api', [worker(0, 101)], "'api': GET /v1/status: no answer within 2 s")]);
    assert.match(lines.find((line) => line.startsWith('> api'))!, /^> api\s+-\s+-\s+no answer/);
    assert.ok(lines.includes("'api': GET /v1/status: no answer within 2 s"));
  });

  it('cuts a table taller than the terminal, and says how many rows are not shown', () => {
    const lines = frame([app('api', Array.from({ length: 30 }, (_, slot) => worker(slot, 1000 + slot)))], { columns: 100, rows: 16 });
    assert.equal(lines.length, 16);
    assert.ok(lines.some((line) => /^\.\.\. \d+ more rows \(a taller terminal shows them\)$/.test(line)), lines.join('\n'));
  });

  it('fits a coloured line by what shows on screen, closing the colour it cut, and hides control characters', () => {
    assert.equal(fit('\u001b[32mready\u001b[39m now', 7), '\u001b[32mready\u001b[39m n\u001b[0m');
    assert.equal(fit('a\u0007b', 10), 'a?b');
  });
});

describe('monit request rates', () => {
  it("takes the rate between a worker's last two reports, on the worker's own clock, and forgets replaced workers", () => {
    const rates = new RequestRates();
    rates.update([worker(0, 101, 100, 10_000)]);
    assert.equal(rates.of(101), undefined);
    rates.update([worker(0, 101, 100, 10_000)]); // the same report, asked again
    assert.equal(rates.of(101), undefined);
    rates.update([worker(0, 101, 150, 10_500)]);
    assert.equal(rates.of(101), 100);
    rates.update([worker(0, 101, 150, 10_500)]);
    assert.equal(rates.of(101), 100);
    rates.update([worker(0, 202, 5, 200)]);
    assert.equal(rates.of(101), undefined);
  });
});
