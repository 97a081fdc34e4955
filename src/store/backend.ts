import type { StoreAnswer, StoreCall, WireValue } from '../ipc/messages.js';

// What a store backend does: the embedded one in the supervisor's memory, or Redis.
// Both keep values as WireValues (a safe integer, or a v8-serialized value in base64)
// and have the same semantics; the store test suite runs against both.

/** Where a store is: what `drover ls` and `describe` show. */
export interface StoreState {
  backend: 'embedded' | 'redis';
  /** ready; connecting (Redis, before its first connection); unavailable (Redis down: operations fail with DROVER_E_STORE_UNAVAILABLE). */
  state: 'ready' | 'connecting' | 'unavailable';
  /** Redis: the server, its password masked. */
  url?: string;
  /** Why it is unavailable, and since when (ms since the epoch). */
  error?: string;
  since?: number;
  /** Embedded: keys held, bytes counted against store_max_memory, keys evicted to make room. */
  keys?: number;
  bytes?: number;
  maxBytes?: number;
  evicted?: number;
  /** Embedded with store_file: where it is saved, and when it was last. */
  file?: string;
  savedAt?: number;
}

export interface StoreBackend {
  /** Set by the owner: a message published on a channel this backend subscribed to. */
  onMessage: (channel: string, data: WireValue) => void;
  get(key: string): Promise<WireValue | undefined>;
  /** Replace the value; a ttl (ms) makes it expire, none removes an earlier one (as Redis SET). */
  set(key: string, value: WireValue, ttl: number | undefined): Promise<void>;
  /** Whether the key was there. */
  del(key: string): Promise<boolean>;
  /** Add `by` to an integer value (0 if missing), keeping its ttl; the new value. */
  incr(key: string, by: number): Promise<number>;
  /** Whether the key was there to expire. */
  expire(key: string, ttl: number): Promise<boolean>;
  /** Every key that starts with `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;
  publish(channel: string, data: WireValue): Promise<void>;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  state(): StoreState;
  close(): Promise<void>;
}

/** Run one call on a backend: what the supervisor does for a worker, and a store outside drover for itself. */
export async function execute(backend: StoreBackend, call: StoreCall): Promise<StoreAnswer> {
  switch (call.op) {
    case 'get':
      return backend.get(call.key);
    case 'set':
      await backend.set(call.key, call.value, call.ttl);
      return undefined;
    case 'del':
      return backend.del(call.key);
    case 'incr':
      return backend.incr(call.key, call.by);
    case 'expire':
      return backend.expire(call.key, call.ttl);
    case 'keys':
      return backend.keys(call.prefix);
    case 'publish':
      await backend.publish(call.channel, call.data);
      return undefined;
    case 'subscribe':
      await backend.subscribe(call.channel);
      return undefined;
    case 'unsubscribe':
      await backend.unsubscribe(call.channel);
      return undefined;
  }
}
