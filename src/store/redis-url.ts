import { InvalidOptionError } from '../errors/index.js';

/** A Redis URL as ioredis takes it: redis:// (or rediss:// for TLS), a host, an optional port, password and database. */
export function checkRedisUrl(url: unknown, field: string): string {
  const expected = `expected a Redis URL like 'redis://127.0.0.1:6379' (rediss:// for TLS; 'redis://:password@host:6379/0' with a password and database)`;
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  const ok = parsed && (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '' && /^\/?\d*$/.test(parsed.pathname);
  if (ok) return url as string;
  const got = typeof url === 'string' ? `'${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}'` : typeof url;
  throw new InvalidOptionError([`${field}: ${expected}, got ${got}`]);
}
