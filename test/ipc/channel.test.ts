import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Channel, ChannelError } from '../../src/ipc/channel.js';
import { checkSupervisorMessage, checkWorkerMessage } from '../../src/ipc/guards.js';
import { PROTOCOL_CMD, type SupervisorMessage, type WorkerMessage } from '../../src/ipc/messages.js';

// The channel's protocol on its own: envelopes, guards, request/reply, backpressure.
// Two channels are joined back to back in memory; the process model is tested with
// real workers elsewhere.

function pair() {
  const invalid: string[] = [];
  let connected = true;
  const toWorker: unknown[] = [];
  const supervisorEnd = new Channel<SupervisorMessage, WorkerMessage>(
    {
      send: (message) => {
        toWorker.push(message);
        return false; // Node's answer under backlog: queued, still delivered.
      },
      get connected() {
        return connected;
      },
    },
    checkWorkerMessage,
    {
      online: () => undefined,
      stats: () => undefined,
      listening: () => undefined,
      fatal: () => undefined,
      draining: (message) => supervisorEnd.send({ type: 'ack' }, message.seq),
      drained: () => undefined,
      took: () => undefined,
      closed: () => undefined,
      health: () => undefined,
      bus: () => undefined,
      'bus-request': () => undefined,
      'bus-listen': () => undefined,
      'bus-answer': () => undefined,
      store: () => undefined,
      metrics: () => undefined,
    },
    (why) => invalid.push(why),
  );
  const workerEnd = new Channel<WorkerMessage, SupervisorMessage>(
    { send: (message) => void setImmediate(() => supervisorEnd.receive(message as Record<string, unknown>)), connected: true },
    checkSupervisorMessage,
    { shutdown: () => undefined, ack: () => undefined, check: () => undefined, result: () => undefined, bus: () => undefined, 'bus-ask': () => undefined, 'store-message': () => undefined, metrics: () => undefined },
  );
  const deliver = () => {
    for (const message of toWorker.splice(0)) workerEnd.receive(message as Record<string, unknown>);
  };
  return { supervisorEnd, workerEnd, invalid, deliver, disconnect: () => (connected = false), toWorker };
}

const report = { inFlightAtStart: 0, connectionsAtStart: 0, idleClosed: 0 };

