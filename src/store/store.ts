import { DroverError } from '../errors/index.js';
import type { StoreAnswer, StoreCall, WireValue } from '../ipc/messages.js';
import { checkDuration, checkInteger, checkKey, checkTopic, decodeValue, encodeValue } from '../ipc/values.js';

// The store as the app sees it (drover/worker's `store`): the same calls whether it is
// embedded in the supervisor or on Redis. Arguments and values are checked here, in the
// caller's worker: a bad one is a clear coded error and never reaches the store.

export interface SetOptions {
  /** Time to live: ms, or "30m"; without it the key stays until deleted (an earlier ttl is removed, as Redis does). */
  ttl?: number | string;
}

/** A handler of messages published on a channel. */
export type ChannelHandler = (data: unknown, channel: string) => void;

/** How the store is reached: the supervisor's channel, or a backend in this process. */
export interface StoreTransport {
  /** Resolves with the answer; rejects with a DroverError. */
  call(call: StoreCall): Promise<StoreAnswer>;
}

export class Store {
  readonly #transport: StoreTransport;
  readonly #channels = new Map<string, Set<ChannelHandler>>();

  constructor(transport: StoreTransport) {
    this.#transport = transport;
  }

  /** The value of `key` (a copy), or undefined. */
  async get(key: string): Promise<unknown> {
    const value = await this.#transport.call({ op: 'get', key: checkKey(key, 'store.get()') });
    return value === undefined ? undefined : decodeValue(value as WireValue);
  }

  /** Set `key` to `value` (structured-clone-able, at most 1 MiB serialized), with an optional ttl. */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    checkKey(key, 'store.set()');
    const wire = encodeValue(value, `store.set('${key}')`);
    const ttl = options.ttl === undefined ? undefined : checkDuration(options.ttl, `store.set('${key}')`, 'a ttl');
    await this.#transport.call({ op: 'set', key, value: wire, ...(ttl === undefined ? {} : { ttl }) });
  }

  /** Delete `key`; whether it was there. */
  async del(key: string): Promise<boolean> {
    return (await this.#transport.call({ op: 'del', key: checkKey(key, 'store.del()') })) as boolean;
  }

  /** Add `by` (1) to the integer at `key` (0 if missing), atomically across every worker; the new value. */
  async incr(key: string, by = 1): Promise<number> {
    checkKey(key, 'store.incr()');
    checkInteger(by, `store.incr('${key}')`, 'an integer to add');
    return (await this.#transport.call({ op: 'incr', key, by })) as number;
  }

  /** Give `key` a time to live (ms or "30m"); whether the key was there. */
  async expire(key: string, ttl: number | string): Promise<boolean> {
    checkKey(key, 'store.expire()');
    return (await this.#transport.call({ op: 'expire', key, ttl: checkDuration(ttl, `store.expire('${key}')`, 'a ttl') })) as boolean;
  }

  /** Every key that starts with `prefix`, sorted. */
  async keys(prefix = ''): Promise<string[]> {
    if (typeof prefix !== 'string') throw new DroverError('DROVER_E_INVALID_ARGUMENT', `store.keys(): expected a prefix string, got ${typeof prefix}`);
    return (await this.#transport.call({ op: 'keys', prefix })) as string[];
  }

  /** Publish `data` to every subscriber of `channel`: every worker of the app, on every host sharing the store. */
  async publish(channel: string, data?: unknown): Promise<void> {
    checkTopic(channel, 'store.publish()', 'channel');
    await this.#transport.call({ op: 'publish', channel, data: encodeValue(data, `store.publish('${channel}')`) });
  }

  /** Run `handler` for each message published on `channel`; resolves, once subscribed, with the function that unsubscribes. */
  async subscribe(channel: string, handler: ChannelHandler): Promise<() => Promise<void>> {
    checkTopic(channel, 'store.subscribe()', 'channel');
    if (typeof handler !== 'function') throw new DroverError('DROVER_E_INVALID_ARGUMENT', `store.subscribe('${channel}'): expected a handler function, got ${typeof handler}`);
    let handlers = this.#channels.get(channel);
    if (!handlers) {
      await this.#transport.call({ op: 'subscribe', channel });
      handlers = this.#channels.get(channel) ?? new Set();
      this.#channels.set(channel, handlers);
    }
    handlers.add(handler);
    return async () => {
      if (!handlers.delete(handler) || handlers.size > 0) return;
      this.#channels.delete(channel);
      await this.#transport.call({ op: 'unsubscribe', channel });
    };
  }

  /** A message published on a channel this worker subscribed to. */
  deliver(channel: string, data: WireValue): void {
    const handlers = this.#channels.get(channel);
    if (!handlers) return;
    const value = decodeValue(data);
    for (const handler of handlers) {
      try {
        handler(value, channel);
      } catch (error) {
        process.stderr.write(`drover: a subscriber of '${channel}' failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
    }
  }
}
