import type { ChildProcess, Serializable } from 'node:child_process';
import { Channel, type Handlers } from '../ipc/channel.js';
import { checkWorkerMessage } from '../ipc/guards.js';
import { isDroverMessage, type DrainReport, type ListenAddress, type SerializedError, type SupervisorMessage, type WorkerMessage, type WorkerStats } from '../ipc/messages.js';
import type { WorkerOutput } from '../log/app-output.js';
import { freshHealthState, type HealthState } from './health-rules.js';
import { LineBuffer } from './line-buffer.js';

/** A worker's life: starting -> listening -> ready -> draining -> exited (steps may be skipped). */
export type WorkerState = 'starting' | 'listening' | 'ready' | 'draining' | 'exited';

/** Where a worker listens, as its runtime reports it. */
export type WorkerAddress = ListenAddress;

/** Whether a worker came up, or why it cannot. */
export type UpOutcome = { ok: true } | { ok: false; why: string };

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
  /** Waiting to hear that the worker is up (listening, or ready with wait_ready) or can no longer be. */
  readonly upWaiters = new Set<(outcome: UpOutcome) => void>();
  /** drover asked this worker to exit, so its exit is not a crash. */
  stopRequested = false;
  /** Its runtime listens for drover's messages: before that, a message would be lost. */
  online = false;
  // A shutdown asked for before the worker was online, sent once it is.
  #pendingShutdown: SupervisorMessage | undefined;
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

  constructor(
    slot: number,
    child: ChildProcess,
    output: WorkerOutput,
    handlers: Handlers<WorkerMessage>,
    onAppMessage: (message: unknown) => void,
    onInvalidMessage: (why: string) => void,
  ) {
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
    const port = {
      send: (message: unknown) => child.send(message as Serializable),
      get connected() {
        return child.connected;
      },
    };
    this.channel = new Channel(port, checkWorkerMessage, handlers, onInvalidMessage);
    // drover's messages come as Node internal messages; 'message' is the app's alone.
    child.on('internalMessage', (message: unknown) => {
      if (isDroverMessage(message)) this.channel.receive(message);
    });
    child.on('message', onAppMessage);
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
    const message: SupervisorMessage = { type: 'shutdown', reason, notifyApp };
    if (!this.online) this.#pendingShutdown = message;
    // false only when the channel is closed: the worker cannot hear us, so it cannot drain.
    else if (!this.channel.send(message)) this.kill();
  }

  /** The runtime is listening: send what waited for it. */
  goOnline(): void {
    this.online = true;
    const pending = this.#pendingShutdown;
    this.#pendingShutdown = undefined;
    if (pending && !this.channel.send(pending)) this.kill();
  }

  /** SIGKILL: for kill_timeout and forced stops only. */
  kill(): void {
    if (!this.live) return;
    this.killSent = true;
    this.child.kill('SIGKILL');
  }

  /** Tell everyone waiting whether the worker is up; each hears once. */
  settleUp(outcome: UpOutcome): void {
    const waiters = [...this.upWaiters];
    this.upWaiters.clear();
    for (const waiter of waiters) waiter(outcome);
  }

  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
  }
}
