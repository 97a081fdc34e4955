import type { DroverError } from '../errors/index.js';
import type { StackCapture } from '../inspector/capture-stack.js';
import type { StoreState } from '../store/backend.js';
import type { DrainReport, WorkerStats } from '../ipc/messages.js';
import type { RestartDecision } from './restart-policy.js';
import type { WorkerAddress, WorkerInfo } from './worker-handle.js';

/** Why a worker exited without being asked to, and what drover does about it. */
export interface CrashReport {
  worker: WorkerInfo;
  code: number | null;
  signal: string | null;
  uptime: number;
  /** Died before min_uptime. */
  unstable: boolean;
  /** Had listened on its port before it died. */
  listened: boolean;
  /** One line: the fatal exception, or the last stderr line that names an error. */
  cause: string | undefined;
  /** The same cause as the crash before it: reports may skip repeating it. */
  sameCauseAsBefore: boolean;
  stderrTail: string[];
  decision: CrashDecision;
  /** drover killed it (unresponsive): its exit is not the app's doing. */
  killed: boolean;
}

/** What happens after a crash: a restart, giving up, nothing (the app is stopping), or an accepted exit. */
export type CrashDecision = RestartDecision | { action: 'none' } | { action: 'not-restarted'; why: string };

/** How the supervisor ended. */
export interface SupervisorResult {
  exitCode: number;
  /** Why drover stopped the app on its own, if it did. */
  error: DroverError | undefined;
  /** Slots whose worker was killed before it finished draining. */
  forced: number[];
}

/** Why drover replaced or restarted a worker, counted per app. */
// 'requested': drover restart.
export type RestartReason = 'crash' | 'unresponsive' | 'memory-limit' | 'event-loop-delay' | 'health-check' | 'requested';

/** One worker's state and latest figures. */
export interface WorkerSnapshot {
  slot: number;
  pid: number;
  state: string;
  uptimeMs: number;
  /** Restarts and replacements of this slot's worker, all reasons. */
  restarts: number;
  stats: WorkerStats | undefined;
}

/** An app's workers and totals, in the one shape ls, describe, metrics and --stats read. */
export interface AppSnapshot {
  name: string;
  workers: WorkerSnapshot[];
  /**
   * Set when a crash loop was given up on while other workers still serve: the app
   * runs with fewer workers than asked until a reload or restart brings them back.
   */
  degraded: { reason: string; code: string; emptySlots: number[] } | undefined;
  restarts: Record<RestartReason, number>;
  totals: { rss: number; requestsServed: number; requestsInFlight: number; connections: number };
  /** The shared store (drover/worker): embedded or Redis, and its state; undefined while the embedded store was never used. */
  store: StoreState | undefined;
  /** The message bus: requests routed to a worker and not answered yet. */
  bus: { pending: number };
}

/** Where an app is in its life: what `drover start` waits for, and what a readiness probe reads. */
export interface Readiness {
  /** starting: not every slot is up yet; up: every slot's worker is ready; degraded: a crash loop left slots empty. */
  state: 'starting' | 'up' | 'degraded' | 'stopping';
  reason?: string;
}

/** The readiness probe's answer (/readyz). */
export interface ProbeReadiness {
  ready: boolean;
  /** Why, in words: how many workers are ready against min_ready, or since when and why the app is stopping. */
  reason: string;
  /** Workers ready and not asked to go (a reload's new ones count once they are up). */
  readyWorkers: number;
  minReady: number;
  /** When the stop began (ms since the epoch), once it has. */
  stoppingSince?: number;
}

/** One slot's worker replaced by a reload. */
export interface ReplacedSlot {
  slot: number;
  /** Undefined when the slot had no live worker (it had crashed and was waiting, or given up). */
  oldPid: number | undefined;
  newPid: number;
  /** From the new worker's start until it was listening (or ready). */
  startupMs: number;
}

/** How a rolling reload went. */
export interface ReloadResult {
  ok: boolean;
  durationMs: number;
  replaced: ReplacedSlot[];
  /** The slot whose new worker failed, and why; the reload stopped there. */
  failure: { slot: number; pid: number; why: string } | undefined;
  /** A server in fork mode is restarted instead (each worker binds its own port): how many workers. */
  restarted?: number;
  /** A surge reload failed: every new worker was stopped, and the old ones, which never stopped serving, still serve. */
  rolledBack?: boolean;
}

export interface SupervisorEvents {
  spawn: [worker: WorkerInfo];
  listening: [worker: WorkerInfo, address: WorkerAddress];
  /** Every slot has listened once: the app is up. */
  ready: [workers: WorkerInfo[], address: WorkerAddress | undefined];
  'slow-listen': [worker: WorkerInfo, waitedMs: number];
  crash: [report: CrashReport];
  'give-up': [error: DroverError];
  /** A stop began; the drain starts after `delayMs` (shutdown_delay). */
  stopping: [reason: string, delayMs: number];
  draining: [worker: WorkerInfo, report: DrainReport];
  drained: [worker: WorkerInfo, report: DrainReport];
  killed: [worker: WorkerInfo, report: DrainReport | undefined, why: 'kill_timeout' | 'forced'];
  /** A worker sent no heartbeat for heartbeat_timeout: where its JavaScript was stuck (or why that is unknown); it is killed next. */
  unresponsive: [worker: WorkerInfo, silentMs: number, stack: StackCapture];
  'health-warning': [worker: WorkerInfo, detail: string, kind: 'event-loop-delay'];
  /** A worker is being replaced gracefully (memory limit, health check, event-loop delay). */
  replacing: [worker: WorkerInfo, reason: RestartReason, detail: string];
  replaced: [replaced: ReplacedSlot, reason: RestartReason];
  'replace-failed': [worker: WorkerInfo, reason: RestartReason, why: string];
  /** `reason`: why, when drover asked for it (a file changed, cron_restart); none for `drover reload`. */
  'reload-start': [slots: number, batch: number, reason?: string];
  /** The app now has `to` slots instead of `from`. */
  scaled: [from: number, to: number];
  /** A changed config was applied (the options that changed); a rolling reload follows. */
  updated: [changed: string[]];
  /** drover restart (or watch, cron_restart in fork mode): these workers drain, and each slot starts afresh once its worker is gone. */
  restarting: [workers: WorkerInfo[], reason?: string];
  /** watch or cron_restart is armed: what it watches, or when it fires next. */
  trigger: [detail: string];
  'reload-replaced': [replaced: ReplacedSlot];
  'reload-end': [result: ReloadResult];
  /** Something went wrong that does not stop the app (a pid or log file), or came right again. */
  warning: [message: string];
  exit: [result: SupervisorResult];
}
