import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAppOptions } from '../../src/config/index.js';
import { AppOutput } from '../../src/log/app-output.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { WorkerView } from '../../src/supervisor/worker-handle.js';
import { WorkerPool, type ExitFacts } from '../../src/supervisor/worker-pool.js';
import { canTransition, checkTransition, IllegalTransitionError, type WorkerState } from '../../src/supervisor/worker-state.js';
import { example } from '../helpers/drover-process.js';
import { FakeLauncher, mustCall } from '../helpers/fake-launcher.js';

// The supervisor's parts on their own, driven through a fake launcher: the pool's
// lifecycle stream (transitions and exit facts, in order), the state machine, and the
// facade's restart, reload, queue and stop, asserted by event order and counts.

const app = (extra: Record<string, unknown> = {}) =>
  validateAppOptions({ script: example('hello/server.js'), name: 'fake', stats_interval: 0, exp_backoff_restart_delay: 10, ...extra });

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  assert.ok(check(), `never happened: ${what}`);
}

function poolWith(launcher: FakeLauncher, extra: Record<string, unknown> = {}) {
  const options = app(extra);
  const pool = new WorkerPool(() => options, launcher, new AppOutput(options));
  const transitions: string[] = [];
  pool.on('transition', (worker, from, to) => {
    assert.ok(canTransition(from, to), `${from} -> ${to} is not in the table`);
    transitions.push(`${worker.slot}:${from}->${to}`);
  });
  return { pool, transitions };
}

describe('worker state machine', () => {
  it('allows the documented transitions and nothing else', () => {
    const allowed: [WorkerState, WorkerState][] = [
      ['starting', 'listening'], ['starting', 'ready'], ['starting', 'draining'], ['starting', 'exited'],
      ['listening', 'ready'], ['listening', 'draining'], ['listening', 'exited'],
      ['ready', 'draining'], ['ready', 'exited'],
      ['draining', 'exited'],
    ];
    const states: WorkerState[] = ['starting', 'listening', 'ready', 'draining', 'exited'];
    for (const from of states) {
      for (const to of states) {
        const ok = allowed.some(([a, b]) => a === from && b === to);
        assert.equal(canTransition(from, to), ok, `${from} -> ${to}`);
        if (!ok) assert.throws(() => checkTransition(from, to, 42), IllegalTransitionError);
      }
    }
  });
});

describe('worker pool: the lifecycle stream', () => {
  it('each worker goes starting -> listening -> ready, once, in that order', async (t) => {
    const launcher = new FakeLauncher();
    const { pool, transitions } = poolWith(launcher);
    pool.count = 2;
    pool.on('spawn', mustCall(t, 2));
    pool.on('listening', mustCall(t, 2));
    const workers = await pool.forkSlots([0, 1], () => true);
    assert.deepEqual(await Promise.all(workers.map((worker) => pool.whenUp(worker))), [{ ok: true }, { ok: true }]);
    assert.deepEqual(transitions, ['0:starting->listening', '0:listening->ready', '1:starting->listening', '1:listening->ready']);
    assert.deepEqual(pool.workers().map((worker) => [worker.slot, worker.state, worker.role]), [
      [0, 'ready', 'current'],
      [1, 'ready', 'current'],
    ]);
  });

  it('a drain says why: the exit carries the intent, and the worker is its slot\'s', async (t) => {
    const launcher = new FakeLauncher();
    const { pool, transitions } = poolWith(launcher);
    pool.count = 1;
    const exits: ExitFacts[] = [];
    pool.on('exit', mustCall(t, 1, (_worker: WorkerView, facts: ExitFacts) => exits.push(facts)));
    const [worker] = await pool.forkSlots([0], () => true);
    await pool.whenUp(worker!);
    assert.equal(pool.drain(worker!, 'stop'), true);
    assert.equal(pool.drain(worker!, 'reload'), false, 'the first intent stands');
    await until(() => exits.length === 1, 'the exit');
    assert.deepEqual(launcher.workers[0]!.received, ['shutdown', 'ack']);
    assert.deepEqual(transitions.slice(-2), ['0:ready->draining', '0:draining->exited']);
    assert.equal(exits[0]!.intent, 'stop');
    assert.equal(exits[0]!.current, true);
    assert.equal(exits[0]!.code, 0);
  });

  it('a drain asked before the worker is online is sent once it is', async () => {
    const launcher = new FakeLauncher();
    launcher.behaviour = { autoListen: false, autoDrain: true };
    const { pool, transitions } = poolWith(launcher);
    pool.count = 1;
    const [worker] = await pool.forkSlots([0], () => true);
    pool.drain(worker!, 'scale');
    await tick();
    await tick();
    const fake = launcher.workers[0]!;
    assert.deepEqual(fake.received, [], 'nothing is sent before the runtime listens');
    fake.online();
    await until(() => !worker!.live, 'the exit');
    assert.deepEqual(fake.received, ['shutdown', 'ack']);
    assert.deepEqual(transitions, ['0:starting->draining', '0:draining->exited']);
  });

  it('a crash is an exit without an intent; a candidate that dies before it is up fails whoever waits for it', async () => {
    const launcher = new FakeLauncher();
    const { pool } = poolWith(launcher);
    pool.count = 1;
    const exits: ExitFacts[] = [];
    pool.on('exit', (_worker, facts) => exits.push(facts));
    const [worker] = await pool.forkSlots([0], () => true);
    await pool.whenUp(worker!);
    launcher.workers[0]!.exit(1);
    await until(() => exits.length === 1, 'the crash');
    assert.deepEqual([exits[0]!.intent, exits[0]!.code, exits[0]!.listened, exits[0]!.current], [undefined, 1, true, true]);

    launcher.behaviour = { autoListen: false, autoDrain: true };
    const candidate = pool.spawn(0, 'candidate');
    const up = pool.whenUp(candidate);
    launcher.workers[1]!.exit(1);
    const outcome = await up;
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.why, /^crashed on start with exit code 1 after [\d.]+ m?s$/);
    assert.equal(exits[1]!.current, false, 'a candidate is not its slot\'s worker');
  });

  it('promote: the candidate becomes the slot\'s worker, and the old one is handed back to drain', async () => {
    const launcher = new FakeLauncher();
    const { pool } = poolWith(launcher);
    pool.count = 1;
    const [old] = await pool.forkSlots([0], () => true);
    await pool.whenUp(old!);
    const candidate = pool.spawn(0, 'candidate');
    assert.deepEqual(await pool.whenUp(candidate), { ok: true });
    assert.equal(pool.promote(candidate), old);
    assert.equal(pool.current(0), candidate);
    assert.equal(candidate.role, 'current');
  });
});

