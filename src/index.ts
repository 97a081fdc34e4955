// The programmatic API: the same supervisor the CLI runs.
export { Supervisor, RestartPolicy } from './supervisor/index.js';
export type {
  AppSnapshot,
  CrashReport,
  ReloadResult,
  RestartReason,
  SupervisorEvents,
  SupervisorResult,
  TimelineEvent,
  TimelineKind,
  WorkerAddress,
  WorkerInfo,
  WorkerSnapshot,
  WorkerState,
} from './supervisor/index.js';
export type { WorkerStats } from './ipc/messages.js';
export {
  validateAppOptions,
  loadApps,
  defineConfig,
  APP_DEFAULTS,
  type AppConfig,
  type AppInput,
  type AppOptions,
  type DroverConfig,
  type InstancesSpec,
} from './config/index.js';
export { detectCapacity, resolveInstances, type Capacity, type InstanceDecision } from './capacity/index.js';
export { DroverError, InvalidOptionError, ERROR_CATALOG, type ErrorCode } from './errors/index.js';
