import { formatDuration } from '../config/units.js';
import { describeCapture } from '../inspector/format-stack.js';
import type { WorkerStats } from '../ipc/messages.js';
import type { SupervisorContext } from './context.js';
import type { RestartReason } from './events.js';
import { freshHealthState, judgeReport, type HealthState } from './health-rules.js';
import type { WorkerView } from './worker-handle.js';

/** Why a worker is replaced gracefully (its successor first). */
export type ReplaceReason = Extract<RestartReason, 'memory-limit' | 'event-loop-delay' | 'health-check'>;

interface WorkerHealth {
  /** The latest report, and when it came: the heartbeat. */
  stats: WorkerStats | undefined;
  lastReportAt: number;
  rules: HealthState;
  /** A replacement is under way: do not ask for another. */
  replacing: boolean;
  /** Unresponsive: its stack is being read before the kill. */
  killing: boolean;
}

/**
 * Each worker's reports, as they come: the heartbeat (a worker silent for
 * heartbeat_timeout is killed, its exit restarting it like a crash), and the rules of
 * health-rules.ts (memory limit, event-loop delay, the app's health check), which warn
 * or ask for a graceful replacement.
 */
export class HealthMonitor {
  readonly #ctx: SupervisorContext;
  readonly #replace: (worker: WorkerView, reason: ReplaceReason, detail: string) => Promise<boolean>;
  readonly #workers = new Map<WorkerView, WorkerHealth>();
  #timer: NodeJS.Timeout | undefined;
  #lastCheck = 0;

  /** `replace` starts a graceful replacement and resolves with whether it happened. */
  constructor(ctx: SupervisorContext, replace: (worker: WorkerView, reason: ReplaceReason, detail: string) => Promise<boolean>) {
    this.#ctx = ctx;
    this.#replace = replace;
    ctx.pool.on('spawn', (worker) => this.#workers.set(worker, { stats: undefined, lastReportAt: Date.now(), rules: freshHealthState(), replacing: false, killing: false }));
    ctx.pool.on('exit', (worker) => this.#workers.delete(worker));
    ctx.pool.on('stats', (worker, stats) => this.#onStats(worker, stats));
  }

  /** Check heartbeats from now on (when reports are on). */
  start(): void {
    if (this.#ctx.app.stats_interval === 0) return;
    this.#lastCheck = Date.now();
    this.#timer = setInterval(() => this.#checkHeartbeats(), this.#period);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A worker's latest report, if it has sent one. */
  statsOf(worker: WorkerView): WorkerStats | undefined {
    return this.#workers.get(worker)?.stats;
  }

  get #period(): number {
    return Math.min(this.#ctx.app.stats_interval, 1000);
  }

  #onStats(worker: WorkerView, stats: WorkerStats): void {
    const health = this.#workers.get(worker);
    if (!health) return;
    health.stats = stats;
    health.lastReportAt = Date.now();
    if (worker.intent !== undefined || worker.role !== 'current') return;
    const verdict = judgeReport(stats, health.rules, this.#ctx.app);
    if (verdict.action === 'warn') {
      this.#ctx.emit('health-warning', worker.info, verdict.detail, verdict.kind);
    } else if (verdict.action === 'replace' && !health.replacing && !this.#ctx.stopping()) {
      health.replacing = true;
      void this.#replace(worker, verdict.kind, verdict.detail).then((replaced) => (health.replacing = replaced));
    }
  }

  // A worker that has sent no report for heartbeat_timeout is stuck (a blocked event
  // loop): read where (its stack, through the inspector, 2 s at most), then kill it; its
  // exit restarts it like a crash, explained by the detail.
  #checkHeartbeats(): void {
    const now = Date.now();
    // If this check itself ran late, the supervisor was too busy to read reports (a
    // large fork, a stalled disk): that silence is not the workers'.
    const late = now - this.#lastCheck - this.#period;
    this.#lastCheck = now;
    for (const [worker, health] of this.#workers) {
      if (late > 100) health.lastReportAt += late;
      // A program that is not Node.js has no runtime to send a heartbeat: its figures come from /proc.
      if (worker.intent !== undefined || !worker.live || !worker.hasRuntime || health.killing) continue;
      const silent = now - health.lastReportAt;
      if (silent <= this.#ctx.app.heartbeat_timeout) continue;
      health.killing = true;
      void this.#captureAndKill(worker, silent);
    }
  }

  // Killed whatever the capture found, even if a report came meanwhile: its inspector
  // was opened, and a worker is never left running with an open inspector.
  async #captureAndKill(worker: WorkerView, silent: number): Promise<void> {
    const stack = await this.#ctx.pool.captureStack(worker);
    if (!worker.live) return;
    this.#ctx.emit('unresponsive', worker.info, silent, stack);
    this.#ctx.pool.killUnresponsive(worker, `unresponsive for ${formatDuration(silent)} (no heartbeat), ${describeCapture(stack, this.#ctx.app.cwd)}`);
  }
}
