import type { ChildProcess, Serializable } from 'node:child_process';
import { NODE_INSPECTOR_LINE } from '../inspector/inspect-flags.js';
import { Channel, type Handlers } from '../ipc/channel.js';
import { checkWorkerMessage } from '../ipc/guards.js';
import { isDroverMessage, type DrainReport, type ListenAddress, type SerializedError, type SupervisorMessage, type WorkerMessage } from '../ipc/messages.js';
import type { WorkerOutput } from '../log/app-output.js';
import { LineBuffer } from './line-buffer.js';
import { checkTransition, drainReason, type ExitIntent, type WorkerState } from './worker-state.js';

export type { WorkerState } from './worker-state.js';

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

/**
 * What the parts of a supervisor may read of a worker. Only the pool changes it, and
 * only through its state machine; nobody else holds its process or can kill it.
 */
export interface WorkerView {
  readonly slot: number;
  readonly pid: number;
  readonly startedAt: number;
  readonly state: WorkerState;
  readonly live: boolean;
  /** `current` serves its slot; a `candidate` is a new worker that has not replaced the slot's yet. */
  readonly role: 'current' | 'candidate';
  /** Why drover asked it to go; undefined until it does. */
  readonly intent: ExitIntent | undefined;
  /** When it was up (listening, or ready with wait_ready); 0 until then. */
  readonly upAt: number;
  /** It has listened on a port at least once. */
  readonly listened: boolean;
  /** It runs drover's worker runtime (a Node.js app): it reports, drains and says when it listens. */
  readonly hasRuntime: boolean;
  /** Its runtime listens for drover's messages: sent before, one would be lost. */
  readonly online: boolean;
  /** How it ended ("exit code 1"), once it has. */
  readonly exitedWith: string | undefined;
  readonly drainReport: DrainReport | undefined;
  readonly info: WorkerInfo;
}

/** The supervisor's side of one worker process (cluster worker or forked process alike). */
export class WorkerHandle implements WorkerView {
  readonly slot: number;
  readonly process: ChildProcess;
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly hasRuntime: boolean;
  role: 'current' | 'candidate';
  upAt = 0;
  listened = false;
  exitedWith: string | undefined;
  drainReport: DrainReport | undefined;
  /** The exception that killed it, as its runtime reported it before Node printed it. */
  fatalError: SerializedError | undefined;
  /** Why drover ended it itself (unresponsive: killed): the words that explain its exit. */
  intentDetail: string | undefined;
  /** SIGKILL was sent. */
  killSent = false;
  /** When drover asked it to go; 0 until then. */
  drainStartedAt = 0;
  readonly stderr: LineBuffer;
  readonly channel: Channel<SupervisorMessage, WorkerMessage>;
  /** Resolves once the worker's piped stdout and stderr have ended: its last lines are in. */
  readonly outputDone: Promise<void>;
  #state: WorkerState = 'starting';
  #intent: ExitIntent | undefined;
  // Its runtime listens for drover's messages; before that a message would be lost
  // (Node keeps none for a listener that is not there yet).
  #online = false;
  #pendingShutdown: SupervisorMessage | undefined;
  readonly #stopSignal: NodeJS.Signals | undefined;
  readonly #onTransition: (from: WorkerState, to: WorkerState) => void;
  // stderr is held back until the worker is established (listening or up for
  // min_uptime), so that an app crashing at start prints its stack once, in the
  // crash report, instead of once per restart.
  #held: string[] | undefined = [];
  readonly #flushHeld: () => void;
  // Its inspector's ws:// address, once Node printed it; who waits for it (a stack capture).
  #inspectorUrl: string | undefined;
  readonly #inspectorWaiters = new Set<(url: string) => void>();
  // drover opened its inspector: Node's lines about it are drover's doing, not the app's output.
  #inspecting = false;

