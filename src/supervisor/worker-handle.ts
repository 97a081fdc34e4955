import type { ChildProcess, Serializable } from 'node:child_process';
import { Channel, type Handlers } from '../ipc/channel.js';
import type { DrainReport, ListenAddress, SerializedError, SupervisorMessage, WorkerMessage, WorkerStats } from '../ipc/messages.js';
import type { WorkerOutput } from '../log/app-output.js';
import { freshHealthState, type HealthState } from './health-rules.js';
import { LineBuffer } from './line-buffer.js';

/** A worker's life: starting -> listening -> ready -> draining -> exited (steps may be skipped). */
export type WorkerState = 'starting' | 'listening' | 'ready' | 'draining' | 'exited';

/** Where a worker listens, as its runtime reports it. */
export type WorkerAddress = ListenAddress;

/** A snapshot of one worker, safe to hand to listeners. */
export interface WorkerInfo {
  slot: number;
  pid: number;
  state: WorkerState;
  startedAt: number;
}

/** The supervisor's side of one worker process (cluster worker or forked process alike). */
export class WorkerHandle {
  readonly slot: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt = Date.now();
  /** When it was up: listening, or ready with wait_ready. */
  upAt = 0;
  state: WorkerState = 'starting';
  /**
   * `current` serves its slot; a `candidate` is a reload's new worker, serving but not
   * yet the slot's worker: its failure stops the reload instead of counting as a crash.
   */
  role: 'current' | 'candidate' = 'current';
  /** Told when the worker is up (listening, or ready with wait_ready) or can no longer be. */
  onUp: ((outcome: { ok: true } | { ok: false; why: string }) => void) | undefined;
  /** drover asked this worker to exit, so its exit is not a crash. */
  stopRequested = false;
  /** drover restart: start the slot afresh once this one has exited. */
  restartAfterExit = false;
  /** The worker listened once; an exit before that is a failure to start. */
  listened = false;
  fatalError: SerializedError | undefined;
  /** The latest report, and when it came: the heartbeat. */
  stats: WorkerStats | undefined;
  lastReportAt = Date.now();
  readonly health: HealthState = freshHealthState();
  /** A replacement (memory, health) is under way: do not start another. */
  replacing = false;
  /** Why drover killed it (unresponsive), when it did: its exit is explained by this. */
  killedFor: string | undefined;
  /** SIGKILL was sent. */
  killSent = false;
  /** How it ended ("exit code 1"), once it has. */
  exitedWith: string | undefined;
  drainReport: DrainReport | undefined;
  readonly stderr: LineBuffer;
  readonly stdout: LineBuffer | undefined;
  readonly channel: Channel<SupervisorMessage, WorkerMessage>;
  readonly timers: NodeJS.Timeout[] = [];
  // stderr is held back until the worker is established (listening or up for
  // min_uptime), so that an app crashing at start prints its stack once, in the
  // crash report, instead of once per restart.
  #held: string[] | undefined = [];

  constructor(slot: number, child: ChildProcess, output: WorkerOutput, handlers: Handlers<WorkerMessage>, onAppMessage: (message: unknown) => void) {
    this.slot = slot;
    this.child = child;
    this.pid = child.pid ?? -1;
    this.stderr = new LineBuffer((line) => (this.#held ? this.#held.push(line) : output.stderr(line, this.pid)));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.stderr?.on('end', () => this.stderr.flush());
    if (output.stdout && child.stdout) {
      const write = output.stdout;
      const stdout = new LineBuffer((line) => write(line, this.pid));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
      child.stdout.on('end', () => stdout.flush());
      this.stdout = stdout;
    }
    const ended = (stream: NodeJS.ReadableStream | null | undefined) =>
      stream ? new Promise<void>((resolve) => stream.once('end', resolve).once('close', resolve)) : Promise.resolve();
    this.outputDone = Promise.all([ended(child.stderr), ended(this.stdout ? child.stdout : undefined)]).then(() => undefined);
    this.#flushHeld = () => {
      for (const line of this.#held ?? []) output.stderr(line, this.pid);
    };
    this.channel = new Channel((message) => child.send(message as Serializable), handlers);
    child.on('message', (message: unknown) => {
      if (!this.channel.receive(message)) onAppMessage(message);
    });
  }

  readonly #flushHeld: () => void;
  /** Resolves once the worker's piped stdout and stderr have ended: its last lines are in. */
  readonly outputDone: Promise<void>;

  get info(): WorkerInfo {
    return { slot: this.slot, pid: this.pid, state: this.state, startedAt: this.startedAt };
  }

  get live(): boolean {
    return this.state !== 'exited';
  }

  /** From now on the worker's stderr flows through live; what was held is written first. */
  establish(): void {
    if (!this.#held) return;
    this.#flushHeld();
    this.#held = undefined;
  }

  /** Ask the worker to drain and exit (once). */
  requestShutdown(reason: Extract<SupervisorMessage, { type: 'shutdown' }>['reason'], notifyApp: boolean): void {
    if (!this.live || this.stopRequested) return;
    this.stopRequested = true;
    this.state = 'draining';
    if (!this.channel.send({ type: 'shutdown', reason, notifyApp })) this.kill();
  }

  /** SIGKILL: for kill_timeout and forced stops only. */
  kill(): void {
    if (!this.live) return;
    this.killSent = true;
    this.child.kill('SIGKILL');
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}
