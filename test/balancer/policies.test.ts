import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// From the build: real workers preload the built runtime.
import { LeastConnections, RoundRobin, Sticky, followPool, keyFromHead, parseStickyKey, type Member } from '../../dist/balancer/index.js';
import { validateAppOptions } from '../../dist/config/index.js';
import { AppOutput } from '../../dist/log/app-output.js';
import { spawnWorker } from '../../dist/supervisor/launcher.js';
import { WorkerPool } from '../../dist/supervisor/worker-pool.js';
import { example } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// The balancer's policies on their own (issue 13, first part): which member each
// policy picks, how sticky keys are read from a request head, and membership kept in
// step with a real pool's lifecycle stream. Not yet on the connection path.

const members = (count: number): Member[] => Array.from({ length: count }, (_, slot) => ({ pid: 1000 + slot, slot }));

describe('policies', () => {
  it('round-robin takes each member in turn', () => {
    const policy = new RoundRobin();
    for (const member of members(3)) policy.add(member);
    const picked = Array.from({ length: 6 }, () => policy.pick({ remoteAddress: '127.0.0.1' })!.slot);
    assert.deepEqual([...new Set(picked)].sort(), [0, 1, 2]);
    assert.deepEqual(picked.slice(0, 3), picked.slice(3));
  });

  it('least-connections takes the member with the fewest open, and spreads ties', () => {
    const policy = new LeastConnections();
    const [a, b, c] = members(3) as [Member, Member, Member];
    for (const member of [a, b, c]) policy.add(member);
    policy.opened(a);
    policy.opened(a);
    policy.opened(b);
    assert.equal(policy.pick({ remoteAddress: undefined }), c);
    policy.opened(c);
    policy.opened(c);
    assert.equal(policy.pick({ remoteAddress: undefined }), b);
    policy.closed(a);
    policy.closed(a);
    assert.equal(policy.pick({ remoteAddress: undefined }), a);
  });

  it('sticky: the same key, the same slot; a slot that goes moves only its own clients; a reload successor takes its slot', () => {
    const policy = new Sticky();
    for (const member of members(4)) policy.add(member);
    const keys = Array.from({ length: 200 }, (_, i) => `127.0.${i >> 8}.${i & 255}`);
    const before = new Map(keys.map((key) => [key, policy.pick({ remoteAddress: key })!.slot]));
    for (const key of keys) assert.equal(policy.pick({ remoteAddress: key })!.slot, before.get(key));
    const perSlot = [0, 1, 2, 3].map((slot) => [...before.values()].filter((s) => s === slot).length);
    assert.ok(Math.min(...perSlot) > 20, `spread over the slots: ${perSlot}`);

    policy.remove({ pid: 1002, slot: 2 });
    const moved = keys.filter((key) => policy.pick({ remoteAddress: key })!.slot !== before.get(key));
    assert.ok(moved.every((key) => before.get(key) === 2), 'only slot 2 clients moved');
    assert.equal(moved.length, perSlot[2]);

    // Slot 2 comes back (a restart, a reload's successor): its clients come back to it.
    policy.add({ pid: 2002, slot: 2 });
    for (const key of keys) assert.equal(policy.pick({ remoteAddress: key })!.slot, before.get(key));
    assert.equal(policy.pick({ remoteAddress: keys.find((key) => before.get(key) === 2) })!.pid, 2002);
    // With a key read from the request (a cookie, a sid), the address does not count; without one, least connections.
    assert.equal(policy.pick({ remoteAddress: '10.0.0.1', key: 'abc' })!.slot, policy.pick({ remoteAddress: '10.0.0.2', key: 'abc' })!.slot);
  });

  it('no member: nothing to pick', () => {
    for (const policy of [new RoundRobin(), new LeastConnections(), new Sticky()]) assert.equal(policy.pick({ remoteAddress: '127.0.0.1' }), undefined);
  });
});

