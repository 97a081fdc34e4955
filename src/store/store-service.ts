import type { AppOptions } from '../config/index.js';
import { formatDuration } from '../config/units.js';
import type { StoreAnswer, StoreCall } from '../ipc/messages.js';
import { toCodedError } from '../ipc/values.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';
import { execute, type StoreBackend, type StoreState } from './backend.js';

// The supervisor's side of the store: it answers the workers' store calls from the
// backend (embedded, or Redis), and passes published messages on to the workers that
// subscribed. The embedded backend is made on the first call, so that an app that never
// uses the store costs nothing; Redis and store_file are opened at start, so that a
// wrong server or file is reported at once.

/** The Redis namespace of an app's keys and channels: the same app on another host shares it. */
export const defaultRedisPrefix = (app: AppOptions) => `drover:${app.name}:`;

export class StoreService {
  readonly #app: () => AppOptions;
  readonly #pool: WorkerPool;
  readonly #warn: (message: string) => void;
  #backend: Promise<StoreBackend> | undefined;
  #opened: StoreBackend | undefined;
  /** Which workers subscribed to each channel. */
  readonly #subscribers = new Map<string, Set<WorkerView>>();
  #saver: { stop(): Promise<void>; state(): Partial<StoreState> } | undefined;

  constructor(app: () => AppOptions, pool: WorkerPool, warn: (message: string) => void) {
    this.#app = app;
    this.#pool = pool;
    this.#warn = warn;
    pool.on('store', (worker, call, seq) => void this.#answer(worker, call, seq));
    pool.on('exit', (worker) => this.#forget(worker));
    const { store, store_file } = app();
    if (store || store_file) void this.#open().catch((error: Error) => this.#warn(`store: ${error.message}`));
  }

  /** Where the store is, for ls and describe; undefined while the embedded store was never used. */
  state(): StoreState | undefined {
    const backend = this.#opened;
    return backend ? { ...backend.state(), ...this.#saver?.state() } : undefined;
  }

  /** Save store_file a last time and close the connections. */
  async close(): Promise<void> {
    const backend = this.#opened;
    await this.#saver?.stop();
    await backend?.close();
  }

  #open(): Promise<StoreBackend> {
    this.#backend ??= this.#create().then((backend) => {
      backend.onMessage = (channel, data) => {
        for (const worker of this.#subscribers.get(channel) ?? []) this.#pool.sendToRuntime(worker, { type: 'store-message', channel, data });
      };
      this.#opened = backend;
      return backend;
    });
    return this.#backend;
  }

  // Each backend is loaded only when used: an app on the embedded store never loads ioredis.
  async #create(): Promise<StoreBackend> {
    const app = this.#app();
    if (app.store) {
      const { RedisBackend } = await import('./redis-backend.js');
      let downSince = 0;
      return RedisBackend.open(app.store.redis, app.store.prefix, (state) => {
        if (state.state === 'unavailable') {
          downSince = Date.now();
          this.#warn(`store: Redis at ${state.url} is unavailable: ${state.error ?? 'the connection is down'}; store operations fail with DROVER_E_STORE_UNAVAILABLE until it is back (drover reconnects on its own)`);
        } else if (state.state === 'ready' && downSince > 0) {
          this.#warn(`store: Redis at ${state.url} is back after ${formatDuration(Date.now() - downSince)}`);
          downSince = 0;
        }
      });
    }
    const { MemoryBackend } = await import('./memory-backend.js');
    const backend = new MemoryBackend(() => this.#app().store_max_memory);
    if (app.store_file) {
      const { keepStoreFile } = await import('./store-file.js');
      this.#saver = keepStoreFile(app.store_file, backend, this.#warn);
    }
    return backend;
  }

  async #answer(worker: WorkerView, call: StoreCall, seq: number): Promise<void> {
    try {
      const value = await this.#run(worker, call);
      this.#pool.sendToRuntime(worker, { type: 'result', ok: true, ...(value === undefined ? {} : { value }) }, seq);
    } catch (error) {
      this.#pool.sendToRuntime(worker, { type: 'result', ok: false, error: toCodedError(error, 'DROVER_E_STORE_UNAVAILABLE') }, seq);
    }
  }

  async #run(worker: WorkerView, call: StoreCall): Promise<StoreAnswer> {
    const backend = await this.#open();
    if (call.op === 'subscribe') {
      const members = this.#subscribers.get(call.channel) ?? new Set();
      if (members.size === 0) await backend.subscribe(call.channel);
      members.add(worker);
      this.#subscribers.set(call.channel, members);
      return undefined;
    }
    if (call.op === 'unsubscribe') {
      this.#leave(backend, call.channel, worker);
      return undefined;
    }
    return execute(backend, call);
  }

  // A worker gone: its subscriptions go with it.
  #forget(worker: WorkerView): void {
    const backend = this.#opened;
    if (!backend) return;
    for (const channel of [...this.#subscribers.keys()]) this.#leave(backend, channel, worker);
  }

  #leave(backend: StoreBackend, channel: string, worker: WorkerView): void {
    const members = this.#subscribers.get(channel);
    if (!members?.delete(worker) || members.size > 0) return;
    this.#subscribers.delete(channel);
    backend.unsubscribe(channel).catch(() => undefined); // Redis down: it forgets the subscription with the connection.
  }
}
