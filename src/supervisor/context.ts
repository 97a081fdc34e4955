import type { AppOptions } from '../config/index.js';
import type { SupervisorEvents } from './events.js';
import type { WorkerPool } from './worker-pool.js';

/** What the parts of one app's supervisor share: the app, its workers, and the supervisor's events. */
export interface SupervisorContext {
  readonly app: AppOptions;
  readonly pool: WorkerPool;
  /** Emit one of the supervisor's public events (see events.ts). */
  readonly emit: <K extends keyof SupervisorEvents>(event: K, ...args: SupervisorEvents[K]) => void;
  /** The app is stopping: nothing starts or restarts any more. */
  readonly stopping: () => boolean;
}
