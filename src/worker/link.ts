import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';

export type { BusHandler, BusMessageInfo, RequestOptions } from '../bus/bus.js';
export type { ChannelHandler, SetOptions } from '../store/store.js';
export type { Bus } from '../bus/bus.js';
export type { Store } from '../store/store.js';

/**
 * What drover/worker's bus and store run on: in a worker, the runtime's channel to the
 * supervisor (ipc-link.ts); outside drover (`node server.js`, a test), a store in the
 * process itself (local-link.ts).
 */
export interface WorkerLink {
  readonly bus: Bus;
  readonly store: Store;
}