describe('supervisor facade over the parts', () => {
  it('run: ready once every slot is up; stop: every worker drains, exit once, code 0', async (t) => {
    const launcher = new FakeLauncher();
    const supervisor = new Supervisor(app(), { launcher });
    supervisor.on('ready', mustCall(t, 1));
    supervisor.on('exit', mustCall(t, 1));
    supervisor.on('crash', mustCall(t, 0));
    const done = supervisor.run(3);
    await until(() => supervisor.workers.every((w) => w.state === 'ready') && supervisor.workers.length === 3, 'three ready workers');
    supervisor.stop();
    const result = await done;
    assert.equal(result.exitCode, 0);
    assert.deepEqual(
      launcher.workers.map((worker) => worker.received),
      [['shutdown', 'ack'], ['shutdown', 'ack'], ['shutdown', 'ack']],
    );
    assert.deepEqual(
      supervisor.timeline().filter((event) => event.slot === 0).map((event) => event.kind),
      ['spawned', 'listening', 'draining', 'exited'],
    );
  });

  it('a crash restarts its slot after the backoff, counted as a crash', async (t) => {
    const launcher = new FakeLauncher();
    const supervisor = new Supervisor(app({ min_uptime: 0 }), { launcher });
    supervisor.on('crash', mustCall(t, 1, (report: { decision: { action: string } }) => assert.equal(report.decision.action, 'restart')));
    const done = supervisor.run(2);
    await until(() => supervisor.workers.filter((w) => w.state === 'ready').length === 2, 'two ready workers');
    launcher.workers[0]!.exit(1);
    await until(() => launcher.workers.length === 3 && supervisor.workers.filter((w) => w.state === 'ready').length === 2, 'slot 0 back');
    assert.equal(launcher.workers[2]!.slot, 0);
    assert.equal(supervisor.snapshot().restarts.crash, 1);
    assert.deepEqual(
      supervisor.timeline().filter((event) => event.slot === 0).map((event) => event.kind),
      ['spawned', 'listening', 'crashed', 'restarting', 'spawned', 'listening'],
    );
    supervisor.stop();
    assert.equal((await done).exitCode, 0);
  });

  it('reload: a candidate per slot, then the old one drains; a scale asked meanwhile waits for the reload', async () => {
    const launcher = new FakeLauncher();
    const supervisor = new Supervisor(app(), { launcher });
    const order: string[] = [];
    supervisor.on('reload-start', () => order.push('reload-start'));
    supervisor.on('reload-replaced', (entry) => order.push(`replaced ${entry.slot}`));
    supervisor.on('reload-end', (result) => order.push(`reload-end ${result.ok}`));
    supervisor.on('scaled', (from, to) => order.push(`scaled ${from}->${to}`));
    const done = supervisor.run(2);
    await until(() => supervisor.workers.filter((w) => w.state === 'ready').length === 2, 'two ready workers');
    const [first, second] = launcher.workers;
    const reload = supervisor.reload();
    const scale = supervisor.scale(1);
    const again = supervisor.reload();
    assert.equal((await reload).ok, true);
    assert.deepEqual(await scale, { from: 2, to: 1 });
    await again;
    assert.deepEqual(order, ['reload-start', 'replaced 0', 'replaced 1', 'reload-end true', 'scaled 2->1', 'reload-start', 'replaced 0', 'reload-end true']);
    await until(() => launcher.running.length === 1, 'one worker left');
    assert.deepEqual([first!.received, second!.received], [['shutdown', 'ack'], ['shutdown', 'ack']]);
    assert.deepEqual(supervisor.workers.map((w) => w.slot), [0]);
    supervisor.stop();
    assert.equal((await done).exitCode, 0);
  });

  it('stop while a worker has not come online: it still drains, and nothing is restarted', async (t) => {
    const launcher = new FakeLauncher();
    launcher.behaviour = { autoListen: false, autoDrain: true };
    const supervisor = new Supervisor(app(), { launcher });
    supervisor.on('crash', mustCall(t, 0));
    const done = supervisor.run(1);
    supervisor.stop();
    await tick();
    launcher.workers[0]!.online();
    assert.equal((await done).exitCode, 0);
    assert.equal(launcher.workers.length, 1);
  });
});
