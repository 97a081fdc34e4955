export { Supervisor } from './supervisor.js';
export type { CrashDecision, CrashReport, SupervisorEvents, SupervisorResult } from './events.js';
export type { WorkerAddress, WorkerInfo, WorkerState } from './worker-handle.js';
export { RestartPolicy, BACKOFF_CAP_MS, BACKOFF_FACTOR, type RestartDecision } from './restart-policy.js';
