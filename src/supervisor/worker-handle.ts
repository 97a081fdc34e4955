import type { Serializable } from 'node:child_process';
import type { Worker } from 'node:cluster';
import { Channel, type Handlers } from '../ipc/channel.js';
import type { DrainReport, SerializedError, SupervisorMessage, WorkerMessage } from '../ipc/messages.js';
import { LineBuffer } from './line-buffer.js';

/** A worker's life: starting -> listening -> draining -> exited (draining may be skipped). */
export type WorkerState = 'starting' | 'listening' | 'draining' | 'exited';

/** Where a worker listens, as node:cluster reports it. */
export interface WorkerAddress {
  address: string | null;
  port: number;
  addressType: number | string;
}

/** A snapshot of one worker, safe to hand to listeners. */
export interface WorkerInfo {
  slot: number;
  pid: number;
  state: WorkerState;
  startedAt: number;
}

/** The supervisor's side of one worker process. */
export class WorkerHandle {
  readonly slot: number;
  readonly worker: Worker;
  readonly pid: number;
  readonly startedAt = Date.now();
  state: WorkerState = 'starting';
  /** drover asked this worker to exit, so its exit is not a crash. */
  stopRequested = false;
  /** The worker listened once; an exit before that is a failure to start. */
  listened = false;
  fatalError: SerializedError | undefined;
  drainReport: DrainReport | undefined;
  readonly stderr: LineBuffer;
  readonly channel: Channel<SupervisorMessage, WorkerMessage>;
  readonly timers: NodeJS.Timeout[] = [];
  // stderr is held back until the worker is established (listening or up for
  // min_uptime), so that an app crashing at start prints its stack once, in the
  // crash report, instead of once per restart.
  #held: string[] | undefined = [];
  readonly #writeLine: (line: string) => void;

  constructor(slot: number, worker: Worker, writeLine: (line: string) => void, handlers: Handlers<WorkerMessage>) {
    this.slot = slot;
    this.worker = worker;
    this.pid = worker.process.pid ?? -1;
    this.#writeLine = writeLine;
    this.stderr = new LineBuffer((line) => (this.#held ? this.#held.push(line) : this.#writeLine(line)));
    worker.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    worker.process.stderr?.on('end', () => this.stderr.flush());
    this.channel = new Channel((message) => worker.send(message as Serializable), handlers);
    worker.on('message', (message: unknown) => this.channel.receive(message));
  }

  get info(): WorkerInfo {
    return { slot: this.slot, pid: this.pid, state: this.state, startedAt: this.startedAt };
  }

  get live(): boolean {
    return this.state !== 'exited';
  }

  /** From now on the worker's stderr flows through live; what was held is written first. */
  establish(): void {
    if (!this.#held) return;
    const held = this.#held;
    this.#held = undefined;
    for (const line of held) this.#writeLine(line);
  }

  /** Ask the worker to drain and exit. */
  requestShutdown(reason: SupervisorMessage['reason']): void {
    if (!this.live) return;
    this.stopRequested = true;
    this.state = 'draining';
    if (!this.channel.send({ type: 'shutdown', reason })) this.kill();
  }

  /** SIGKILL: for kill_timeout and forced stops only. */
  kill(): void {
    if (this.live) this.worker.process.kill('SIGKILL');
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}