describe('sticky keys', () => {
  const head =
    'GET /socket.io/?EIO=4&transport=polling&sid=Zx9_a-1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2\r\nCookie: a=1; session=s%3Aabc; b=2\r\n\r\nbody';

  it('reads a header (a list by the trusted proxy count), a cookie, or the sid', () => {
    assert.equal(keyFromHead(head, parseStickyKey('header:x-forwarded-for')), '10.0.0.2');
    assert.equal(keyFromHead(head, parseStickyKey('header:X-Forwarded-For'), 2), '203.0.113.7');
    assert.equal(keyFromHead(head, parseStickyKey('cookie:session')), 's%3Aabc');
    assert.equal(keyFromHead(head, parseStickyKey('sid')), 'Zx9_a-1');
    assert.equal(keyFromHead('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n\r\n', parseStickyKey('sid')), undefined, 'a handshake has no sid');
    assert.equal(keyFromHead(head, parseStickyKey('cookie:missing')), undefined);
  });

  it('reads only the head, matching whole names in any case, across repeated headers, and from a head cut short', () => {
    const cookie = parseStickyKey('cookie:session');
    const tricky = 'GET / HTTP/1.1\r\nX-Session: no\r\ncookie: sessionx=no; xsession=no\r\nCOOKIE:  session = yes ; c=3\r\n\r\nCookie: session=body';
    assert.equal(keyFromHead(tricky, cookie), 'yes');
    assert.equal(keyFromHead('GET / HTTP/1.1\r\nHost: x\r\n\r\nCookie: session=body', cookie), undefined, 'not from the body');
    assert.equal(keyFromHead('GET / HTTP/1.1\r\nCookie: session=early', cookie), 'early', 'a head cut at the read limit');
    assert.equal(keyFromHead('GET / HTTP/1.1\r\nCookie: session=', cookie), undefined, 'an empty value is no key');
    const forwarded = parseStickyKey('header:x-forwarded-for');
    assert.equal(keyFromHead('GET / HTTP/1.1\r\nX-Forwarded-For-Not: 1.1.1.1\r\nx-forwarded-for: 9.9.9.9\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n', forwarded), '8.8.8.8');
    assert.equal(keyFromHead('GET / HTTP/1.1\r\nHost: x\r\n\r\n', forwarded), undefined);
    assert.equal(keyFromHead('GET /?a=1&sid=abc HTTP/1.1\r\nReferer: /?sid=other\r\n\r\n', parseStickyKey('sid')), 'abc');
    assert.equal(keyFromHead('GET /?a=1 HTTP/1.1\r\nReferer: /?sid=other\r\n\r\n', parseStickyKey('sid')), undefined, 'the sid is read from the request line only');
  });

  it('a bad sticky_key names the choices', () => {
    for (const bad of ['cookie', 'header:', 'hash', 'header:a b']) {
      assert.throws(() => parseStickyKey(bad), { message: `sticky_key: expected 'ip', 'header:<name>', 'cookie:<name>' or 'sid', got '${bad}'` });
    }
  });
});

describe('membership', () => {
  it("follows a real pool: a worker joins when ready, a reload's new worker beside the old (a surge's only at its promotion), the old leaves when it drains", async () => {
    const app = validateAppOptions({ script: example('hello/server.js'), name: 'members', instances: 2, env: { PORT: String(await freePort()) }, stats_interval: 0 });
    const output = new AppOutput(app);
    output.open(2);
    const pool = new WorkerPool(() => app, { launch: (slot, pipe) => spawnWorker(app, slot, pipe) }, output);
    pool.count = 2;
    const policy = new LeastConnections();
    const added: number[] = [];
    const removed: number[] = [];
    const [add, remove] = [policy.add.bind(policy), policy.remove.bind(policy)];
    policy.add = (member) => (added.push(member.pid), add(member));
    policy.remove = (member) => (removed.push(member.pid), remove(member));
    let surge = false;
    followPool(pool, policy, { candidatesWait: () => surge });
    try {
      const [w0, w1] = await pool.forkSlots([0, 1], () => true);
      assert.deepEqual(await Promise.all([pool.whenUp(w0!), pool.whenUp(w1!)]), [{ ok: true }, { ok: true }]);
      assert.deepEqual(added.sort(), [w0!.pid, w1!.pid].sort());
      const candidate = pool.spawn(0, 'candidate');
      assert.deepEqual(await pool.whenUp(candidate), { ok: true });
      assert.ok(added.includes(candidate.pid), 'the new worker takes traffic once ready');
      const old = pool.promote(candidate)!;
      const gone = new Promise((resolve) => pool.on('exit', (worker) => worker === old && resolve(undefined)));
      pool.drain(old, 'reload');
      assert.deepEqual(removed, [old.pid], 'the old one left as it began to drain');
      await gone;
      assert.deepEqual(removed, [old.pid]);
      // A surge reload's new worker waits for its promotion.
      surge = true;
      const held = pool.spawn(1, 'candidate');
      assert.deepEqual(await pool.whenUp(held), { ok: true });
      assert.ok(!added.includes(held.pid), 'a surge candidate takes no traffic while up but not promoted');
      const replaced = pool.promote(held)!;
      assert.ok(added.includes(held.pid), 'it joins at its promotion');
      pool.drain(replaced, 'reload');
      assert.ok(removed.includes(replaced.pid));
    } finally {
      for (const worker of pool.live()) pool.kill(worker, 'forced');
      await output.close();
    }
  });
});