describe('IPC channel', () => {
  it("stamps drover's internal cmd, and a false from send() (a backlog) still counts as sent", () => {
    const { supervisorEnd, toWorker } = pair();
    assert.equal(supervisorEnd.send({ type: 'shutdown', reason: 'stop', notifyApp: false }), true);
    assert.deepEqual(toWorker[0], { type: 'shutdown', reason: 'stop', notifyApp: false, cmd: PROTOCOL_CMD, v: 1, seq: 1 });
  });

  it('a request resolves with the reply that carries its sequence number', async () => {
    const { workerEnd, deliver } = pair();
    const reply = workerEnd.request({ type: 'draining', report }, 1000);
    await new Promise((resolve) => setImmediate(resolve));
    deliver();
    const answer = await reply;
    assert.equal(answer.type, 'ack');
    assert.equal(answer.ack, 1);
  });

  it('a request with no reply rejects at its timeout; one on a closed channel rejects at once', async () => {
    const { supervisorEnd, disconnect } = pair();
    await assert.rejects(supervisorEnd.request({ type: 'shutdown', reason: 'stop', notifyApp: false }, 20), (error: ChannelError) => error.reason === 'timeout');
    disconnect();
    assert.equal(supervisorEnd.send({ type: 'ack' }), false);
    await assert.rejects(supervisorEnd.request({ type: 'shutdown', reason: 'stop', notifyApp: false }, 1000), (error: ChannelError) => error.reason === 'closed');
  });

  it('close() fails every request still waiting', async () => {
    const { workerEnd } = pair();
    const waiting = workerEnd.request({ type: 'draining', report }, 10_000);
    workerEnd.close();
    await assert.rejects(waiting, (error: ChannelError) => error.reason === 'closed');
  });

  it('drops and reports malformed messages instead of dispatching them', () => {
    const { supervisorEnd, invalid } = pair();
    const base = { cmd: PROTOCOL_CMD, v: 1 };
    supervisorEnd.receive({ ...base, type: 'stats', seq: 1 });
    supervisorEnd.receive({ ...base, type: 'stats', seq: 2, stats: { rss: 'lots' } });
    supervisorEnd.receive({ ...base, type: 'fatal', seq: 3, error: 'boom' });
    supervisorEnd.receive({ ...base, type: 'drained', seq: 4, report: {} });
    supervisorEnd.receive({ ...base, v: 2, type: 'stats', seq: 5 });
    supervisorEnd.receive({ ...base, type: 'exit', seq: 6 });
    supervisorEnd.receive({ ...base, type: 'listening', seq: 7, address: { port: 80 } });
    assert.deepEqual(invalid, [
      'stats: stats is missing',
      'stats: stats.rss is not a number',
      'fatal: error is malformed',
      'drained: report.inFlightAtStart is not a number',
      'protocol version 2, expected 1',
      'unknown type "exit"',
      'listening: address is malformed',
    ]);
  });

  it('accepts well-formed messages of every worker type', () => {
    const stats = {
      rss: 1,
      heapUsed: 1,
      heapTotal: 1,
      cpuPercent: 0,
      eventLoopDelay: { p50: 0, p99: 0, max: 0 },
      requestsServed: 0,
      requestsInFlight: 0,
      connections: 0,
      uptimeMs: 1,
      health: { ok: false, reason: 'db' },
    };
    const messages = [
      { type: 'stats', stats },
      { type: 'listening', address: { address: '127.0.0.1', family: 'IPv4', port: 80 } },
      { type: 'listening', address: { path: '/tmp/s.sock' } },
      { type: 'fatal', error: { name: 'Error', message: 'x' } },
      { type: 'draining', report },
      { type: 'drained', report },
    ];
    for (const [i, message] of messages.entries()) {
      const checked = checkWorkerMessage({ ...message, cmd: PROTOCOL_CMD, v: 1, seq: i + 1 });
      assert.equal(checked.ok, true, JSON.stringify(checked));
    }
  });

  it("checks a worker's counts and the app's metrics before the supervisor aggregates them", () => {
    const counts = { counts: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], sum: 30.5 };
    const metric = { name: 'orders_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value: 3, labels: { kind: 'book' } }] };
    const check = (message: Record<string, unknown>) => {
      const checked = checkWorkerMessage({ cmd: PROTOCOL_CMD, v: 1, seq: 1, type: 'metrics', ...message });
      return checked.ok ? 'ok' : checked.why;
    };
    assert.equal(check({ report: { requestsServed: 3, requestDurations: counts, app: [metric] } }), 'ok');
    // NaN and Infinity cross a JSON channel as null: accepted here, left out when aggregated.
    assert.equal(check({ report: { requestsServed: 0, app: [{ ...metric, type: 'gauge', values: [{ value: null, labels: {} }] }] } }), 'ok');
    assert.equal(check({ report: { requestsServed: 0, appError: 'collect threw' } }), 'ok');
    assert.equal(check({}), 'metrics: report is malformed');
    assert.equal(check({ report: { requestsServed: '3' } }), 'metrics: report is malformed');
    assert.equal(check({ report: { requestsServed: 3, requestDurations: { counts: [1, 2], sum: 1 } } }), 'metrics: report.requestDurations.counts is malformed');
    assert.equal(check({ report: { requestsServed: 3, requestDurations: { ...counts, sum: -1 } } }), 'metrics: report.requestDurations is malformed');
    assert.equal(check({ report: { requestsServed: 3, app: {} } }), 'metrics: report.app is malformed');
    assert.equal(check({ report: { requestsServed: 3, app: [{ ...metric, type: 'untyped' }] } }), 'metrics: report.app: orders_total has an unknown type');
    assert.equal(check({ report: { requestsServed: 3, app: [{ ...metric, values: [{ value: '3', labels: {} }] }] } }), 'metrics: report.app: orders_total has a malformed value');
    assert.equal(check({ report: { requestsServed: 3, app: [{ ...metric, values: [{ value: 3, labels: { kind: {} } }] }] } }), 'metrics: report.app: orders_total has a malformed label');
    assert.equal(check({ report: { requestsServed: 3, app: [{ name: 1 }] } }), 'metrics: report.app has a malformed metric');
    assert.equal(check({ report: { requestsServed: 3, appError: 5 } }), 'metrics: report.appError is malformed');
    const stats = { rss: 1, heapUsed: 1, heapTotal: 1, cpuPercent: 0, eventLoopDelay: { p50: 0, p99: 0, max: 0 }, requestsServed: 0, requestsInFlight: 0, connections: 0, uptimeMs: 1 };
    const statsWith = (requestDurations: unknown) => checkWorkerMessage({ cmd: PROTOCOL_CMD, v: 1, seq: 1, type: 'stats', stats: { ...stats, requestDurations } });
    assert.equal(statsWith(counts).ok, true);
    assert.deepEqual(statsWith({ counts: 'many', sum: 0 }), { ok: false, why: 'stats: stats.requestDurations.counts is malformed' });
    assert.equal(checkSupervisorMessage({ cmd: PROTOCOL_CMD, v: 1, seq: 1, type: 'metrics' }).ok, true);
  });
});
