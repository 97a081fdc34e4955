// An express-session store on drover's store: every worker sees every session, across
// crashes and reloads (embedded), or across hosts (Redis), with one line changed:
//   const { SessionStore } = require('drover/session');
//   app.use(session({ store: new SessionStore(), secret, resave: false, saveUninitialized: false }));
// CommonJS, so that apps of either kind load it. It extends express-session's own Store
// (found from the app: express-session is the app's dependency, not drover's), which
// gives it regenerate, load and createSession; without express-session (Fastify's and
// Koa's session plugins take an object with get, set and destroy) it is an EventEmitter.

import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { SessionData, Store as ExpressStore } from 'express-session';
import { store } from '../worker/api.cjs';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/** A session as the store keeps it: what express-session gives, cookie included. */
type Session = SessionData & { cookie?: { expires?: Date | string | null; maxAge?: number | null; originalMaxAge?: number | null } };

export interface SessionStoreOptions {
  /** Keys are `<prefix><session id>`; default 'sess:', as connect-redis. */
  prefix?: string;
  /** Time to live of a session whose cookie has no expiry (a browser-session cookie), ms; default one day. */
  ttl?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

// express-session's Store, from where the app is (drover may be installed elsewhere).
function storeBase(): new () => EventEmitter {
  const from = [__filename, path.join(process.cwd(), 'noop.js'), require.main?.filename].filter((file): file is string => file !== undefined);
  for (const file of from) {
    try {
      return (createRequire(file)('express-session') as { Store: new () => EventEmitter }).Store;
    } catch {
      // Not there: try the next place.
    }
  }
  return EventEmitter;
}

const Base = storeBase() as unknown as new () => ExpressStore;

/** An express-session Store on drover's shared store (get, set, destroy, touch, length, clear; TTL from the cookie). */
export class SessionStore extends Base {
  readonly #prefix: string;
  readonly #ttl: number;

  constructor(options: SessionStoreOptions = {}) {
    super();
    this.#prefix = options.prefix ?? 'sess:';
    this.#ttl = options.ttl ?? DAY_MS;
  }

  override get(sid: string, callback: Callback<Session | null>): void {
    settle(store.get(this.#prefix + sid).then((json) => (typeof json === 'string' ? (JSON.parse(json) as Session) : null)), callback);
  }

  override set(sid: string, session: Session, callback?: Callback): void {
    const ttl = this.#ttlOf(session);
    // As JSON, the form every express-session store keeps (the cookie's toJSON included).
    const write = ttl > 0 ? store.set(this.#prefix + sid, JSON.stringify(session), { ttl }) : store.del(this.#prefix + sid).then(() => undefined);
    settle(write, callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    settle(store.del(this.#prefix + sid).then(() => undefined), callback);
  }

  // express-session calls it for a session it did not save, to keep it alive (rolling, resave false).
  override touch(sid: string, session: Session, callback?: () => void): void {
    settle(store.expire(this.#prefix + sid, Math.max(1, this.#ttlOf(session))).then(() => undefined), callback as Callback | undefined);
  }

  override length(callback: Callback<number>): void {
    settle(store.keys(this.#prefix).then((keys) => keys.length), callback);
  }

  override clear(callback?: Callback): void {
    settle(store.keys(this.#prefix).then(async (keys) => void (await Promise.all(keys.map((key) => store.del(key))))), callback);
  }

  // The cookie's expiry, else its max age, else the default.
  #ttlOf(session: Session): number {
    const expires = session.cookie?.expires;
    if (expires) return new Date(expires).getTime() - Date.now();
    const maxAge = session.cookie?.maxAge ?? session.cookie?.originalMaxAge;
    return typeof maxAge === 'number' ? maxAge : this.#ttl;
  }
}

function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): void {
  promise.then(
    (value) => callback?.(undefined, value),
    (error: unknown) => callback?.(error),
  );
}
