import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDrover, sleep } from '../helpers/drover-process.js';
import { startRedis } from '../helpers/redis.js';
import { startSharedApp, type SharedApp } from '../helpers/shared-app.js';

// The store from real workers of a real supervisor (test/fixtures/apps/shared.cjs), on
// both backends: embedded in the supervisor, and on a real redis-server.

type Coded = { ok: false; code: string; message: string };

// Two workers each incr the same key 10 000 times at once: exactly 20 000.
async function incrFromBoth(app: SharedApp, key: string): Promise<void> {
  // Two requests on two new connections: round-robin gives one to each worker (retried until it has).
  for (let attempt = 0; attempt < 5; attempt++) {
    const results = await Promise.all([app.call<{ slot: number }>(`/incr?key=${key}&n=10000`), app.call<{ slot: number }>(`/incr?key=${key}&n=10000`)]);
    if (new Set(results.map((result) => result.slot)).size === 2) return;
    await app.call(`/del?key=${key}`); // Both went to one worker: again, from a clean count.
  }
  assert.fail('both incr batches went to one worker five times in a row');
}

// The fixture under a supervisor on `backend` (a redis-server of its own for 'redis'), stopped after `body`.
async function withApp(name: string, workers: number, backend: 'embedded' | 'redis', body: (app: SharedApp) => Promise<void>): Promise<void> {
  const redis = backend === 'redis' ? await startRedis() : undefined;
  const app = await startSharedApp(name, workers, redis ? { DROVER_REDIS_URL: redis.url } : {});
  try {
    await body(app);
  } finally {
    app.drover.signal('SIGTERM');
    await app.drover.exited;
  }
}

for (const backend of ['embedded', 'redis'] as const) {
  describe(`the store from 2 workers, ${backend}`, () => {
    it('2 workers x 10 000 incr = exactly 20 000; values survive a worker crash and a rolling reload', () =>
      withApp(`store-${backend}`, 2, backend, async (app) => {
        await app.call('/set?key=hits&value=0');
        // set() with a string '0' makes the key a string: incr refuses it, clearly.
        const refused = await app.call<Coded>('/incr?key=hits&n=1');
        assert.equal(refused.code, 'DROVER_E_STORE_TYPE');
        await incrFromBoth(app, 'count');
        assert.equal((await app.call<{ value: number }>('/get?key=count')).value, 20_000);

        // A worker crashes (the 'exit' handler), then every worker is replaced by a reload: the store stays.
        await app.call('/request?topic=exit&timeout=10000');
        app.drover.signal('SIGUSR2');
        await app.drover.waitForOutput(/reload done/, 20_000);
        assert.equal((await app.call<{ value: number }>('/get?key=count')).value, 20_000);
        const status = await app.status();
        assert.equal(status.store?.backend, backend);
        assert.equal(status.store?.state, 'ready');
      }));

    it('bad input: a function as a value, a key over 1024 bytes, a negative ttl: one coded message each, nothing lost', () =>
      withApp(`bad-${backend}`, 1, backend, async (app) => {
        await app.call('/set?key=keep&value=me');
        const fn = await app.call<Coded>('/bad?what=function');
        assert.equal(fn.code, 'DROVER_E_MESSAGE_VALUE');
        assert.match(fn.message, /store\.set\('bad'\): expected structured-clone-able data .* got a function at \.save/);
        const long = await app.call<Coded>('/bad?what=long-key');
        assert.equal(long.code, 'DROVER_E_STORE_KEY');
        assert.match(long.message, /at most 1024 bytes, got a string of 2000 bytes/);
        const ttl = await app.call<Coded>('/bad?what=ttl');
        assert.equal(ttl.code, 'DROVER_E_INVALID_ARGUMENT');
        assert.deepEqual((await app.call<{ keys: string[] }>('/keys')).keys, ['keep']);
        assert.equal((await app.call<{ value: string }>('/get?key=keep')).value, 'me');
      }));
  });
}

describe('the store on Redis, when Redis goes down', () => {
  it('operations fail with DROVER_E_STORE_UNAVAILABLE, the workers keep serving, ls says so, and it reconnects on its own', async () => {
    const redis = await startRedis();
    const app = await startSharedApp('redis-down', 2, { DROVER_REDIS_URL: redis.url });
    try {
      await app.call('/set?key=before&value=1');
      await redis.kill();
      let failed: Coded | undefined;
      for (let i = 0; i < 50 && !failed; i++) {
        const reply = await app.call<Coded & { keys?: string[] }>('/keys');
        if (reply.code) failed = reply;
        else await sleep(100);
      }
      assert.equal(failed?.code, 'DROVER_E_STORE_UNAVAILABLE');
      assert.match(failed!.message, new RegExp(`Redis at redis://127\\.0\\.0\\.1:${redis.port}/?: .*reconnects on its own`));
      // The workers still serve what does not need the store.
      assert.equal((await app.call<{ ok: boolean; value: number }>('/request?topic=double&data=4')).value, 8);
      const down = await app.status();
      assert.equal(down.store?.state, 'unavailable');
      assert.match(String(down.store?.error), /ECONNREFUSED|closed/);
      assert.match((await runDrover(['ls'])).stdout, /redis-down: store redis:\/\/127\.0\.0\.1:\d+\/? unavailable/);

      await redis.start();
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        back = (await app.call<{ ok?: boolean }>('/set?key=after&value=2')).ok === true;
        if (!back) await sleep(100);
      }
      assert.ok(back, 'the store works again once Redis is back');
      assert.equal((await app.status()).store?.state, 'ready');
      assert.match(app.drover.output, /store: Redis at .* is unavailable/);
      assert.match(app.drover.output, /store: Redis at .* is back after/);
    } finally {
      app.drover.signal('SIGTERM');
      await app.drover.exited;
    }
  });
});
