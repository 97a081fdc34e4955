export { Supervisor, type SupervisorOptions } from './supervisor.js';
export type { Launcher } from './launcher.js';
export { IllegalTransitionError, canTransition, type ExitIntent } from './worker-state.js';
export type {
  AppSnapshot,
  CrashDecision,
  Readiness,
  ProbeReadiness,
  CrashReport,
  ReloadResult,
  RestartReason,
  SupervisorEvents,
  SupervisorResult,
  WorkerSnapshot,
} from './events.js';
export type { TimelineEvent, TimelineKind } from './timeline.js';
export type { WorkerAddress, WorkerInfo, WorkerState } from './worker-handle.js';
export { RestartPolicy, BACKOFF_CAP_MS, BACKOFF_FACTOR, type RestartDecision } from './restart-policy.js';
