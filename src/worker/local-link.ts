import path from 'node:path';
import { Bus } from '../bus/bus.js';
import { DroverError } from '../errors/index.js';
import { execute, type StoreBackend } from '../store/backend.js';
import { MemoryBackend } from '../store/memory-backend.js';
import { checkRedisUrl } from '../store/redis-url.js';
import { Store } from '../store/store.js';
import type { WorkerLink } from './link.js';

// drover/worker outside drover (`node server.js`, a test runner): the store lives in
// this process (embedded, bounded by 64 MiB), or on Redis when DROVER_REDIS_URL is set,
// and the bus has no other worker to reach. Loaded only then (a bundle of its own).

const LOCAL_MAX_BYTES = 64 * 1024 * 1024;

/** A link whose store runs on `backend` (by default: Redis from DROVER_REDIS_URL, else in memory). */
export function createLocalLink(backend: Promise<StoreBackend> = defaultBackend()): WorkerLink {
  const store: Store = new Store({ call: async (call) => execute(await opened, call) });
  const opened = backend.then((ready) => {
    ready.onMessage = (channel, data) => store.deliver(channel, data);
    return ready;
  });
  const bus = new Bus({
    post: () => undefined, // No other worker to reach.
    request: async (topic) => {
      throw new DroverError('DROVER_E_NO_RESPONDER', `request('${topic}'): this process is not a drover worker, so no other worker can answer`);
    },
    listen: () => undefined,
    answer: () => undefined,
  });
  return { bus, store };
}

async function defaultBackend(): Promise<StoreBackend> {
  const url = process.env.DROVER_REDIS_URL;
  if (!url) return new MemoryBackend(() => LOCAL_MAX_BYTES);
  checkRedisUrl(url, 'DROVER_REDIS_URL');
  const { RedisBackend } = await import('../store/redis-backend.js');
  const name = process.env.DROVER_APP_NAME ?? path.basename(process.argv[1] ?? 'app').replace(/\.[^.]+$/, '');
  return RedisBackend.open(url, `drover:${name}:`);
}
