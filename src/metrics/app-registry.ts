import type { AppMetric } from '../ipc/messages.js';

// The app's own prom-client metrics, from every worker, as one registry: what
// prom-client's AggregatorRegistry does in a primary the app would have had to write,
// done by the supervisor with prom-client's own AggregatorRegistry.aggregate()
// (counters and histograms summed, gauges by each metric's `aggregator`).
//
// Across restarts: the last metrics each worker reported are kept, and when it exits
// the values it summed (counters, histograms: aggregator 'sum') are added into the
// app's "retired" totals, which every later scrape aggregates with the live workers'.
// A counter therefore never goes down when a worker is replaced or crashes, and
// rate() shows no spike. Gauges and summaries of an exited worker go with it.

/** prom-client's aggregators (metricAggregators.js); a metric naming another is left out. */
const AGGREGATORS = new Set(['sum', 'first', 'min', 'max', 'average', 'omit']);

type Value = AppMetric['values'][number];

/** What a scrape of the app's metrics gives: the text, and whether aggregation failed. */
export interface AppScrape {
  text: string;
  error: string | undefined;
}

export class AppRegistry<W> {
  readonly #live = new Map<W, AppMetric[]>();
  /** Summed values of exited workers, by metric name, then by series (metricName + labels). */
  readonly #retired = new Map<string, { metric: AppMetric; series: Map<string, Value> }>();

  /** A worker's metrics of the moment (its answer to a scrape, or its last ones as it drained). */
  update(worker: W, metrics: readonly AppMetric[]): void {
    this.#live.set(worker, clean(metrics));
  }

  /** The worker has exited: what it summed stays in the app's totals. */
  retire(worker: W): void {
    const metrics = this.#live.get(worker);
    this.#live.delete(worker);
    for (const metric of metrics ?? []) {
      if (metric.aggregator !== 'sum' || (metric.type !== 'counter' && metric.type !== 'histogram')) continue;
      let retired = this.#retired.get(metric.name);
      if (retired && retired.metric.type !== metric.type) continue;
      if (!retired) {
        retired = { metric: { ...metric, values: [] }, series: new Map() };
        this.#retired.set(metric.name, retired);
      }
      for (const value of metric.values) {
        const key = seriesKey(value);
        const sum = retired.series.get(key);
        if (sum) sum.value += value.value;
        else {
          const copy = { ...value };
          retired.series.set(key, copy);
          retired.metric.values.push(copy);
        }
      }
    }
  }

  /** Whether any worker has reported metrics of the app, now or before. */
  get empty(): boolean {
    return this.#retired.size === 0 && [...this.#live.values()].every((metrics) => metrics.length === 0);
  }

  /** The app's metrics aggregated across the live workers and those retired, in the text format. */
  async scrape(): Promise<AppScrape> {
    if (this.empty) return { text: '', error: undefined };
    const live = [...this.#live.values()];
    // A metric whose type changed (a new version of the app) leaves its retired values out.
    const types = new Map(live.flat().map((metric) => [metric.name, metric.type]));
    const retired = [...this.#retired.values()].map(({ metric }) => metric).filter((metric) => (types.get(metric.name) ?? metric.type) === metric.type);
    try {
      // Loaded on the first scrape that has app metrics: other supervisors never load it.
      const { AggregatorRegistry } = await import('prom-client');
      const registry = AggregatorRegistry.aggregate([...live, retired] as Parameters<typeof AggregatorRegistry.aggregate>[0]);
      return { text: await registry.metrics(), error: undefined };
    } catch (error) {
      return { text: '', error: (error as Error).message };
    }
  }
}

// NaN and Infinity cross the channel as null, and an unknown aggregator would make
// aggregate() throw: those values and metrics are left out.
function clean(metrics: readonly AppMetric[]): AppMetric[] {
  return metrics
    .filter((metric) => AGGREGATORS.has(metric.aggregator))
    .map((metric) => ({ ...metric, values: metric.values.filter((value) => typeof value.value === 'number') }));
}

function seriesKey(value: Value): string {
  const labels = Object.keys(value.labels)
    .sort()
    .map((key) => `${key}=${String(value.labels[key])}`);
  return `${value.metricName ?? ''}|${labels.join(',')}`;
}
