import { formatBytes } from '../config/units.js';
import { DroverError } from '../errors/index.js';
import type { WireValue } from '../ipc/messages.js';
import type { StoreBackend, StoreState } from './backend.js';
import { ExpiryHeap, type Expiry } from './expiry-heap.js';

// The embedded store: a Map in the supervisor's memory, so that it outlives every
// worker (crashes, reloads) without a server to run. Bounded by store_max_memory: when
// a write would pass it, the keys with a TTL are evicted, soonest to expire first
// (Redis's volatile-ttl), and a write that still does not fit fails with
// DROVER_E_STORE_FULL. Keys without a TTL (counters, settings) are never evicted.

/**
 * Bytes counted per key on top of its key and value: the Map's slot, the entry record,
 * the strings' headers, and for a key with a TTL its expiry record. Measured after a
 * full GC with 100 000 small keys: 150 bytes a key without a TTL, 230 with one
 * (key and value of 30 bytes included); this is their middle.
 */
export const ENTRY_OVERHEAD_BYTES = 160;

/** How often expired keys are swept out (reads never see them either way). */
const SWEEP_INTERVAL_MS = 1000;

interface Entry {
  value: WireValue;
  /** ms since the epoch; 0: no TTL. */
  expiresAt: number;
}

/** A key as store_file keeps it. */
export type StoredEntry = [key: string, value: WireValue, expiresAt: number];

const sizeOf = (key: string, value: WireValue) => key.length + (typeof value === 'number' ? 8 : value.length) + ENTRY_OVERHEAD_BYTES;

export class MemoryBackend implements StoreBackend {
  onMessage: (channel: string, data: WireValue) => void = () => undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #expiries = new ExpiryHeap();
  readonly #subscribed = new Set<string>();
  readonly #maxBytes: () => number;
  #withTtl = 0;
  #bytes = 0;
  #evicted = 0;
  #sweeper: NodeJS.Timeout | undefined;
  /** Bumped by every change: store_file saves when it moved. */
  changes = 0;

  /** `maxBytes` is read at each write: a config update may change store_max_memory. */
  constructor(maxBytes: () => number) {
    this.#maxBytes = maxBytes;
  }

