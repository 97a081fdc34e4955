import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { maskUrlPassword } from '../config/mask-env.js';
import { DroverError, isDroverError } from '../errors/index.js';
import type { WireValue } from '../ipc/messages.js';
import { encodeValue, isSerialized } from '../ipc/values.js';
import type { StoreBackend, StoreState } from './backend.js';

// The store on Redis, through ioredis (loaded only here, and this module only when an
// app configures Redis), with the embedded store's semantics: the store test suite runs
// against both. Keys and channels are prefixed with the app's namespace, so that the
// same app on several hosts shares them and other apps on the same server do not.
//
// Values: a safe integer is kept as its decimal text, so that INCRBY counts it; anything
// else as its v8-serialized bytes, which start with 0xFF and so are never mistaken for a
// number. Text another client wrote is read back as a string.
//
// Redis down: ioredis's offline queue is off, so an operation fails at once with
// DROVER_E_STORE_UNAVAILABLE instead of waiting; ioredis reconnects on its own (every
// 0.1 to 2 s), and state() says what is going on.

/** How long one operation may wait for Redis's answer. */
const COMMAND_TIMEOUT_MS = 2000;

/** Load ioredis (a dependency, loaded only for an app that uses Redis). */
async function loadIoredis(): Promise<typeof import('ioredis').Redis> {
  try {
    return (await import('ioredis')).Redis;
  } catch (error) {
    throw new DroverError('DROVER_E_STORE_UNAVAILABLE', `the store is on Redis, and ioredis cannot be loaded (${(error as Error).message}); npm install ioredis where drover is installed`, { cause: error });
  }
}

export class RedisBackend implements StoreBackend {
  onMessage: (channel: string, data: WireValue) => void = () => undefined;
  readonly #url: string;
  readonly #namespace: string;
  readonly #client: RedisClient;
  readonly #Redis: typeof import('ioredis').Redis;
  #subscriber: RedisClient | undefined;
  #state: StoreState['state'] = 'connecting';
  #error: string | undefined;
  #since = Date.now();
  // close() was called: the connection's end is no news.
  #closing = false;
  readonly #onChange: (state: StoreState) => void;

  /** Connect (in the background) to `url`; keys and channels go under `namespace`. `onChange` hears it go down and come back. */
  static async open(url: string, namespace: string, onChange: (state: StoreState) => void = () => undefined): Promise<RedisBackend> {
    return new RedisBackend(await loadIoredis(), url, namespace, onChange);
  }

  private constructor(Redis: typeof import('ioredis').Redis, url: string, namespace: string, onChange: (state: StoreState) => void) {
    this.#Redis = Redis;
    this.#url = url;
    this.#namespace = namespace;
    this.#onChange = onChange;
    this.#client = this.#connect();
    this.#client.on('ready', () => this.#set('ready', undefined));
    this.#client.on('error', (error: Error) => this.#set(this.#state === 'connecting' ? 'connecting' : 'unavailable', describeRedisError(error)));
    this.#client.on('close', () => this.#state === 'ready' && this.#set('unavailable', this.#error ?? 'the connection closed'));
  }

