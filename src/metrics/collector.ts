import type { WorkerStats } from '../ipc/messages.js';
import type { RestartReason, ReloadResult } from '../supervisor/events.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';
import { AppRegistry } from './app-registry.js';
import { formatDroverMetrics, type ReloadOutcome } from './drover-metrics.js';
import { RequestCounts } from './request-counts.js';

/** How long a scrape waits for each worker's answer; one that does not answer in time is read from its last known values. */
export const SCRAPE_WORKER_TIMEOUT_MS = 2000;

/** What the collector reads of the rest of the supervisor at a scrape. */
export interface MetricsSources {
  app(): string;
  pool: WorkerPool;
  statsOf(worker: WorkerView): WorkerStats | undefined;
  restarts(): Readonly<Record<RestartReason, number>>;
  /** A problem worth a line in the timeline (the app's metrics could not be aggregated): said once per cause. */
  warn(message: string): void;
}

/**
 * An app's metrics for /metrics and `drover metrics`: drover's own (from the workers'
 * reports and the supervisor's counts) and the app's prom-client metrics aggregated
 * across workers, both kept correct across restarts (request-counts.ts,
 * app-registry.ts). Follows the lifecycle stream: every report updates a worker's
 * last known counts, and an exit retires them into the app's totals.
 */
export class MetricsCollector {
  readonly #sources: MetricsSources;
  readonly #requests = new RequestCounts<WorkerView>();
  readonly #appMetrics = new AppRegistry<WorkerView>();
  readonly #reloads: Record<ReloadOutcome, number> = { ok: 0, failed: 0, rolled_back: 0 };
  #lastError: string | undefined;

  constructor(sources: MetricsSources) {
    this.#sources = sources;
    const { pool } = sources;
    pool.on('stats', (worker, stats) => this.#requests.update(worker, stats.requestsServed, stats.requestDurations));
    pool.on('metrics', (worker, report) => {
      this.#requests.update(worker, report.requestsServed, report.requestDurations);
      if (report.app) this.#appMetrics.update(worker, report.app);
    });
    pool.on('exit', (worker) => {
      this.#requests.retire(worker);
      this.#appMetrics.retire(worker);
    });
  }

  /** Count a reload by how it ended. */
  countReload(result: ReloadResult): void {
    this.#reloads[result.ok ? 'ok' : result.rolledBack ? 'rolled_back' : 'failed'] += 1;
  }

  /** Ask every worker for its counts and the app's metrics, then write both sets in the text format. */
  async scrape(): Promise<string> {
    const { pool } = this.#sources;
    const asked = pool.live().filter((worker) => worker.hasRuntime);
    const answers = await Promise.all(
      asked.map((worker) =>
        pool.requestMetrics(worker, SCRAPE_WORKER_TIMEOUT_MS).then(
          (report) => report !== undefined,
          () => false,
        ),
      ),
    );
    const app = await this.#appMetrics.scrape();
    if (app.error !== undefined && app.error !== this.#lastError) this.#sources.warn(`metrics: the app's prom-client metrics could not be aggregated: ${app.error}`);
    this.#lastError = app.error;
    const own = formatDroverMetrics({
      app: this.#sources.app(),
      desired: pool.count,
      workers: pool.live().map((worker) => ({ slot: worker.slot, pid: worker.pid, state: worker.state, startedAt: worker.startedAt, stats: this.#sources.statsOf(worker) })),
      restarts: this.#sources.restarts(),
      reloads: this.#reloads,
      requests: this.#requests.totals(),
      answered: { ok: answers.filter(Boolean).length, noAnswer: answers.filter((ok) => !ok).length },
      appMetricsError: app.error,
    });
    return own + app.text;
  }
}
