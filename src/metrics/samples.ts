import { REQUEST_BUCKETS, type DurationCounts, type WorkerStats } from '../ipc/messages.js';

// What the dashboard draws: one sample per worker per stats report, kept for the last
// 15 minutes (SAMPLE_LIMIT at most), so that a page opened now shows the recent past.

/** One worker's figures over its last stats interval. */
export interface WorkerSample {
  /** When the supervisor got the report, ms since the epoch. */
  at: number;
  slot: number;
  pid: number;
  /** Requests per second since the worker's previous report (or since it started, for its first). */
  rps: number;
  /** p99 of the request durations since the previous report, in ms, from the runtime's histogram; null without requests or with request_metrics off. */
  p99: number | null;
  /** Resident memory, bytes. */
  rss: number;
  /** Event-loop delay p99 over the interval, ms. */
  eld: number;
}

/** How far back the dashboard's history goes. */
export const SAMPLE_WINDOW_MS = 15 * 60_000;
/**
 * The most samples kept, whatever the window: 20,000 (about 3 MB as JS objects). That
 * is 15 minutes of 16 workers at a 1 s stats interval (14,400); with more workers or a
 * shorter interval the history is shorter than 15 minutes, never larger.
 */
export const SAMPLE_LIMIT = 20_000;

interface Previous {
  at: number;
  served: number;
  durations: DurationCounts | undefined;
}

/**
 * The samples of the last SAMPLE_WINDOW_MS (SAMPLE_LIMIT at most), oldest first, and
 * the followers told of each new one. `W` is whatever identifies a worker process (a
 * new process in a slot starts its counts from 0).
 */
export class SampleHistory<W extends { slot: number; pid: number }> {
  // Oldest first from #head; the slots before it are dropped samples, cut off now and
  // then (amortized O(1) a sample). An idle supervisor holds none.
  #items: (WorkerSample | undefined)[] = [];
  #head = 0;
  readonly #limit: number;
  readonly #previous = new Map<W, Previous>();
  readonly #followers = new Set<(sample: WorkerSample) => void>();
  readonly #windowMs: number;

  constructor(limit = SAMPLE_LIMIT, windowMs = SAMPLE_WINDOW_MS) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** A worker's report: its sample, kept and sent to every follower. */
  add(worker: W, stats: WorkerStats, now = Date.now()): WorkerSample {
    const before = this.#previous.get(worker);
    const served = stats.requestsServed;
    const seconds = before ? (now - before.at) / 1000 : stats.uptimeMs / 1000;
    const requests = before ? Math.max(0, served - before.served) : served;
    const sample: WorkerSample = {
      at: now,
      slot: worker.slot,
      pid: worker.pid,
      rps: seconds > 0 ? round(requests / seconds) : 0,
      p99: stats.requestDurations ? quantileMs(since(stats.requestDurations, before?.durations), 0.99) : null,
      rss: stats.rss,
      eld: round(stats.eventLoopDelay.p99),
    };
    this.#previous.set(worker, { at: now, served, durations: stats.requestDurations });
    this.#push(sample);
    for (const follower of this.#followers) follower(sample);
    return sample;
  }

  /** The worker has exited: its counts are no longer needed. */
  forget(worker: W): void {
    this.#previous.delete(worker);
  }

  /** The samples kept, oldest first, none older than the window. */
  list(now = Date.now()): WorkerSample[] {
    this.#prune(now);
    return this.#items.slice(this.#head) as WorkerSample[];
  }

  /** Call `follower` with every new sample until the returned function is called. */
  follow(follower: (sample: WorkerSample) => void): () => void {
    this.#followers.add(follower);
    return () => void this.#followers.delete(follower);
  }

  /** How many follow now. */
  get followers(): number {
    return this.#followers.size;
  }

  #push(sample: WorkerSample): void {
    this.#items.push(sample);
    this.#prune(sample.at);
  }

  // Samples come in time order: the old ones are at the head. Past the limit, the oldest go too.
  #prune(now: number): void {
    const items = this.#items;
    while (this.#head < items.length && (items.length - this.#head > this.#limit || items[this.#head]!.at < now - this.#windowMs)) {
      items[this.#head] = undefined;
      this.#head += 1;
    }
    if (this.#head > 64 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }
}

// The requests counted between two reports of one worker (its counts only grow).
function since(now: DurationCounts, before: DurationCounts | undefined): number[] {
  return now.counts.map((count, i) => Math.max(0, count - (before?.counts[i] ?? 0)));
}

/**
 * The q-quantile of a bucketed histogram, in ms, interpolated inside its bucket as
 * Prometheus' histogram_quantile() does; past the last bound it is that bound. Null
 * without requests.
 */
export function quantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (cumulative + count >= rank && count > 0) {
      if (i >= REQUEST_BUCKETS.length) return REQUEST_BUCKETS[REQUEST_BUCKETS.length - 1]! * 1000;
      const lower = i === 0 ? 0 : REQUEST_BUCKETS[i - 1]!;
      const upper = REQUEST_BUCKETS[i]!;
      return round((lower + (upper - lower) * ((rank - cumulative) / count)) * 1000);
    }
    cumulative += count;
  }
  return REQUEST_BUCKETS[REQUEST_BUCKETS.length - 1]! * 1000;
}

const round = (value: number) => Math.round(value * 100) / 100;
