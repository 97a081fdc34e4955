import type { ChildProcess, Serializable } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { captureStack, type StackCapture } from '../inspector/capture-stack.js';
import { formatDuration } from '../config/units.js';
import {
  serializeError,
  type CodedError,
  type ConnectionMessage,
  type DrainReport,
  type HealthVerdict,
  type MetricsReport,
  type SerializedError,
  type StoreCall,
  type SupervisorMessage,
  type WireValue,
  type WorkerStats,
} from '../ipc/messages.js';
import type { AppOutput } from '../log/app-output.js';
import { describeExit, describeExitAfter, summarizeCause } from './describe-exit.js';
import { programStopSignal, type Launcher } from './launcher.js';
import { ProgramStats } from './program-stats.js';
import { WorkerHandle, type UpOutcome, type WorkerAddress, type WorkerView } from './worker-handle.js';
import type { ExitIntent, WorkerState } from './worker-state.js';

/** Everything known about how a worker ended. */
export interface ExitFacts {
  /** Why drover asked it to go; undefined: it went on its own (a crash, or an exit). */
  intent: ExitIntent | undefined;
  /** For a worker drover ended itself (unresponsive), why. */
  intentDetail: string | undefined;
  code: number | null;
  signal: string | null;
  /** Time since it started, ms. */
  uptime: number;
  listened: boolean;
  /** It was its slot's worker when it ended (not a candidate, nor one replaced or scaled away). */
  current: boolean;
  /** One line: the fatal exception, or the stderr line that names an error. */
  cause: string | undefined;
  fatalError: SerializedError | undefined;
  /** Its last stderr lines, Node's internal frames left out. */
  stderrTail: string[];
}

/**
 * The lifecycle stream: every worker's start, state transitions and exit (with its
 * facts), and what its runtime reports. The other parts of a supervisor (restart
 * policy, reloads, health, the timeline, pid files) subscribe to it.
 */
export interface PoolEvents {
  spawn: [worker: WorkerView];
  transition: [worker: WorkerView, from: WorkerState, to: WorkerState];
  listening: [worker: WorkerView, address: WorkerAddress];
  /** Up for min_uptime: stable, as the restart policy counts it. */
  stable: [worker: WorkerView];
  /** A slot's worker is not up after listen_timeout (a late candidate fails its reload instead). */
  'slow-listen': [worker: WorkerView];
  /** A reload's new worker became its slot's worker. */
  promoted: [worker: WorkerView];
  stats: [worker: WorkerView, stats: WorkerStats];
  /** A worker's counters and the app's metrics: its answer to a scrape, or its last ones, sent as its drain ended. */
  metrics: [worker: WorkerView, report: MetricsReport];
  draining: [worker: WorkerView, report: DrainReport];
  drained: [worker: WorkerView, report: DrainReport];
  killed: [worker: WorkerView, report: DrainReport | undefined, why: 'kill_timeout' | 'forced'];
  'ipc-invalid': [worker: WorkerView, why: string];
  /** A balanced connection was taken by the worker's server, or refused. */
  took: [worker: WorkerView, id: number, accepted: boolean];
  /** This many balanced connections of the worker closed. */
  closed: [worker: WorkerView, count: number];
  /** The app sent a message of its own (process.send): 'ready', a library's (Socket.IO's cluster adapter). */
  'app-message': [worker: WorkerView, message: unknown];
  /** The app's bus (drover/worker): a message for the other workers, or one slot's. */
  bus: [worker: WorkerView, message: { to: 'others' | number; topic: string; data: WireValue }];
  /** The app's bus: a request to route (answer it with sendToRuntime(worker, result, seq)). */
  'bus-request': [worker: WorkerView, topic: string, data: WireValue, timeoutMs: number, seq: number];
  'bus-listen': [worker: WorkerView, topic: string, on: boolean];
  'bus-answer': [worker: WorkerView, id: number, answer: { ok: true; data: WireValue } | { ok: false; error: CodedError }];
  /** A store call to answer (sendToRuntime(worker, result, seq)). */
  store: [worker: WorkerView, call: StoreCall, seq: number];
  exit: [worker: WorkerView, facts: ExitFacts];
}

// The worker's own check has its timeout; the answer may take this much longer to arrive.
const CHECK_REPLY_MARGIN_MS = 1000;