  #connect(): RedisClient {
    const options: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      // Reconnect for ever, soon at first, then every 2 s.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
      lazyConnect: false,
    };
    return new this.#Redis(this.#url, options);
  }

  #set(state: StoreState['state'], error: string | undefined): void {
    if (this.#closing) return;
    const changed = state !== this.#state;
    if (changed) this.#since = Date.now();
    this.#state = state;
    if (error !== undefined || state === 'ready') this.#error = error;
    if (changed) this.#onChange(this.state());
  }

  state(): StoreState {
    return {
      backend: 'redis',
      state: this.#state,
      url: maskUrlPassword(this.#url),
      since: this.#since,
      ...(this.#state !== 'ready' && this.#error ? { error: this.#error } : {}),
    };
  }

  async get(key: string): Promise<WireValue | undefined> {
    const bytes = await this.#run(() => this.#client.getBuffer(this.#key(key)));
    return bytes === null ? undefined : fromRedis(bytes);
  }

  async set(key: string, value: WireValue, ttl: number | undefined): Promise<void> {
    const bytes = toRedis(value);
    await this.#run(() => (ttl === undefined ? this.#client.set(this.#key(key), bytes) : this.#client.set(this.#key(key), bytes, 'PX', ttl)));
  }

  async del(key: string): Promise<boolean> {
    return (await this.#run(() => this.#client.del(this.#key(key)))) > 0;
  }

  async incr(key: string, by: number): Promise<number> {
    const next = await this.#run(() => this.#client.incrby(this.#key(key), by), key);
    if (!Number.isSafeInteger(next)) throw new DroverError('DROVER_E_STORE_TYPE', `store.incr('${key}'): ${next} is past 2^53 - 1, the largest exact integer`);
    return next;
  }

  async expire(key: string, ttl: number): Promise<boolean> {
    return (await this.#run(() => this.#client.pexpire(this.#key(key), ttl))) === 1;
  }

  async keys(prefix: string): Promise<string[]> {
    const pattern = `${escapeGlob(this.#key(prefix))}*`;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.#run(() => this.#client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
      for (const key of batch) keys.add(key.slice(this.#namespace.length));
      cursor = next;
    } while (cursor !== '0');
    return [...keys].sort();
  }

  async publish(channel: string, data: WireValue): Promise<void> {
    await this.#run(() => this.#client.publish(this.#key(channel), toRedis(data)));
  }

  // A connection in subscriber mode takes no other command: pub/sub has its own, made
  // on the first subscribe; ioredis subscribes it again after a reconnection.
  async subscribe(channel: string): Promise<void> {
    if (!this.#subscriber) {
      const subscriber = this.#client.duplicate({ enableOfflineQueue: true });
      subscriber.on('error', () => undefined); // The main connection reports the state.
      subscriber.on('messageBuffer', (name: Buffer, message: Buffer) => {
        const text = name.toString();
        if (text.startsWith(this.#namespace)) this.onMessage(text.slice(this.#namespace.length), fromRedis(message));
      });
      this.#subscriber = subscriber;
    }
    const subscriber = this.#subscriber;
    await this.#run(() => subscriber.subscribe(this.#key(channel)));
  }

  async unsubscribe(channel: string): Promise<void> {
    const subscriber = this.#subscriber;
    if (subscriber) await this.#run(() => subscriber.unsubscribe(this.#key(channel)));
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const client of [this.#client, this.#subscriber]) client?.disconnect();
  }

  #key(key: string): string {
    return `${this.#namespace}${key}`;
  }

  // One operation, its failures turned into drover's codes.
  async #run<T>(operation: () => Promise<T>, key?: string): Promise<T> {
    if (this.#state !== 'ready') throw this.#unavailable(undefined);
    try {
      return await operation();
    } catch (error) {
      if (isDroverError(error)) throw error;
      const message = (error as Error).message;
      if (/not an integer|out of range/i.test(message)) {
        throw new DroverError('DROVER_E_STORE_TYPE', `store.incr('${key}'): its value is not an integer; count in a key of its own`);
      }
      if (/^OOM\b/.test(message)) {
        throw new DroverError('DROVER_E_STORE_FULL', `the store is full: Redis (${maskUrlPassword(this.#url)}) refused the write at its maxmemory (${message}); raise maxmemory, or give keys a ttl`);
      }
      throw this.#unavailable(describeRedisError(error as Error));
    }
  }

  #unavailable(cause: string | undefined): DroverError {
    const why = cause ?? this.#error ?? (this.#state === 'connecting' ? 'not connected yet' : 'the connection is down');
    return new DroverError(
      'DROVER_E_STORE_UNAVAILABLE',
      `the store is unavailable: Redis at ${maskUrlPassword(this.#url)}: ${why}; nothing was changed, and drover reconnects on its own (drover ls shows the store's state)`,
    );
  }
}

/** A WireValue as Redis keeps it: a number as its text, anything else as its serialized bytes. */
function toRedis(value: WireValue): string | Buffer {
  return typeof value === 'number' ? String(value) : Buffer.from(value, 'base64');
}

function fromRedis(bytes: Buffer): WireValue {
  if (isSerialized(bytes)) return bytes.toString('base64');
  const text = bytes.toString('utf8');
  // An integer INCRBY counted or set() wrote; any other text came from another client.
  if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return encodeValue(text, 'a value read from Redis') as string;
}

// "connect ECONNREFUSED 127.0.0.1:6379", "WRONGPASS invalid username-password pair".
function describeRedisError(error: Error): string {
  return error.message.split('\n', 1)[0]!;
}

// SCAN's MATCH is a glob: a prefix holding * ? [ ] \ matches itself only once escaped.
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