  async get(key: string): Promise<WireValue | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: WireValue, ttl: number | undefined): Promise<void> {
    const old = this.#live(key);
    const size = sizeOf(key, value);
    this.#makeRoom(size - (old ? sizeOf(key, old.value) : 0), size, key);
    if (old) this.#forget(key, old);
    this.#put(key, { value, expiresAt: ttl === undefined ? 0 : Date.now() + ttl });
  }

  async del(key: string): Promise<boolean> {
    const entry = this.#live(key);
    if (entry) this.#forget(key, entry);
    this.changes += 1;
    return entry !== undefined;
  }

  async incr(key: string, by: number): Promise<number> {
    const entry = this.#live(key);
    if (entry && typeof entry.value !== 'number') {
      throw new DroverError('DROVER_E_STORE_TYPE', `store.incr('${key}'): its value is not an integer; count in a key of its own`);
    }
    const next = (entry ? (entry.value as number) : 0) + by;
    if (!Number.isSafeInteger(next)) throw new DroverError('DROVER_E_STORE_TYPE', `store.incr('${key}'): ${next} is past 2^53 - 1, the largest exact integer`);
    if (entry) {
      entry.value = next;
      this.changes += 1;
    } else {
      const size = sizeOf(key, next);
      this.#makeRoom(size, size, key);
      this.#put(key, { value: next, expiresAt: 0 });
    }
    return next;
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    const entry = this.#live(key);
    if (!entry) return false;
    if (entry.expiresAt === 0) this.#withTtl += 1;
    entry.expiresAt = Date.now() + ttl;
    this.#track(key, entry.expiresAt);
    this.changes += 1;
    return true;
  }

  async keys(prefix: string): Promise<string[]> {
    const now = Date.now();
    const keys: string[] = [];
    for (const [key, entry] of this.#entries) if (key.startsWith(prefix) && (entry.expiresAt === 0 || entry.expiresAt > now)) keys.push(key);
    return keys.sort();
  }

  async publish(channel: string, data: WireValue): Promise<void> {
    // Delivered after the publisher's call returns, as a Redis server would.
    if (this.#subscribed.has(channel)) queueMicrotask(() => this.onMessage(channel, data));
  }

  async subscribe(channel: string): Promise<void> {
    this.#subscribed.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.#subscribed.delete(channel);
  }

  state(): StoreState {
    return { backend: 'embedded', state: 'ready', keys: this.#entries.size, bytes: this.#bytes, maxBytes: this.#maxBytes(), evicted: this.#evicted };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Every live key, for store_file. */
  *entries(): Generator<StoredEntry> {
    const now = Date.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt === 0 || entry.expiresAt > now) yield [key, entry.value, entry.expiresAt];
  }

  /** Keys read back from store_file; those expired meanwhile, or past the memory bound, are left out (how many is returned). */
  load(entries: Iterable<StoredEntry>): number {
    const now = Date.now();
    let skipped = 0;
    for (const [key, value, expiresAt] of entries) {
      if ((expiresAt !== 0 && expiresAt <= now) || this.#bytes + sizeOf(key, value) > this.#maxBytes()) skipped += 1;
      else this.#put(key, { value, expiresAt });
    }
    return skipped;
  }

  // The entry, unless it has expired (then it goes now: reads never see an expired key).
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt === 0 || entry.expiresAt > Date.now()) return entry;
    this.#forget(key, entry);
    return undefined;
  }

  #put(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
    this.#bytes += sizeOf(key, entry.value);
    if (entry.expiresAt !== 0) {
      this.#withTtl += 1;
      this.#track(key, entry.expiresAt);
    }
    this.changes += 1;
  }

  #forget(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= sizeOf(key, entry.value);
    if (entry.expiresAt !== 0) this.#withTtl -= 1;
    this.changes += 1;
  }

  #track(key: string, at: number): void {
    this.#expiries.push({ at, key });
    // A key's ttl renewed on every request (sessions) leaves stale entries behind: drop them once they outnumber the live.
    if (this.#expiries.size > 2 * this.#withTtl + 1024) this.#expiries.compact((item) => this.#isCurrent(item));
    this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS).unref();
  }

  #isCurrent(item: Expiry): boolean {
    return this.#entries.get(item.key)?.expiresAt === item.at;
  }

  #sweep(): void {
    const now = Date.now();
    for (let top = this.#expiries.peek(); top && top.at <= now; top = this.#expiries.peek()) {
      this.#expiries.pop();
      const entry = this.#entries.get(top.key);
      if (entry && entry.expiresAt === top.at) this.#forget(top.key, entry);
    }
    if (this.#expiries.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  // Room for `growth` more bytes (a new entry of `size`): evict keys with a TTL, soonest
  // to expire first, but never `key` itself; DROVER_E_STORE_FULL when that is not enough.
  #makeRoom(growth: number, size: number, key: string): void {
    const max = this.#maxBytes();
    if (this.#bytes + growth <= max) return;
    const full = () =>
      new DroverError(
        'DROVER_E_STORE_FULL',
        `the store is full: '${key}' needs ${formatBytes(size)} and ${formatBytes(this.#bytes)} of store_max_memory ${formatBytes(max)} is taken by keys without a TTL, which are never evicted; raise store_max_memory, give cache entries a ttl, or del keys no longer needed`,
      );
    if (size > max) throw full();
    const skipped: Expiry[] = [];
    try {
      while (this.#bytes + growth > max) {
        const top = this.#expiries.pop();
        if (!top) throw full();
        if (!this.#isCurrent(top)) continue;
        if (top.key === key) {
          skipped.push(top);
          continue;
        }
        this.#forget(top.key, this.#entries.get(top.key)!);
        this.#evicted += 1;
      }
    } finally {
      for (const item of skipped) this.#expiries.push(item);
    }
  }
}