/**
 * An app's workers: one slot per worker (`NODE_APP_INSTANCE`), the process serving
 * each, and every process still alive (a reload's candidates, those draining). Starts
 * workers through a launcher, drives each one's state machine from what its runtime
 * reports, drains and kills them, and tells everything else through its events.
 */
export class WorkerPool extends EventEmitter<PoolEvents> {
  // The options in effect, read each time: a config update replaces them.
  readonly #appOf: () => AppOptions;
  readonly #launcher: Launcher;
  readonly #output: AppOutput;
  /** The worker serving each slot. */
  readonly #slots = new Map<number, WorkerHandle>();
  /** Every worker process alive: current ones, candidates, and those draining. */
  readonly #live = new Set<WorkerHandle>();
  readonly #timers = new Map<WorkerHandle, NodeJS.Timeout[]>();
  readonly #upWaiters = new Map<WorkerHandle, Set<(outcome: UpOutcome) => void>>();
  // Output of exited workers still arriving through their pipes.
  readonly #outputPending = new Set<Promise<void>>();
  #count = 0;
  // One of the app's workers has listened: it is a server, and new workers must listen to be up.
  #isServer = false;
  // One of the app's workers has lived through listen_timeout without listening: it is no server.
  #portless = false;

  constructor(app: () => AppOptions, launcher: Launcher, output: AppOutput) {
    super();
    this.#appOf = app;
    this.#launcher = launcher;
    this.#output = output;
  }

