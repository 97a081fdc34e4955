// The worker API, for apps that want more than drover does without them:
//   import { ready, onShutdown, broadcast, on, store } from 'drover/worker';   (or require('drover/worker'))
// CommonJS, so that apps of either kind load it; it shares its state with the worker
// runtime through a global symbol, whichever copy of drover the app resolves. The bus
// and the store run on the runtime's link to the supervisor; outside drover, on a link
// of this process's own (local-link.cjs, loaded only then).

import type { BusHandler, ChannelHandler, RequestOptions, SetOptions, Store, WorkerLink } from './link.js';

export type { BusHandler, BusMessageInfo, ChannelHandler, RequestOptions, SetOptions, Store } from './link.js';

type Hook = () => unknown;
/** A health check: true (or nothing) is healthy; false, a string (the reason) or a throw is not. */
type HealthCheck = () => unknown;

interface SharedState {
  hooks: Hook[];
  healthCheck: HealthCheck | undefined;
  /** The bus and store's link: the runtime's, or (outside drover) one made on first use. */
  link?: WorkerLink;
}

const STATE = Symbol.for('drover.worker.state');

function shared(): SharedState {
  const holder = globalThis as { [STATE]?: SharedState };
  return (holder[STATE] ??= { hooks: [], healthCheck: undefined });
}

/**
 * Say the worker is ready to serve: with `wait_ready`, drover counts the worker as up
 * (for start and for reloads) only from here. The same message PM2 waits for.
 */
export function ready(): void {
  process.send?.('ready');
}

/**
 * Run `hook` when this worker begins to drain (stop, reload, scale down): stop
 * background jobs, release pools, close long-lived connections (drover closes the
 * WebSockets left open, spread out, once the app has heard its stop signal).
 * In-flight requests may still be finishing; the worker exits once every hook has
 * settled and every connection has closed, or at kill_timeout.
 */
export function onShutdown(hook: Hook): void {
  shared().hooks.push(hook);
}

/**
 * Register the app's own health check, run every stats interval. It fails when it
 * returns false or a string (the reason), or throws or rejects; after
 * `health_check_failures` failures in a row drover replaces the worker gracefully.
 */
export function healthCheck(check: HealthCheck): void {
  shared().healthCheck = check;
}

// A variable, so that a bundler (the runtime's) leaves this file out: it is loaded only outside drover.
const LOCAL_LINK = './local-link.cjs';

function link(): WorkerLink {
  const state = shared();
  state.link ??= (require(LOCAL_LINK) as typeof import('./local-link.js')).createLocalLink();
  return state.link;
}

/** For the worker runtime: the bus and store talk to the supervisor through this link. */
export function installLink(runtimeLink: WorkerLink): void {
  shared().link = runtimeLink;
}

/**
 * Send `data` to every other worker of the app: their `on(topic)` handlers run once
 * each. Data is structured-clone-able (objects, arrays, Date, Map, Set, Buffer...), at
 * most 1 MiB serialized; anything else throws DROVER_E_MESSAGE_VALUE.
 */
export function broadcast(topic: string, data?: unknown): void {
  link().bus.broadcast(topic, data);
}

/** Send `data` to the worker of `slot` (its NODE_APP_INSTANCE); dropped if that slot has no live worker. */
export function send(slot: number, topic: string, data?: unknown): void {
  link().bus.send(slot, topic, data);
}

/**
 * Ask one other worker that listens on `topic` (in turn), or the supervisor, and resolve
 * with its answer: what its handler returns. Rejects with DROVER_E_REQUEST_TIMEOUT after
 * `timeout` (5 s), DROVER_E_NO_RESPONDER when nobody listens, DROVER_E_REQUEST_FAILED
 * when the handler throws or its worker exits first.
 */
export function request(topic: string, data?: unknown, options?: RequestOptions): Promise<unknown> {
  return link().bus.request(topic, data, options);
}

/** Run `handler(data, { topic, from })` for every message on `topic`; for a request, its return value answers. Returns the undo. */
export function on(topic: string, handler: BusHandler): () => void {
  return link().bus.on(topic, handler);
}

/**
 * The app's shared store: the same keys in every worker, kept by the supervisor
 * (surviving worker crashes and reloads), or on Redis with `store: { redis }`.
 */
export const store: Pick<Store, 'get' | 'set' | 'del' | 'incr' | 'expire' | 'keys' | 'publish' | 'subscribe'> = {
  get: (key: string) => link().store.get(key),
  set: (key: string, value: unknown, options?: SetOptions) => link().store.set(key, value, options),
  del: (key: string) => link().store.del(key),
  incr: (key: string, by?: number) => link().store.incr(key, by),
  expire: (key: string, ttl: number | string) => link().store.expire(key, ttl),
  keys: (prefix?: string) => link().store.keys(prefix),
  publish: (channel: string, data?: unknown) => link().store.publish(channel, data),
  subscribe: (channel: string, handler: ChannelHandler) => link().store.subscribe(channel, handler),
};

/** Whether this process is a worker started by drover. */
export function isSupervised(): boolean {
  return process.env.DROVER_APP_NAME !== undefined;
}

/** For the worker runtime: run the registered hooks, reporting failures, never throwing. */
export async function runShutdownHooks(): Promise<void> {
  await Promise.all(
    shared().hooks.map(async (hook) => {
      try {
        await hook();
      } catch (error) {
        process.stderr.write(`drover: an onShutdown hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
    }),
  );
}

/** For the worker runtime: run the app's health check, if any, within `timeoutMs`. */
export async function runHealthCheck(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string } | undefined> {
  const check = shared().healthCheck;
  if (!check) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve(check()), timeout.then((reason) => ({ timedOut: reason }))]);
    if (typeof result === 'object' && result !== null && 'timedOut' in result) return { ok: false, reason: String(result.timedOut) };
    if (result === false) return { ok: false, reason: 'the check returned false' };
    if (typeof result === 'string') return { ok: false, reason: result };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
