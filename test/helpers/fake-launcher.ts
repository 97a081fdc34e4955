import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';
import type { Launcher } from '../../src/supervisor/launcher.js';

// A launcher whose workers are not processes: each FakeWorker says what a worker's
// runtime would say (online, listening, draining, drained) when the test tells it to,
// and records what the supervisor sent it. It lets unit tests drive a supervisor's
// parts through any order of events, without timing; the process model itself is
// tested with real workers everywhere else.

let nextPid = 900_000;

/** How a fake worker behaves unless the test says otherwise. */
export interface FakeBehaviour {
  /** Come online and listen right after launch. */
  autoListen: boolean;
  /** Answer a shutdown by draining and exiting with code 0. */
  autoDrain: boolean;
}

export class FakeWorker extends EventEmitter {
  readonly slot: number;
  pid: number | undefined = nextPid++;
  connected = true;
  readonly stdout = null;
  readonly stderr = null;
  /** The drover messages the supervisor sent, by type. */
  readonly received: string[] = [];
  readonly #behaviour: FakeBehaviour;
  #seq = 0;

  constructor(slot: number, behaviour: FakeBehaviour) {
    super();
    this.slot = slot;
    this.#behaviour = behaviour;
  }

  /** What node:child_process's send() does for a live channel. */
  send(message: { type?: string }): boolean {
    if (!this.connected) return false;
    setImmediate(() => this.#hear(message as { type: string; seq: number }));
    return true;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.exit(null, signal);
    return true;
  }

  /** Say something as the worker's runtime would. */
  say(message: Record<string, unknown> & { type: string }, ack?: number): void {
    this.emit('internalMessage', { ...message, cmd: 'NODE_DROVER', v: 1, seq: ++this.#seq, ...(ack === undefined ? {} : { ack }) });
  }

  online(): void {
    this.say({ type: 'online' });
  }

  listen(port = 3000): void {
    this.say({ type: 'listening', address: { address: '127.0.0.1', family: 'IPv4', port } });
  }

  /** The process ends (a crash with a code, or killed by a signal). */
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (!this.connected) return;
    this.connected = false;
    setImmediate(() => this.emit('exit', code, signal));
  }

  #hear(message: { type: string; seq: number }): void {
    this.received.push(message.type);
    if (message.type !== 'shutdown' || !this.#behaviour.autoDrain) return;
    const report = { inFlightAtStart: 0, connectionsAtStart: 0, idleClosed: 0 };
    this.say({ type: 'draining', report });
    setImmediate(() => {
      this.say({ type: 'drained', report });
      this.exit(0);
    });
  }
}

/** A launcher of fake workers; `workers` holds every one it launched, in order. */
export class FakeLauncher implements Launcher {
  readonly workers: FakeWorker[] = [];
  behaviour: FakeBehaviour = { autoListen: true, autoDrain: true };

  launch(slot: number): ChildProcess {
    const worker = new FakeWorker(slot, { ...this.behaviour });
    this.workers.push(worker);
    if (worker.pid !== undefined && this.behaviour.autoListen) {
      setImmediate(() => {
        worker.online();
        worker.listen();
      });
    }
    return worker as unknown as ChildProcess;
  }

  /** The fake workers still running. */
  get running(): FakeWorker[] {
    return this.workers.filter((worker) => worker.connected);
  }
}

/**
 * node's own tests' mustCall: wrap `fn` so that the test fails unless it is called
 * exactly `times` times by the end of the test.
 */
export function mustCall<A extends unknown[]>(t: TestContext, times: number, fn: (...args: A) => void = () => undefined): (...args: A) => void {
  let calls = 0;
  const name = fn.name || 'the callback';
  t.after(() => assert.equal(calls, times, `${name} was called ${calls} times, expected ${times}`));
  return (...args: A) => {
    calls += 1;
    fn(...args);
  };
}