  get #app(): AppOptions {
    return this.#appOf();
  }

  /** One of the app's workers has listened: it is a server. */
  get isServer(): boolean {
    return this.#isServer;
  }

  /** How many slots the app has. */
  get count(): number {
    return this.#count;
  }

  set count(count: number) {
    this.#count = count;
  }

  /** The live worker of each slot, in slot order. */
  workers(): WorkerView[] {
    return [...this.#slots.values()].filter((handle) => handle.live).sort((a, b) => a.slot - b.slot);
  }

  /** Every live worker process. */
  live(): WorkerView[] {
    return [...this.#live];
  }

  /** The live worker with this pid, if there is one. */
  livePid(pid: number): WorkerView | undefined {
    for (const worker of this.#live) if (worker.pid === pid) return worker;
    return undefined;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** The worker serving `slot`, live or not (an exited one stays until its slot is filled). */
  current(slot: number): WorkerView | undefined {
    return this.#slots.get(slot);
  }

  /** Resolves once the output of every exited worker has arrived (a second at most). */
  async outputFlushed(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    // A process the app started may hold a worker's pipes open: do not wait for ever.
    await Promise.race([Promise.all(this.#outputPending), new Promise((done) => (timer = setTimeout(done, 1000)))]);
    clearTimeout(timer);
  }

  /**
   * Fork the workers of these slots, one per turn of the event loop, so that signals,
   * IPC and the control API are answered between forks; stops early once `proceed`
   * says no (the app is stopping, the slot was scaled away).
   */
  async forkSlots(slots: number[], proceed: (slot: number) => boolean): Promise<WorkerView[]> {
    const started: WorkerView[] = [];
    for (const slot of slots) {
      if (!proceed(slot)) break;
      if (started.length > 0) await new Promise((resolve) => setImmediate(resolve));
      if (!proceed(slot)) break;
      started.push(this.spawn(slot, 'current'));
    }
    return started;
  }

  /** Start a worker for `slot`: as the slot's worker, or as a candidate to replace it. */
  spawn(slot: number, role: 'current' | 'candidate'): WorkerView {
    const output = this.#output.forWorker(slot, this.#count);
    const child = this.#launcher.launch(slot, output.stdout !== undefined);
    const handle: WorkerHandle = new WorkerHandle({
      slot,
      role,
      process: child,
      stopSignal: this.#app.interpreter === undefined ? undefined : programStopSignal(this.#app),
      output,
      handlers: {
        online: () => handle.goOnline(),
        stats: (message) => this.emit('stats', handle, message.stats),
        listening: (message) => this.#onListening(handle, message.address),
        fatal: (message) => (handle.fatalError = message.error),
        draining: (message) => {
          handle.drainReport = message.report;
          // Answered after this worker's "listener closed" on the same channel: once
          // it has this, no connection node:cluster hands out can still be on its way.
          handle.channel.send({ type: 'ack' }, message.seq);
          this.emit('draining', handle, message.report);
        },
        // A health answer that came after its request gave up: nobody waits for it.
        health: () => undefined,
        // Sent unasked as a drain ends (a late answer to a scrape counts the same: counts only grow).
        metrics: (message) => this.emit('metrics', handle, message.report),
        took: (message) => {
          if (message.closed) this.emit('closed', handle, message.closed);
          this.emit('took', handle, message.id, message.accepted);
        },
        closed: (message) => this.emit('closed', handle, message.count),
        drained: (message) => {
          handle.drainReport = message.report;
          this.emit('drained', handle, message.report);
        },
        bus: (message) => this.emit('bus', handle, message),
        'bus-request': (message) => this.emit('bus-request', handle, message.topic, message.data, message.timeoutMs, message.seq),
        'bus-listen': (message) => this.emit('bus-listen', handle, message.topic, message.on),
        'bus-answer': (message) => this.emit('bus-answer', handle, message.id, message.ok ? { ok: true, data: message.data } : { ok: false, error: message.error }),
        store: (message) => this.emit('store', handle, message.call, message.seq),
      },
      // PM2's wait_ready: the app says it is ready with process.send('ready').
      onAppMessage: (message) => {
        if (message === 'ready' && this.#app.wait_ready) this.#onReady(handle);
        this.emit('app-message', handle, message);
      },
      onInvalidMessage: (why) => this.emit('ipc-invalid', handle, why),
      onTransition: (from, to) => this.emit('transition', handle, from, to),
    });
    this.#live.add(handle);
    if (role === 'current') this.#slots.set(slot, handle);
    this.emit('spawn', handle);
    this.#timers.set(handle, [
      setTimeout(() => {
        handle.establish();
        this.emit('stable', handle);
      }, this.#app.min_uptime),
      setTimeout(() => {
        if (this.#upWithoutPort(handle)) {
          this.#portless = handle.hasRuntime || this.#portless;
          return this.#onReady(handle);
        }
        if (handle.role !== 'current') return;
        if (handle.state === 'starting' || (this.#app.wait_ready && handle.state === 'listening')) this.emit('slow-listen', handle);
      }, this.#app.listen_timeout),
    ]);
    // Known not to listen (or no runtime to tell): up at min_uptime, without waiting out listen_timeout.
    if (!handle.hasRuntime || this.#portless) {
      this.#timers.get(handle)!.push(setTimeout(() => this.#upWithoutPort(handle) && this.#onReady(handle), this.#app.min_uptime));
    }
    // A program without drover's runtime reports nothing: its figures are read from outside.
    if (!handle.hasRuntime && child.pid !== undefined && this.#app.stats_interval > 0) {
      const sampler = new ProgramStats(child.pid);
      this.#timers.get(handle)!.push(
        setInterval(() => {
          const stats = sampler.next();
          if (stats && handle.live) this.emit('stats', handle, stats);
        }, this.#app.stats_interval),
      );
    }
    child.on('exit', (code: number | null, signal: string | null) => this.#onExit(handle, code, signal));
    // A process that could not be started at all (its cwd gone, say) emits 'error'
    // and never 'exit'. Other errors (sending to one that is exiting) end in 'exit'.
    child.on('error', (error) => {
      if (child.pid !== undefined || !handle.live) return;
      handle.fatalError = serializeError(error);
      this.#onExit(handle, null, null);
    });
    return handle;
  }

  /** A candidate becomes its slot's worker. Returns the one it replaces, if alive; the caller drains it. */
  promote(candidate: WorkerView): WorkerView | undefined {
    const handle = this.#own(candidate);
    const old = this.#slots.get(handle.slot);
    handle.role = 'current';
    this.#slots.set(handle.slot, handle);
    this.emit('promoted', handle);
    return old?.live ? old : undefined;
  }

  /** Take a slot away (scale down); returns its worker, if any, for the caller to drain. */
  release(slot: number): WorkerView | undefined {
    const handle = this.#slots.get(slot);
    this.#slots.delete(slot);
    return handle;
  }

  /** Ask a worker to drain for `intent`; at kill_timeout it is killed. False if it was asked already. */
  drain(worker: WorkerView, intent: ExitIntent): boolean {
    const handle = this.#own(worker);
    if (!handle.requestShutdown(intent, this.#app.shutdown_with_message)) return false;
    this.#timers.get(handle)?.push(setTimeout(() => this.kill(handle, 'kill_timeout'), this.#app.kill_timeout));
    return true;
  }

  /** Send a message to the app in a worker (its process.on('message')); a worker gone or going is skipped. */
  sendToApp(worker: WorkerView, message: unknown): void {
    const handle = this.#own(worker);
    if (!handle.live || !handle.process.connected) return;
    // Sending to a worker that is exiting fails: its exit tells that story.
    handle.process.send(message as Serializable, undefined, {}, () => undefined);
  }

  /** Send drover's own message to a worker's runtime (`ack`: the request it answers); a worker gone, or not online yet, is skipped. */
  sendToRuntime(worker: WorkerView, message: SupervisorMessage, ack?: number): void {
    const handle = this.#own(worker);
    if (handle.live && handle.online) handle.channel.send(message, ack);
  }

  /** Hand a balanced connection (its raw handle) to a worker; `failed` if it cannot be sent (the worker is going). */
  sendConnection(worker: WorkerView, message: ConnectionMessage, connection: object, failed: () => void): void {
    const handle = this.#own(worker);
    if (!handle.live || !handle.process.connected) return failed();
    handle.process.send(message, connection as Parameters<ChildProcess['send']>[1], {}, (error) => error && failed());
  }

  /** SIGKILL a worker still draining at kill_timeout, or on a forced stop; what it still had open is reported. */
  kill(worker: WorkerView, why: 'kill_timeout' | 'forced'): void {
    const handle = this.#own(worker);
    if (!handle.live || handle.killSent) return;
    this.emit('killed', handle, handle.drainReport, why);
    handle.kill();
  }

  /** Where a worker's JavaScript is stuck, through its inspector (see inspector/capture-stack.ts); kill it right after. */
  captureStack(worker: WorkerView): Promise<StackCapture> {
    const handle = this.#own(worker);
    return captureStack((timeoutMs) => handle.openInspector(timeoutMs));
  }

  /** SIGKILL a worker that stopped answering; `detail` explains its exit. */
  killUnresponsive(worker: WorkerView, detail: string): void {
    this.#own(worker).kill('unresponsive', detail);
  }

  /** Resolves once a new worker is up, or with why it cannot be: it exited, the app is stopping, or listen_timeout passed. */
  whenUp(worker: WorkerView): Promise<UpOutcome> {
    const handle = this.#own(worker);
    if (handle.state === 'ready') return Promise.resolve({ ok: true });
    if (!handle.live) return Promise.resolve({ ok: false, why: `exited (${handle.exitedWith})` });
    return new Promise((resolve) => {
      const waiters = this.#upWaiters.get(handle) ?? new Set();
      this.#upWaiters.set(handle, waiters);
      const timeoutMs = this.upTimeoutMs;
      const timer = setTimeout(() => {
        const what = this.#app.wait_ready ? "ready (no process.send('ready'))" : 'listening';
        settle({ ok: false, why: `not ${what} after ${timeoutMs === this.#app.listen_timeout ? 'listen_timeout ' : ''}${formatDuration(timeoutMs)}` });
      }, timeoutMs);
      const settle = (outcome: UpOutcome) => {
        clearTimeout(timer);
        waiters.delete(settle);
        resolve(outcome);
      };
      waiters.add(settle);
    });
  }

  /**
   * Ask a worker to run the app's health check now. Resolves with its verdict
   * (undefined: the app has none); rejects with a ChannelError when the worker does
   * not answer in time or is gone.
   */
  async checkHealth(worker: WorkerView, timeoutMs: number): Promise<HealthVerdict> {
    const handle = this.#own(worker);
    if (!handle.hasRuntime) return undefined;
    const reply = await handle.channel.request({ type: 'check', timeoutMs }, timeoutMs + CHECK_REPLY_MARGIN_MS);
    return reply.type === 'health' ? reply.health : undefined;
  }

  /**
   * Ask a worker for its counters and the app's prom-client metrics (a scrape). The
   * answer is also emitted as `metrics`. Rejects with a ChannelError when the worker
   * does not answer in time or is gone; undefined for a program without the runtime.
   */
  async requestMetrics(worker: WorkerView, timeoutMs: number): Promise<MetricsReport | undefined> {
    const handle = this.#own(worker);
    if (!handle.hasRuntime || !handle.online) return undefined;
    const reply = await handle.channel.request({ type: 'metrics' }, timeoutMs);
    if (reply.type !== 'metrics') return undefined;
    this.emit('metrics', handle, reply.report);
    return reply.report;
  }

  /** Whoever waits for a worker to come up hears that it will not (the app is stopping). */
  cancelWaits(why: string): void {
    for (const handle of this.#upWaiters.keys()) this.#settleUp(handle, { ok: false, why });
  }

  /**
   * Queue workers, cron jobs and bots never listen: a worker is up once it has stayed
   * alive through listen_timeout without listening (a server that is merely slow to
   * start, a NestJS app connecting to its database, listens within it), and, once
   * the app is known not to listen, after min_uptime. Not when the app says when it is
   * ready (wait_ready) or is a server (one of its workers has listened): then a new
   * worker is up only once it listens too, so that a reload never drains the old one
   * before its successor serves. A program that is not Node.js cannot tell us
   * either: min_uptime is all.
   */
  #upWithoutPort(handle: WorkerHandle): boolean {
    if (!handle.hasRuntime) return true;
    return !this.#app.wait_ready && !this.#isServer && handle.state === 'starting';
  }

  /** How long a new worker may take to be up: listen_timeout, or, for an app that may never listen, until it has lived through it. */
  get upTimeoutMs(): number {
    return this.#isServer || this.#app.wait_ready ? this.#app.listen_timeout : Math.max(this.#app.listen_timeout, this.#app.min_uptime) + 1000;
  }

  #onListening(handle: WorkerHandle, address: WorkerAddress): void {
    this.#isServer = true;
    handle.listened = true;
    if (handle.state === 'starting') handle.transition('listening');
    handle.establish();
    this.emit('listening', handle, address);
    if (!this.#app.wait_ready) this.#onReady(handle);
  }

  // A worker is up once it listens, or, with wait_ready, once it says so.
  #onReady(handle: WorkerHandle): void {
    if (handle.state !== 'starting' && handle.state !== 'listening') return;
    handle.upAt = Date.now();
    handle.establish();
    handle.transition('ready');
    this.#settleUp(handle, { ok: true });
  }

  #onExit(handle: WorkerHandle, code: number | null, signal: string | null): void {
    handle.exitedWith = describeExit(code, signal);
    for (const timer of this.#timers.get(handle) ?? []) clearTimeout(timer);
    this.#timers.delete(handle);
    handle.stderr.flush();
    const output = handle.outputDone;
    this.#outputPending.add(output);
    void output.then(() => this.#outputPending.delete(output));
    this.#live.delete(handle);
    handle.transition('exited');
    // What a program leaves of its group goes with it: at once after a crash; after a stop,
    // once what is left of kill_timeout has passed (a yarn whose node child still drains).
    if (handle.intent === undefined || handle.killSent) handle.endGroup();
    else setTimeout(() => handle.endGroup(), Math.max(0, handle.drainStartedAt + this.#app.kill_timeout - Date.now())).unref();
    const uptime = Date.now() - handle.startedAt;
    const stderrTail = handle.stderr.appTail();
    const fatal = handle.fatalError ? describeError(handle.fatalError) : summarizeCause(stderrTail);
    // A new worker died before it was up: whoever waits for it (a reload, a scale) says why.
    if (this.#upWaiters.get(handle)?.size) {
      const how = `${handle.listened ? 'crashed' : 'crashed on start'} with ${describeExitAfter(code, signal, uptime)}`;
      this.#settleUp(handle, { ok: false, why: fatal ? `${how}: ${fatal}` : how });
    }
    this.emit('exit', handle, {
      intent: handle.intent,
      intentDetail: handle.intentDetail,
      code,
      signal,
      uptime,
      listened: handle.listened,
      current: this.#slots.get(handle.slot) === handle,
      cause: handle.intentDetail ?? fatal,
      fatalError: handle.fatalError,
      stderrTail,
    });
  }

  #settleUp(handle: WorkerHandle, outcome: UpOutcome): void {
    const waiters = this.#upWaiters.get(handle);
    this.#upWaiters.delete(handle);
    for (const waiter of waiters ?? []) waiter(outcome);
  }

  // Views handed out are the pool's own handles; only the pool acts on them.
  #own(worker: WorkerView): WorkerHandle {
    if (!(worker instanceof WorkerHandle)) throw new Error('not a worker of this pool');
    return worker;
  }
}

/** "TypeError [ERR_X]: first line of the message" */
export function describeError(error: SerializedError): string {
  const firstLine = error.message.split('\n', 1)[0];
  return `${error.name}${error.code ? ` [${error.code}]` : ''}: ${firstLine}`;
}
