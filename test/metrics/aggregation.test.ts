import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppMetric } from '../../src/ipc/messages.js';
import { AppRegistry } from '../../src/metrics/app-registry.js';
import { Exposition } from '../../src/metrics/exposition.js';
import { RequestCounts } from '../../src/metrics/request-counts.js';

// The arithmetic of metrics across workers and restarts, on its own: what the live
// workers last said plus what exited workers last said, never less than before.

const counter = (value: number, kind = 'book'): AppMetric => ({ name: 'orders_total', help: 'Orders.', type: 'counter', aggregator: 'sum', values: [{ value, labels: { kind } }] });
const gauge = (value: number, aggregator = 'sum'): AppMetric => ({ name: 'open_carts', help: 'Carts.', type: 'gauge', aggregator, values: [{ value, labels: {} }] });
const histogram = (fast: number, slow: number): AppMetric => ({
  name: 'order_seconds',
  help: 'Time.',
  type: 'histogram',
  aggregator: 'sum',
  values: [
    { value: fast, labels: { le: 0.1 }, metricName: 'order_seconds_bucket' },
    { value: fast + slow, labels: { le: '+Inf' }, metricName: 'order_seconds_bucket' },
    { value: fast * 0.05 + slow * 0.5, labels: {}, metricName: 'order_seconds_sum' },
    { value: fast + slow, labels: {}, metricName: 'order_seconds_count' },
  ],
});

// "name{labels} value" lines of the text format, without comments and blank lines.
const samples = (text: string) =>
  new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]),
  );

describe("the app's metrics across workers", () => {
  it('sums counters and histograms, and gauges by their aggregator, as AggregatorRegistry does', async () => {
    const registry = new AppRegistry<string>();
    registry.update('a', [counter(3), histogram(2, 1), gauge(1), { ...gauge(7, 'max'), name: 'worker_pid' }]);
    registry.update('b', [counter(4), histogram(1, 0), gauge(2), { ...gauge(9, 'max'), name: 'worker_pid' }]);
    const got = samples((await registry.scrape()).text);
    assert.equal(got.get('orders_total{kind="book"}'), 7);
    assert.equal(got.get('order_seconds_bucket{le="0.1"}'), 3);
    assert.equal(got.get('order_seconds_bucket{le="+Inf"}'), 4);
    assert.equal(got.get('order_seconds_count'), 4);
    assert.equal(got.get('open_carts'), 3);
    assert.equal(got.get('worker_pid'), 9);
  });

  it("keeps an exited worker's counters and histograms in the totals, not its gauges", async () => {
    const registry = new AppRegistry<string>();
    registry.update('a', [counter(3), counter(1, 'pen'), histogram(2, 1), gauge(5)]);
    registry.update('b', [counter(4), histogram(1, 0), gauge(2)]);
    registry.retire('a');
    registry.update('c', [counter(0), gauge(1)]); // a's successor starts from zero
    let got = samples((await registry.scrape()).text);
    assert.equal(got.get('orders_total{kind="book"}'), 7);
    assert.equal(got.get('orders_total{kind="pen"}'), 1, 'a series only the exited worker had');
    assert.equal(got.get('order_seconds_count'), 4);
    assert.equal(got.get('open_carts'), 3, 'the exited worker\'s gauge is gone');
    // Twice over: the retired sums add up, they are not replaced.
    registry.update('c', [counter(2)]);
    registry.retire('c');
    registry.retire('b');
    got = samples((await registry.scrape()).text);
    assert.equal(got.get('orders_total{kind="book"}'), 9);
    assert.equal(got.has('open_carts'), false);
  });

  it('leaves out what it cannot aggregate: null values, unknown aggregators, a type that changed', async () => {
    const registry = new AppRegistry<string>();
    registry.update('a', [counter(3), { ...gauge(0), values: [{ value: null as unknown as number, labels: {} }] }, { ...gauge(1), name: 'odd', aggregator: 'median' }]);
    registry.retire('a');
    // A new version of the app made orders_total a gauge: the old counter's sum is not mixed in.
    registry.update('b', [{ ...gauge(2), name: 'orders_total' }]);
    const result = await registry.scrape();
    assert.equal(result.error, undefined);
    const got = samples(result.text);
    assert.equal(got.get('orders_total'), 2);
    assert.equal(got.has('odd'), false);
    assert.equal(got.has('open_carts'), false);
  });

  it('is empty, and loads nothing, while no worker has prom-client', async () => {
    const registry = new AppRegistry<string>();
    registry.update('a', []);
    assert.equal(registry.empty, true);
    assert.deepEqual(await registry.scrape(), { text: '', error: undefined });
  });
});

describe("drover's request counts across restarts", () => {
  it("adds an exited worker's last counts to the totals, and ignores a report older than one already seen", () => {
    const counts = new RequestCounts<string>();
    const durations = (n: number) => ({ counts: [n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], sum: n * 0.001 + 20 });
    counts.update('a', 10, durations(9));
    counts.update('b', 5, durations(4));
    counts.update('a', 8, durations(7)); // late and older: ignored
    assert.equal(counts.totals().served, 15);
    counts.retire('a');
    counts.update('c', 1, durations(0));
    const totals = counts.totals();
    assert.equal(totals.served, 16);
    assert.deepEqual(totals.durations!.counts, [13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    // Reading the totals does not change them.
    assert.equal(counts.totals().served, 16);
  });
});

describe('the text format', () => {
  it('escapes label values and HELP text, and writes NaN and infinities as Prometheus reads them', () => {
    const text = new Exposition().family('x', 'gauge', 'a \\ b\nc').sample('x', { path: 'a"b\\c\nd' }, NaN).sample('x', {}, Infinity).text();
    assert.equal(text, '# HELP x a \\\\ b\\nc\n# TYPE x gauge\nx{path="a\\"b\\\\c\\nd"} NaN\nx +Inf\n');
  });
});