  constructor(options: {
    slot: number;
    role: 'current' | 'candidate';
    process: ChildProcess;
    /** Undefined for a Node.js app (its runtime drains it); else the signal that stops the program. */
    stopSignal: NodeJS.Signals | undefined;
    output: WorkerOutput;
    handlers: Handlers<WorkerMessage>;
    onAppMessage: (message: unknown) => void;
    onInvalidMessage: (why: string) => void;
    onTransition: (from: WorkerState, to: WorkerState) => void;
  }) {
    const { slot, role, process: child, output } = options;
    this.slot = slot;
    this.role = role;
    this.process = child;
    this.pid = child.pid ?? -1;
    this.hasRuntime = options.stopSignal === undefined;
    this.#stopSignal = options.stopSignal;
    this.#onTransition = options.onTransition;
    this.stderr = new LineBuffer((line) => {
      if (this.#inspectorLine(line)) return;
      if (this.#held) this.#held.push(line);
      else output.stderr(line, this.pid);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.stderr?.on('end', () => this.stderr.flush());
    let stdout: LineBuffer | undefined;
    if (output.stdout && child.stdout) {
      const write = output.stdout;
      stdout = new LineBuffer((line) => write(line, this.pid));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout!.push(chunk));
      child.stdout.on('end', () => stdout!.flush());
    }
    const ended = (stream: NodeJS.ReadableStream | null | undefined) =>
      stream ? new Promise<void>((resolve) => stream.once('end', resolve).once('close', resolve)) : Promise.resolve();
    this.outputDone = Promise.all([ended(child.stderr), ended(stdout ? child.stdout : undefined)]).then(() => undefined);
    this.#flushHeld = () => {
      for (const line of this.#held ?? []) output.stderr(line, this.pid);
    };
    const port = {
      // A program that is not Node.js has no IPC channel: nothing is sent to it.
      send: (message: unknown) => child.send?.(message as Serializable) ?? false,
      get connected() {
        return child.connected;
      },
    };
    this.channel = new Channel(port, checkWorkerMessage, options.handlers, options.onInvalidMessage);
    // drover's messages come as Node internal messages; 'message' is the app's alone.
    child.on('internalMessage', (message: unknown) => {
      if (isDroverMessage(message)) this.channel.receive(message);
    });
    child.on('message', options.onAppMessage);
  }

  get state(): WorkerState {
    return this.#state;
  }

  get intent(): ExitIntent | undefined {
    return this.#intent;
  }

  get live(): boolean {
    return this.#state !== 'exited';
  }

  get info(): WorkerInfo {
    return { slot: this.slot, pid: this.pid, state: this.#state, startedAt: this.startedAt };
  }

  /** Move to `to`; throws IllegalTransitionError if the state machine does not allow it. */
  transition(to: WorkerState): void {
    const from = this.#state;
    checkTransition(from, to, this.pid);
    this.#state = to;
    this.#onTransition(from, to);
  }

  /** From now on the worker's stderr flows through live; what was held is written first. */
  establish(): void {
    if (!this.#held) return;
    this.#flushHeld();
    this.#held = undefined;
  }

  /**
   * Ask the worker to drain and exit, for `intent` (the first intent stands). Sent once
   * its runtime is online. Returns false if it was asked already.
   */
  requestShutdown(intent: ExitIntent, notifyApp: boolean): boolean {
    if (!this.live || this.#intent !== undefined) return false;
    this.#intent = intent;
    this.drainStartedAt = Date.now();
    this.transition('draining');
    // A program without drover's runtime hears its stop signal; kill_timeout bounds it.
    if (this.#stopSignal !== undefined) {
      this.#signalGroup(this.#stopSignal);
      return true;
    }
    const message: SupervisorMessage = { type: 'shutdown', reason: drainReason(intent), notifyApp };
    if (!this.#online) this.#pendingShutdown = message;
    // false only when the channel is closed: the worker cannot hear us, so it cannot drain.
    else if (!this.channel.send(message)) this.kill();
    return true;
  }

  /** Its runtime listens for drover's messages. */
  get online(): boolean {
    return this.#online;
  }

  /** The runtime is listening: send what waited for it. */
  goOnline(): void {
    this.#online = true;
    const pending = this.#pendingShutdown;
    this.#pendingShutdown = undefined;
    if (pending && !this.channel.send(pending)) this.kill();
  }

  /** SIGKILL, for kill_timeout, forced stops and unresponsive workers; `intent` if it had none. */
  kill(intent?: ExitIntent, detail?: string): void {
    if (!this.live) return;
    if (intent !== undefined && this.#intent === undefined) {
      this.#intent = intent;
      this.intentDetail = detail;
    }
    this.killSent = true;
    if (this.hasRuntime) this.process.kill('SIGKILL');
    else this.#signalGroup('SIGKILL');
  }

  /**
   * Open its inspector for a stack capture: SIGUSR1 (what process._debugProcess sends
   * on Linux), then the ws:// address Node prints on stderr, within `timeoutMs`. An
   * inspector the app opened itself (--inspect) is used as it is.
   */
  openInspector(timeoutMs: number): Promise<string> {
    if (!this.live || !this.hasRuntime) return Promise.reject(new Error('it has exited'));
    this.#inspecting = true;
    if (this.#inspectorUrl !== undefined) return Promise.resolve(this.#inspectorUrl);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#inspectorWaiters.delete(found);
        reject(new Error(`its inspector did not open within ${timeoutMs} ms (the app may handle SIGUSR1 itself, or its main thread is blocked outside JavaScript)`));
      }, timeoutMs);
      const found = (url: string) => {
        clearTimeout(timer);
        resolve(url);
      };
      this.#inspectorWaiters.add(found);
      try {
        this.process.kill('SIGUSR1');
      } catch (error) {
        this.#inspectorWaiters.delete(found);
        clearTimeout(timer);
        reject(error as Error);
      }
    });
  }

  // Node's inspector lines: note the address; hide them when drover opened it.
  #inspectorLine(line: string): boolean {
    const listening = /^Debugger listening on (ws:\/\/\S+)$/.exec(line);
    if (listening) {
      this.#inspectorUrl = listening[1]!;
      for (const waiter of this.#inspectorWaiters) waiter(this.#inspectorUrl);
      this.#inspectorWaiters.clear();
    }
    return this.#inspecting && NODE_INSPECTOR_LINE.test(line);
  }

  /**
   * A program that is not Node.js runs in a process group of its own (npm, a shell
   * script: the processes it starts are its group): the group hears the stop signal,
   * and whatever of it outlives the program is killed with it, so nothing is orphaned.
   */
  endGroup(): void {
    if (!this.hasRuntime) this.#signalGroup('SIGKILL');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    // A program that could not be started has no pid, so no group: -1 would be every process.
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is gone (or was never made): the process itself, if it is still there.
      if (this.live) this.process.kill(signal);
    }
  }
}
