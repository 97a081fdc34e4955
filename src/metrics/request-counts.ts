import { REQUEST_BUCKETS, type DurationCounts } from '../ipc/messages.js';

/** The requests an app's workers have served, and how long they took, since the app started. */
export interface RequestTotals {
  served: number;
  /** Undefined when no worker times requests (request_metrics: false). */
  durations: DurationCounts | undefined;
}

interface Known {
  served: number;
  durations: DurationCounts | undefined;
}

/**
 * drover's own request counters across restarts. Each worker counts from 0 since it
 * started; the app's total is what the live workers last reported plus, for every
 * worker that has exited, the last counts it reported ("retired"). So the total never
 * goes down when a worker is replaced or crashes; what a crashed worker served after
 * its last report (a stats interval, or the last scrape, at most) is never counted.
 */
export class RequestCounts<W> {
  readonly #live = new Map<W, Known>();
  readonly #retired: Known = { served: 0, durations: undefined };

  /** A worker's counts of the moment; an older report arriving late is ignored (counts only grow). */
  update(worker: W, served: number, durations: DurationCounts | undefined): void {
    const known = this.#live.get(worker);
    if (known && known.served > served) return;
    this.#live.set(worker, { served, durations });
  }

  /** The worker has exited: its last counts stay in the app's totals. */
  retire(worker: W): void {
    const known = this.#live.get(worker);
    this.#live.delete(worker);
    if (known) addInto(this.#retired, known);
  }

  totals(): RequestTotals {
    const total: Known = { served: this.#retired.served, durations: this.#retired.durations && copy(this.#retired.durations) };
    for (const known of this.#live.values()) addInto(total, known);
    return total;
  }
}

function addInto(total: Known, add: Known): void {
  total.served += add.served;
  if (!add.durations) return;
  total.durations ??= { counts: new Array<number>(REQUEST_BUCKETS.length + 1).fill(0), sum: 0 };
  add.durations.counts.forEach((count, i) => (total.durations!.counts[i]! += count));
  total.durations.sum += add.durations.sum;
}

const copy = (durations: DurationCounts): DurationCounts => ({ counts: [...durations.counts], sum: durations.sum });
