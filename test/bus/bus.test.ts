import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runDrover, sleep } from '../helpers/drover-process.js';
import { startSharedApp, type SharedApp } from '../helpers/shared-app.js';

// The app's message bus (drover/worker's broadcast, send, request, on) between the real
// workers of one real supervisor: 3 workers of test/fixtures/apps/shared.cjs.

type Answer = { ok: boolean; slot?: number; value?: unknown; code?: string; message?: string };

describe('the message bus, 3 workers', () => {
  let app: SharedApp;
  before(async () => {
    app = await startSharedApp('bus', 3);
  });
  after(async () => {
    app.drover.signal('SIGTERM');
    await app.drover.exited;
  });

  it('a broadcast reaches every other worker exactly once, and not its sender', async () => {
    for (const id of ['a', 'b', 'c']) {
      const { slot } = await app.call<{ slot: number }>(`/broadcast?topic=invalidate&id=${id}`);
      const heard = async () => (await app.call<{ keys: string[] }>(`/keys?prefix=heard:${id}:`)).keys;
      let keys: string[] = [];
      for (let i = 0; i < 100 && keys.length < 2; i++) {
        keys = await heard();
        if (keys.length < 2) await sleep(50);
      }
      // Time for a duplicate, if there were one, to arrive.
      await sleep(300);
      keys = await heard();
      const others = [0, 1, 2].filter((s) => s !== slot);
      assert.deepEqual(keys, others.map((s) => `heard:${id}:${s}`), `broadcast ${id} from worker ${slot}`);
      for (const key of keys) assert.equal((await app.call<{ value: number }>(`/get?key=${key}`)).value, 1, key);
    }
  });

  it('request/reply: another worker answers, in turn; the supervisor answers drover:workers', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await app.call<Answer>(`/request?topic=double&data=${i}`));
    assert.deepEqual(
      answers.map((answer) => answer.value),
      [0, 2, 4, 6, 8, 10],
    );
    const workers = await app.call<Answer>('/request?topic=drover:workers');
    assert.deepEqual((workers.value as { slot: number }[]).map((worker) => worker.slot), [0, 1, 2]);
  });

  it('a request nobody answers times out with DROVER_E_REQUEST_TIMEOUT; one nobody listens on, a handler that throws: each its coded error', async () => {
    const slow = await app.call<Answer>('/request?topic=slow&timeout=300');
    assert.equal(slow.code, 'DROVER_E_REQUEST_TIMEOUT');
    assert.match(slow.message!, /request\('slow'\): no answer within 300 ms/);
    const nobody = await app.call<Answer>('/request?topic=nobody');
    assert.equal(nobody.code, 'DROVER_E_NO_RESPONDER');
    assert.match(nobody.message!, /no other worker of the app listens on 'nobody'/);
    const thrown = await app.call<Answer>('/request?topic=throw');
    assert.equal(thrown.code, 'DROVER_E_REQUEST_FAILED');
    assert.match(thrown.message!, /threw: no such user/);
    const bad = await app.call<Answer>('/bad?what=broadcast-symbol');
    assert.equal(bad.code, 'DROVER_E_MESSAGE_VALUE');
    // The timed-out request is forgotten by the supervisor too (a second after its timeout).
    let pending = -1;
    for (let i = 0; i < 60 && pending !== 0; i++) {
      pending = (await app.status()).bus.pending;
      if (pending !== 0) await sleep(100);
    }
    assert.equal(pending, 0);
  });

  it('a worker that dies with requests pending leaves nothing pending in the supervisor, whether it asked or was asked', async () => {
    const before = (await app.status()).restarts.crash ?? 0;
    // Asked: the worker that takes 'exit' dies before answering; the asker hears so at once.
    const answer = await app.call<Answer>('/request?topic=exit&timeout=30000');
    assert.equal(answer.code, 'DROVER_E_REQUEST_FAILED');
    assert.match(answer.message!, /exited before answering/);
    // Asked: a worker asks 'slow' (60 s timeout) and dies 200 ms later.
    await app.call('/request-and-exit?topic=slow');
    let status = await app.status();
    for (let i = 0; i < 100 && (status.restarts.crash! < before + 2 || status.bus.pending !== 0 || status.workers.length < 3); i++) {
      await sleep(100);
      status = await app.status();
    }
    assert.equal(status.restarts.crash, before + 2, 'both workers crashed and were replaced');
    assert.equal(status.bus.pending, 0, 'nothing pending, long before the 60 s timeout');
  });

  it('drover send pushes a message to every worker (from: control); bad JSON is refused with the fix', async () => {
    const sent = await runDrover(['send', 'bus', 'config', '{"level":"debug"}']);
    assert.equal(sent.code, 0, sent.output);
    assert.match(sent.stdout, /bus: 'config' sent to 3 workers/);
    const configs = async () => Promise.all([0, 1, 2].map(async (slot) => (await app.call<{ value?: unknown }>(`/get?key=config:${slot}`)).value));
    let seen = await configs();
    for (let i = 0; i < 50 && seen.some((value) => value === undefined); i++) {
      await sleep(50);
      seen = await configs();
    }
    assert.deepEqual(seen, [0, 1, 2].map(() => ({ data: { level: 'debug' }, from: 'control' })));
    const bad = await runDrover(['send', 'bus', 'config', '{level}']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /send: expected the message as JSON, got '\{level\}'.*\[DROVER_E_INVALID_OPTION\]/s);
  });
});
