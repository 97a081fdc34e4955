import type { WorkerSnapshot } from '../supervisor/index.js';

// Requests per second, per worker, from its own reports: each says how many requests
// it has served and its uptime when it reported, so the rate is measured on the
// worker's clock, between two reports, however often (or late) monit asks.

interface LastReport {
  served: number;
  uptimeMs: number;
  rate: number | undefined;
}

export class RequestRates {
  // Keyed by pid: a replaced worker starts its count again.
  #last = new Map<number, LastReport>();

  /** Take the workers' latest reports; forgets workers no longer there. */
  update(workers: readonly WorkerSnapshot[]): void {
    const next = new Map<number, LastReport>();
    for (const worker of workers) {
      if (!worker.stats) continue;
      const { requestsServed: served, uptimeMs } = worker.stats;
      const before = this.#last.get(worker.pid);
      // The same report again (asked faster than stats_interval): the rate stands.
      let rate = before?.rate;
      if (before && uptimeMs > before.uptimeMs) rate = ((served - before.served) * 1000) / (uptimeMs - before.uptimeMs);
      next.set(worker.pid, { served, uptimeMs, rate });
    }
    this.#last = next;
  }

  /** Requests per second of this worker between its last two reports; undefined until it has sent two. */
  of(pid: number): number | undefined {
    return this.#last.get(pid)?.rate;
  }
}
