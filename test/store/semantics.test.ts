import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoreBackend } from '../../src/store/backend.js';
import { MemoryBackend } from '../../src/store/memory-backend.js';
import { RedisBackend } from '../../src/store/redis-backend.js';
import type { Store } from '../../src/store/store.js';
import { createLocalLink } from '../../src/worker/local-link.js';
import { sleep } from '../helpers/drover-process.js';
import { startRedis } from '../helpers/redis.js';

// The store's semantics, one suite run against both backends: the embedded one and a
// real redis-server. Through the same Store the worker API uses (here on a backend in
// this process; the workers' tests cover the channel to the supervisor).

const MiB = 1024 * 1024;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const backends: Record<string, () => Promise<StoreBackend>> = {
  embedded: async () => new MemoryBackend(() => 64 * MiB),
  redis: async () => {
    const redis = await startRedis();
    const backend = await RedisBackend.open(redis.url, 'drover:semantics:');
    for (let i = 0; i < 100 && backend.state().state !== 'ready'; i++) await sleep(20);
    return backend;
  },
};

for (const [name, open] of Object.entries(backends)) {
  describe(`store semantics, ${name}`, () => {
    let backend: StoreBackend;
    let store: Store;
    before(async () => {
      backend = await open();
      store = createLocalLink(Promise.resolve(backend)).store;
    });
    after(() => backend.close());

    it('get/set/del: structured clones in, copies out; a missing key is undefined', async () => {
      const value = { when: new Date(0), tags: new Set(['a']), map: new Map([[1, 'one']]), bytes: Buffer.from('hi'), nested: [null, 1.5, 'x'] };
      await store.set('v', value);
      const copy = (await store.get('v')) as typeof value;
      assert.deepEqual(copy.nested, value.nested);
      assert.ok(copy.when instanceof Date && copy.when.getTime() === 0);
      assert.deepEqual([...copy.tags], ['a']);
      assert.equal(copy.map.get(1), 'one');
      assert.equal(Buffer.from(copy.bytes).toString(), 'hi');
      assert.equal(await store.get('missing'), undefined);
      assert.equal(await store.del('v'), true);
      assert.equal(await store.del('v'), false);
      assert.equal(await store.get('v'), undefined);
    });

    it('incr is atomic and counts from 0; it keeps a ttl; a string is refused with DROVER_E_STORE_TYPE', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, () => store.incr('n')));
      assert.equal(new Set(results).size, 200);
      assert.equal(await store.get('n'), 200);
      assert.equal(await store.incr('n', -50), 150);
      await store.set('n2', 5);
      assert.equal(await store.incr('n2', 2), 7);
      await store.set('text', 'five');
      assert.equal(await codeOf(store.incr('text')), 'DROVER_E_STORE_TYPE');
      assert.equal(await store.get('text'), 'five');
      await store.set('t', 1, { ttl: 200 });
      await store.incr('t');
      await sleep(300);
      assert.equal(await store.get('t'), undefined, 'incr kept the ttl');
    });

    it('ttl and expire: a key is gone once its time is up; set without a ttl removes it; expire says whether the key was there', async () => {
      await store.set('short', 'x', { ttl: '150ms' });
      await store.set('renewed', 'y', { ttl: 150 });
      await store.set('renewed', 'y');
      assert.equal(await store.expire('nothing', 1000), false);
      await store.set('later', 'z');
      assert.equal(await store.expire('later', 150), true);
      assert.equal(await store.get('short'), 'x');
      await sleep(300);
      assert.equal(await store.get('short'), undefined);
      assert.equal(await store.get('later'), undefined);
      assert.equal(await store.get('renewed'), 'y');
    });

    it('keys(prefix): sorted, expired ones left out, glob characters taken literally', async () => {
      await store.set('user:2', 1);
      await store.set('user:1', 1);
      await store.set('user:*', 1);
      await store.set('user:gone', 1, { ttl: 50 });
      await store.set('other', 1);
      await sleep(100);
      assert.deepEqual(await store.keys('user:'), ['user:*', 'user:1', 'user:2']);
      assert.deepEqual(await store.keys('user:*'), ['user:*']);
    });

    it('publish/subscribe: every subscriber gets each message once; unsubscribe stops them', async () => {
      const heard: unknown[] = [];
      const unsubscribe = await store.subscribe('news', (data) => heard.push(data));
      await store.publish('news', { id: 1 });
      await store.publish('other', { id: 2 });
      for (let i = 0; i < 50 && heard.length < 1; i++) await sleep(20);
      await sleep(50);
      assert.deepEqual(heard, [{ id: 1 }]);
      await unsubscribe();
      await store.publish('news', { id: 3 });
      await sleep(100);
      assert.deepEqual(heard, [{ id: 1 }]);
    });

    it('bad input: a function, a long key, a bad ttl or channel: one coded error each, the store unchanged', async () => {
      await store.set('keep', 'me');
      assert.equal(await codeOf(store.set('keep', () => 1)), 'DROVER_E_MESSAGE_VALUE');
      assert.equal(await codeOf(store.set('x'.repeat(1025), 1)), 'DROVER_E_STORE_KEY');
      assert.equal(await codeOf(store.set('é'.repeat(600), 1)), 'DROVER_E_STORE_KEY', '1200 bytes in UTF-8');
      assert.equal(await codeOf(store.set('keep', 1, { ttl: 0 })), 'DROVER_E_INVALID_ARGUMENT');
      assert.equal(await codeOf(store.incr('keep', 1.5)), 'DROVER_E_INVALID_ARGUMENT');
      assert.equal(await codeOf(store.publish('', 1)), 'DROVER_E_INVALID_ARGUMENT');
      assert.equal(await codeOf(store.set('big', Buffer.alloc(2 * MiB))), 'DROVER_E_MESSAGE_VALUE');
      assert.equal(await store.get('keep'), 'me');
      assert.equal(await store.get('big'), undefined);
    });
  });
}

describe('the embedded store at store_max_memory', () => {
  it('evicts keys with a TTL, soonest to expire first, never one without; DROVER_E_STORE_FULL when nothing is left to evict', async () => {
    const backend = new MemoryBackend(() => 4096);
    const { store } = createLocalLink(Promise.resolve(backend));
    await store.set('config', 'x'.repeat(1000));
    for (let i = 0; i < 10; i++) await store.set(`cache:${i}`, 'y'.repeat(100), { ttl: 60_000 + i * 1000 });
    const before = await store.keys('cache:');
    await store.set('big', 'z'.repeat(1500), { ttl: 120_000 });
    const after = await store.keys('cache:');
    assert.ok(after.length < before.length, 'some cache entries were evicted');
    assert.deepEqual(after, before.slice(before.length - after.length), 'the soonest to expire went first');
    assert.ok(backend.state().evicted! > 0);
    assert.equal((await store.get('config')) !== undefined, true, 'the key without a TTL stayed');
    // Keys without a TTL fill it: a write that does not fit fails, and nothing is lost.
    assert.equal(await codeOf(store.set('huge', 'w'.repeat(5000))), 'DROVER_E_STORE_FULL');
    await store.set('config2', 'c'.repeat(1400));
    assert.equal(await codeOf(store.set('config3', 'c'.repeat(1400))), 'DROVER_E_STORE_FULL');
    assert.equal(typeof (await store.get('config')), 'string');
    assert.ok(backend.state().bytes! <= 4096);
    await backend.close();
  });
});
