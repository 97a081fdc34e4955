import { rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { formatDuration } from '../config/units.js';
import { DroverError, errorCode } from '../errors/index.js';
import { serializeError, type SerializedError, type WorkerStats } from '../ipc/messages.js';
import { AppOutput } from '../log/app-output.js';
import { describeExit, describeExitAfter, summarizeCause } from './describe-exit.js';
import type {
  AppSnapshot,
  CrashDecision,
  ReloadResult,
  ReplacedSlot,
  RestartReason,
  SupervisorEvents,
  SupervisorResult,
} from './events.js';
import { judgeReport } from './health-rules.js';
import { RestartPolicy } from './restart-policy.js';
import { spawnWorker } from './spawn-worker.js';
import { Timeline, type TimelineKind } from './timeline.js';
import { WorkerHandle, type UpOutcome, type WorkerAddress } from './worker-handle.js';

/** Settings of a supervisor that come from the machine, not from the app's options. */
export interface SupervisorOptions {
  /** Give each worker --max-old-space-size (auto_heap), unless its node_args set one. */
  heapLimitMb?: number;
  /** The most workers `scale` may ask for (max_workers, or the limit derived from the machine). */
  maxWorkers?: number;
  /** How `maxWorkers` was arrived at, for the message that refuses more. */
  maxWorkersReason?: string;
}

/**
 * One app's supervisor: forks its workers (with node:cluster, so that they share the
 * app's port, or as plain processes in fork mode), replaces crashed ones under the
 * restart policy, and drains them all on stop. Results come as typed events; `run()`
 * resolves when no worker is left.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly app: AppOptions;
  /** The worker serving each slot. */
  readonly #slots = new Map<number, WorkerHandle>();
  /** Every worker process alive: current ones, a reload's candidates, and those draining. */
  readonly #live = new Set<WorkerHandle>();
  readonly #pendingRestarts = new Map<number, NodeJS.Timeout>();
  readonly #policy: RestartPolicy;
  readonly #output: AppOutput;
  readonly #forced = new Set<number>();
  // Problems reported once (see #problem), by key.
  readonly #problems = new Set<string>();
  #count = 0;
  #stopping = false;
  #gaveUp: DroverError | undefined;
  #lastUnrestarted: { code: number | null; signal: string | null } | undefined;
  #readyAnnounced = false;
  #address: WorkerAddress | undefined;
  #lastCause: string | undefined;
  readonly #timeline = new Timeline();
  readonly #restarts: Record<RestartReason, number> = { crash: 0, unresponsive: 0, 'memory-limit': 0, 'event-loop-delay': 0, 'health-check': 0, requested: 0 };
  readonly #slotRestarts = new Map<number, number>();
  readonly #heapLimitMb: number | undefined;
  readonly #maxWorkers: number;
  readonly #maxWorkersReason: string;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lastHeartbeatCheck = 0;
  // Reload, restart and scale run one at a time, in the order asked: each one's view
  // of the slots holds for as long as it runs.
  #lifecycle: Promise<unknown> = Promise.resolve();
  #reloadQueued: Promise<ReloadResult> | undefined;
  #resolveRun: ((result: SupervisorResult) => void) | undefined;
  // Output of exited workers still arriving through their pipes.
  readonly #outputPending = new Set<Promise<void>>();
  #finished = false;

  constructor(app: AppOptions, options: SupervisorOptions = {}) {
    super();
    this.app = app;
    this.#heapLimitMb = options.heapLimitMb;
    this.#maxWorkers = options.maxWorkers ?? Number.MAX_SAFE_INTEGER;
    this.#maxWorkersReason = options.maxWorkersReason ?? 'max_workers';
    this.#policy = new RestartPolicy({
      maxRestarts: app.max_restarts,
      initialDelay: app.exp_backoff_restart_delay,
      fixedDelay: app.restart_delay,
    });
    this.#output = new AppOutput(app, (message) => this.warn(message));
  }

  /** The workers alive now, in slot order. */
  get workers(): WorkerHandle[] {
    return [...this.#slots.values()].filter((handle) => handle.live);
  }

  /** Open the app's log files for `count` workers; throws DROVER_E_LOG_FILE when one cannot be written. */
  prepare(count: number): void {
    this.#count = count;
    this.#output.open(count);
  }

  /** Fork `count` workers and supervise them until stopped or nothing is left. */
  run(count: number): Promise<SupervisorResult> {
    if (this.#resolveRun) throw new Error('Supervisor.run() was already called');
    if (this.#count !== count) this.prepare(count);
    const done = new Promise<SupervisorResult>((resolve) => (this.#resolveRun = resolve));
    void this.#forkSlots(range(0, count));
    if (this.app.stats_interval > 0) {
      this.#lastHeartbeatCheck = Date.now();
      this.#heartbeatTimer = setInterval(() => this.#checkHeartbeats(), this.#heartbeatPeriod);
    }
    return done;
  }

  /**
   * Change the number of workers: new slots start (and the call resolves once they are
   * up, or have failed); the highest slots above the new count drain (no request
   * fails). Throws DROVER_E_INVALID_OPTION beyond the maximum. Queued behind a reload
   * or restart under way. Resolves with the counts before and after.
   */
  scale(target: number): Promise<{ from: number; to: number }> {
    if (!Number.isInteger(target) || target < 1) {
      throw new DroverError('DROVER_E_INVALID_OPTION', `scale: expected a whole number of workers, at least 1, got ${target}; to run none, stop the app`);
    }
    if (target > this.#maxWorkers) {
      throw new DroverError(
        'DROVER_E_INVALID_OPTION',
        `scale: ${target} workers is more than max_workers ${this.#maxWorkers} (${this.#maxWorkersReason}); set max_workers in the app's config to allow more`,
      );
    }
    return this.#enqueue(() => this.#scaleTo(target));
  }

  async #scaleTo(target: number): Promise<{ from: number; to: number }> {
    const from = this.#count;
    if (this.#stopping || this.#finished) return { from, to: from };
    this.#count = target;
    for (let slot = target; slot < from; slot++) {
      clearTimeout(this.#pendingRestarts.get(slot));
      this.#pendingRestarts.delete(slot);
      const handle = this.#slots.get(slot);
      this.#slots.delete(slot);
      if (handle) this.#drain(handle, 'scale');
    }
    this.#record('scaled', undefined, `scaled from ${from} to ${target} worker(s)`);
    const added = await this.#forkSlots(range(from, target));
    await Promise.all(added.map((handle) => this.#whenUp(handle)));
    this.#finishIfEmpty();
    return { from, to: target };
  }

  /**
   * Hard restart (PM2's restart): every worker drains and its slot starts afresh once
   * it has exited; a slot left empty (a crash loop given up on) starts at once.
   * Capacity drops meanwhile: `reload` is the one that keeps serving. Queued behind
   * a reload or scale under way; resolves once every slot has a new worker up, or
   * with the slots that have none after listen_timeout.
   */
  restart(): Promise<{ restarting: number; notUp: number[] }> {
    return this.#enqueue(async () => {
      if (this.#stopping || this.#finished || !this.#resolveRun) return { restarting: 0, notUp: [] };
      const handles = [...this.#slots.values()].filter((handle) => handle.live && !handle.stopRequested);
      const old = new Set(handles);
      this.#record('restart', undefined, `restart of ${handles.length} worker(s) requested`);
      // Fresh workers: a crash loop given up on before no longer holds their restarts back.
      this.#gaveUp = undefined;
      this.emit('restarting', handles.map((handle) => handle.info));
      for (const handle of handles) {
        handle.restartAfterExit = true;
        this.#drain(handle, 'restart');
      }
      await this.#forkSlots(range(0, this.#count).filter((slot) => !this.#slots.get(slot)?.live && !this.#pendingRestarts.has(slot)));
      // Each old worker drains (kill_timeout at most), then its successor starts.
      const upWithin = this.app.kill_timeout + this.app.listen_timeout + 1000;
      const isUp = (slot: number) => {
        const handle = this.#slots.get(slot);
        return handle !== undefined && !old.has(handle) && handle.state === 'ready';
      };
      await waitUntil(() => this.#stopping || range(0, this.#count).every(isUp), upWithin);
      return { restarting: handles.length, notUp: range(0, this.#count).filter((slot) => !isUp(slot)) };
    });
  }

  // Run lifecycle operations one after another. The promise settles with the operation.
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(operation, operation);
    this.#lifecycle = next.catch(() => undefined);
    return next;
  }

  // Fork the workers of these slots, one per turn of the event loop, so that signals,
  // IPC and the control API are answered between forks.
  async #forkSlots(slots: number[]): Promise<WorkerHandle[]> {
    const handles: WorkerHandle[] = [];
    for (const slot of slots) {
      if (this.#stopping || slot >= this.#count) break;
      if (handles.length > 0) await new Promise((resolve) => setImmediate(resolve));
      if (this.#stopping || slot >= this.#count) break;
      handles.push(this.#fork(slot));
    }
    return handles;
  }

  /** The app's log files and its live feed of lines. */
  get output(): AppOutput {
    return this.#output;
  }

  /** The app's lifecycle events, oldest first (bounded). */
  timeline() {
    return this.#timeline.list();
  }

  /** Each worker's state and latest figures, and the app's totals and restart counts. */
  snapshot(): AppSnapshot {
    const emptySlots = range(0, this.#count).filter((slot) => !this.#slots.get(slot)?.live && !this.#pendingRestarts.has(slot));
    const workers = this.workers.map((handle) => ({
      slot: handle.slot,
      pid: handle.pid,
      state: handle.state,
      uptimeMs: Date.now() - handle.startedAt,
      restarts: this.#slotRestarts.get(handle.slot) ?? 0,
      stats: handle.stats,
    }));
    const sum = (pick: (stats: WorkerStats) => number) => workers.reduce((total, w) => total + (w.stats ? pick(w.stats) : 0), 0);
    return {
      name: this.app.name,
      workers,
      // After a crash loop given up on, the other workers keep serving: say so.
      degraded:
        this.#gaveUp && !this.#stopping && emptySlots.length > 0
          ? { reason: this.#gaveUp.message.split('\n', 1)[0]!, code: this.#gaveUp.code, emptySlots }
          : undefined,
      restarts: { ...this.#restarts },
      totals: {
        rss: sum((s) => s.rss),
        requestsServed: sum((s) => s.requestsServed),
        requestsInFlight: sum((s) => s.requestsInFlight),
        connections: sum((s) => s.connections),
      },
    };
  }

  #record(kind: TimelineKind, handle: WorkerHandle | undefined, detail: string, stderrTail?: string[]): void {
    this.#timeline.add({ kind, slot: handle?.slot, pid: handle?.pid, detail, ...(stderrTail ? { stderrTail } : {}) });
  }

  #countRestart(slot: number, reason: RestartReason): void {
    this.#restarts[reason] += 1;
    this.#slotRestarts.set(slot, (this.#slotRestarts.get(slot) ?? 0) + 1);
  }

  get #heartbeatPeriod(): number {
    return Math.min(this.app.stats_interval, 1000);
  }

  // A worker that has sent no report for heartbeat_timeout is stuck (a blocked event
  // loop): kill it; its exit restarts it like a crash, explained by `killedFor`.
  #checkHeartbeats(): void {
    const now = Date.now();
    // If this check itself ran late, the supervisor was too busy to read reports (a
    // large fork, a stalled disk): that silence is not the workers'.
    const late = now - this.#lastHeartbeatCheck - this.#heartbeatPeriod;
    this.#lastHeartbeatCheck = now;
    if (late > 100) for (const handle of this.#live) handle.lastReportAt += late;
    for (const handle of this.#live) {
      if (handle.stopRequested || handle.killedFor) continue;
      const silent = now - handle.lastReportAt;
      if (silent <= this.app.heartbeat_timeout) continue;
      handle.killedFor = `unresponsive for ${formatDuration(silent)} (no heartbeat)`;
      this.#record('unresponsive', handle, `${handle.killedFor}: killed and replaced`);
      this.emit('unresponsive', handle.info, silent);
      handle.kill();
    }
  }

  #onStats(handle: WorkerHandle, stats: WorkerStats): void {
    handle.stats = stats;
    handle.lastReportAt = Date.now();
    if (handle.stopRequested || handle.role !== 'current') return;
    const verdict = judgeReport(stats, handle.health, this.app);
    if (verdict.action === 'warn') {
      this.#record(verdict.kind, handle, verdict.detail);
      this.emit('health-warning', handle.info, verdict.detail);
    } else if (verdict.action === 'replace') {
      this.#replace(handle, verdict.kind, verdict.detail);
    }
  }

  // Replace one worker gracefully: its successor first, then the drain, so that
  // capacity never drops and no request fails. In the lifecycle queue, like a reload
  // of one slot; a reload or restart that got there first has replaced it already.
  #replace(handle: WorkerHandle, reason: Exclude<RestartReason, 'crash' | 'unresponsive' | 'requested'>, detail: string): void {
    if (handle.replacing || this.#stopping) return;
    handle.replacing = true;
    this.#record(reason, handle, `${detail}: replacing it`);
    this.emit('replacing', handle.info, reason, detail);
    void this.#enqueue(async () => {
      if (this.#stopping || this.#slots.get(handle.slot) !== handle || !handle.live || handle.stopRequested) return;
      const candidate = this.#spawn(handle.slot, 'candidate');
      const outcome = await this.#whenUp(candidate);
      if (!outcome.ok || this.#stopping || this.#slots.get(handle.slot) !== handle) {
        this.#drain(candidate, 'reload');
        handle.replacing = false;
        if (!outcome.ok) this.emit('replace-failed', handle.info, reason, outcome.why);
        return;
      }
      const entry = this.#promote(candidate);
      if (!entry) return;
      this.#countRestart(handle.slot, reason);
      this.emit('replaced', entry, reason);
    });
  }

  // A candidate becomes its slot's worker; the one it replaces drains.
  #promote(candidate: WorkerHandle): ReplacedSlot | undefined {
    // Never a worker for a slot that scale has removed: it would serve unseen.
    if (candidate.slot >= this.#count) {
      this.#drain(candidate, 'scale');
      return undefined;
    }
    // The slot may be waiting out a restart backoff (its worker crashed meanwhile): the
    // candidate fills it instead.
    clearTimeout(this.#pendingRestarts.get(candidate.slot));
    this.#pendingRestarts.delete(candidate.slot);
    const old = this.#slots.get(candidate.slot);
    candidate.role = 'current';
    this.#slots.set(candidate.slot, candidate);
    const oldPid = old?.live ? old.pid : undefined;
    if (old?.live) this.#drain(old, 'reload');
    const entry = { slot: candidate.slot, oldPid, newPid: candidate.pid, startupMs: candidate.upAt - candidate.startedAt };
    this.#record('replaced', candidate, `replaced ${oldPid === undefined ? 'an empty slot' : `pid ${oldPid}`} (up after ${formatDuration(entry.startupMs)})`);
    return entry;
  }

  /** Graceful stop: no more restarts, every worker drains, kill_timeout bounds each drain. */
  stop(reason = 'stop requested'): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.emit('stopping', reason);
    for (const timer of this.#pendingRestarts.values()) clearTimeout(timer);
    this.#pendingRestarts.clear();
    for (const handle of this.#live) {
      handle.settleUp({ ok: false, why: 'the app is stopping' });
      this.#drain(handle, 'stop');
    }
    this.#finishIfEmpty();
  }

  /** A second signal: kill what is left now. */
  forceStop(): void {
    this.stop('forced stop');
    for (const handle of this.#live) this.#kill(handle, 'forced');
  }

  /**
   * Rolling reload: each slot, a batch at a time, gets a new worker (the script is
   * loaded afresh, so this is how new code is deployed); once the new one is up the
   * old one drains. A new worker that crashes or is not up within listen_timeout
   * stops the reload, and the old workers keep serving. A reload asked for during
   * another (or during a scale or restart) is queued, and several such requests
   * waiting together share one.
   */
  reload(): Promise<ReloadResult> {
    this.#reloadQueued ??= this.#enqueue(() => {
      this.#reloadQueued = undefined;
      return this.#rollWorkers();
    });
    return this.#reloadQueued;
  }

  async #rollWorkers(): Promise<ReloadResult> {
    const started = Date.now();
    const replaced: ReplacedSlot[] = [];
    const end = (failure: ReloadResult['failure']): ReloadResult => {
      const result = { ok: failure === undefined, durationMs: Date.now() - started, replaced, failure };
      const how = failure ? `stopped at worker ${failure.slot}: ${failure.why}` : 'done';
      this.#record('reload-finished', undefined, `reload ${how} after ${formatDuration(result.durationMs)}, ${replaced.length} replaced`);
      this.emit('reload-end', result);
      return result;
    };
    if (this.#stopping || this.#finished || !this.#resolveRun) return end({ slot: -1, pid: -1, why: 'the app is not running' });
    const batch = this.app.reload_batch;
    this.#record('reload-started', undefined, `reload of ${this.#count} worker(s), ${batch} at a time`);
    this.emit('reload-start', this.#count, batch);

    for (let first = 0; first < this.#count; first += batch) {
      const slots = Array.from({ length: Math.min(batch, this.#count - first) }, (_, i) => first + i);
      const candidates = slots.map((slot) => this.#spawn(slot, 'candidate'));
      const outcomes = await Promise.all(candidates.map((candidate) => this.#whenUp(candidate)));
      // One that came up and then died while the rest of its batch started fails too.
      const failedAt = outcomes.findIndex((outcome, i) => !outcome.ok || !candidates[i]!.live);
      if (failedAt !== -1) {
        for (const candidate of candidates) this.#drain(candidate, 'reload');
        const failed = candidates[failedAt]!;
        const outcome = outcomes[failedAt]!;
        const why = outcome.ok ? `exited (${failed.exitedWith}) while the rest of its batch started` : outcome.why;
        return end({ slot: failed.slot, pid: failed.pid, why });
      }
      for (const candidate of candidates) {
        const entry = this.#promote(candidate);
        if (!entry) continue;
        replaced.push(entry);
        this.emit('reload-replaced', entry);
      }
    }
    // Every slot has a worker that started and listened: a crash loop given up on
    // before (a bad deploy, now fixed) is over.
    this.#gaveUp = undefined;
    return end(undefined);
  }

  // Resolves once a new worker is up, or with why it cannot be: it exited, the app is
  // stopping, or listen_timeout passed.
  #whenUp(handle: WorkerHandle): Promise<UpOutcome> {
    if (handle.state === 'ready') return Promise.resolve({ ok: true });
    if (!handle.live) return Promise.resolve({ ok: false, why: `exited (${handle.exitedWith})` });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const what = this.app.wait_ready ? "ready (no process.send('ready'))" : 'listening';
        settle({ ok: false, why: `not ${what} after listen_timeout ${formatDuration(this.app.listen_timeout)}` });
      }, this.app.listen_timeout);
      const settle = (outcome: UpOutcome) => {
        clearTimeout(timer);
        handle.upWaiters.delete(settle);
        resolve(outcome);
      };
      handle.upWaiters.add(settle);
    });
  }

  // Ask a worker to drain; at kill_timeout it is killed and what it still had open is reported.
  #drain(handle: WorkerHandle, reason: 'stop' | 'reload' | 'scale' | 'restart'): void {
    if (!handle.live || handle.stopRequested) return;
    handle.requestShutdown(reason, this.app.shutdown_with_message);
    this.#record('draining', handle, `draining (${reason})`);
    handle.timers.push(setTimeout(() => this.#kill(handle, 'kill_timeout'), this.app.kill_timeout));
  }

  #kill(handle: WorkerHandle, why: 'kill_timeout' | 'forced'): void {
    if (!handle.live || handle.killSent) return;
    if (this.#stopping) this.#forced.add(handle.slot);
    this.#record('killed', handle, why === 'forced' ? 'killed by a second signal' : `still draining at kill_timeout ${formatDuration(this.app.kill_timeout)}: killed`);
    this.emit('killed', handle.info, handle.drainReport, why);
    handle.kill();
  }

  #fork(slot: number): WorkerHandle {
    this.#pendingRestarts.delete(slot);
    return this.#spawn(slot, 'current');
  }

  // Start a worker for `slot`: as the slot's worker, or as a reload's candidate for it.
  #spawn(slot: number, role: 'current' | 'candidate'): WorkerHandle {
    const output = this.#output.forWorker(slot, this.#count);
    const child = spawnWorker(this.app, slot, output.stdout !== undefined, this.#heapLimitMb);
    const handle: WorkerHandle = new WorkerHandle(
      slot,
      child,
      output,
      {
        online: () => handle.goOnline(),
        stats: (message) => this.#onStats(handle, message.stats),
        listening: (message) => this.#onListening(handle, message.address),
        fatal: (message) => (handle.fatalError = message.error),
        draining: (message) => {
          handle.drainReport = message.report;
          // Answered after this worker's "listener closed" on the same channel: once
          // it has this, no connection node:cluster hands out can still be on its way.
          handle.channel.send({ type: 'ack' }, message.seq);
          this.emit('draining', handle.info, message.report);
        },
        drained: (message) => {
          handle.drainReport = message.report;
          this.emit('drained', handle.info, message.report);
        },
      },
      // PM2's wait_ready: the app says it is ready with process.send('ready').
      (message) => {
        if (message === 'ready' && this.app.wait_ready) this.#onReady(handle);
      },
      (why) => this.#record('ipc-invalid', handle, `dropped a malformed message from the worker: ${why}`),
    );
    handle.role = role;
    this.#live.add(handle);
    if (role === 'current') this.#slots.set(slot, handle);
    this.#writePidFile(handle);
    this.#record('spawned', handle, role === 'candidate' ? 'started (to replace the current worker)' : 'started');
    this.emit('spawn', handle.info);

    handle.timers.push(
      setTimeout(() => {
        handle.establish();
        this.#policy.onStable(slot);
      }, this.app.min_uptime),
      setTimeout(() => {
        // A reload's candidate that is late fails the reload instead.
        if (handle.role === 'current' && (handle.state === 'starting' || (this.app.wait_ready && handle.state === 'listening'))) {
          this.emit('slow-listen', handle.info, this.app.listen_timeout);
        }
      }, this.app.listen_timeout),
    );
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

  #onListening(handle: WorkerHandle, address: WorkerAddress): void {
    handle.listened = true;
    if (handle.state === 'starting') handle.state = 'listening';
    handle.establish();
    this.#address = address;
    this.#record('listening', handle, `listening on ${'path' in address ? address.path : `${address.address}:${address.port}`}`);
    this.emit('listening', handle.info, address);
    if (!this.app.wait_ready) this.#onReady(handle);
  }

  // A worker is up once it listens, or, with wait_ready, once it says so.
  #onReady(handle: WorkerHandle): void {
    if (handle.state !== 'starting' && handle.state !== 'listening') return;
    handle.state = 'ready';
    handle.upAt = Date.now();
    handle.establish();
    if (this.app.wait_ready) this.#record('ready', handle, 'ready');
    handle.settleUp({ ok: true });
    if (handle.role === 'candidate' || this.#readyAnnounced || this.#slots.size < this.#count || ![...this.#slots.values()].every((h) => h.state === 'ready')) return;
    this.#readyAnnounced = true;
    this.emit('ready', this.workers.map((h) => h.info), this.#address);
  }

  #onExit(handle: WorkerHandle, code: number | null, signal: string | null): void {
    handle.state = 'exited';
    handle.exitedWith = describeExit(code, signal);
    handle.clearTimers();
    handle.stderr.flush();
    const output = handle.outputDone;
    this.#outputPending.add(output);
    void output.then(() => this.#outputPending.delete(output));
    this.#live.delete(handle);
    this.#removePidFile(handle);
    if (handle.stopRequested || this.#stopping) this.#record('exited', handle, `exited with ${handle.exitedWith}`);
    if (handle.upWaiters.size > 0) {
      // A new worker died before it was up: whoever waits for it (a reload, a scale)
      // reports why. A reload's candidate is not its slot's worker: no crash below.
      const cause = handle.fatalError ? describeError(handle.fatalError) : summarizeCause(handle.stderr.appTail());
      const how = `${handle.listened ? 'crashed' : 'crashed on start'} with ${describeExitAfter(code, signal, Date.now() - handle.startedAt)}`;
      handle.settleUp({ ok: false, why: cause ? `${how}: ${cause}` : how });
    }
    if (!handle.stopRequested && !this.#stopping && this.#slots.get(handle.slot) === handle) {
      this.#onCrash(handle, code, signal);
    } else if (handle.restartAfterExit && !this.#stopping && this.#slots.get(handle.slot) === handle) {
      this.#countRestart(handle.slot, 'requested');
      this.#fork(handle.slot);
    }
    this.#finishIfEmpty();
  }

  #onCrash(handle: WorkerHandle, code: number | null, signal: string | null): void {
    const uptime = Date.now() - handle.startedAt;
    const unstable = uptime < this.app.min_uptime;
    const stderrTail = handle.stderr.appTail();
    const cause = handle.killedFor ?? (handle.fatalError ? describeError(handle.fatalError) : summarizeCause(stderrTail));
    const sameCauseAsBefore = cause !== undefined && cause === this.#lastCause;
    this.#lastCause = cause;

    const notRestarted = this.#notRestarted(code);
    const stopReason = this.#gaveUp || notRestarted ? undefined : this.#fatalStartError(handle, code, signal, unstable);
    let decision: CrashDecision;
    if (notRestarted) decision = { action: 'not-restarted', why: notRestarted };
    else if (this.#gaveUp || stopReason) decision = { action: 'none' };
    else decision = this.#policy.onCrash(handle.slot, unstable);
    if (notRestarted) this.#lastUnrestarted = { code, signal };
    const exit = describeExitAfter(code, signal, uptime);
    this.#record(handle.killedFor ? 'exited' : 'crashed', handle, `${handle.killedFor ? 'killed' : 'crashed'} with ${exit}${cause ? `: ${cause}` : ''}`, stderrTail);

    this.emit('crash', {
      worker: handle.info,
      code,
      signal,
      uptime,
      unstable,
      listened: handle.listened,
      cause,
      sameCauseAsBefore,
      stderrTail,
      decision,
    });
    if (stopReason) this.#giveUp(stopReason);

    if (decision.action === 'give-up') {
      const tail = stderrTail.length > 0 ? `\nlast stderr lines of worker ${handle.slot} (pid ${handle.pid}):\n${indent(stderrTail)}` : '';
      this.#giveUp(
        new DroverError(
          'DROVER_E_CRASH_LOOP',
          `crash loop: ${decision.unstableInARow} crashes in a row within min_uptime (${formatDuration(this.app.min_uptime)}) of start; ` +
            `last: worker ${handle.slot} (pid ${handle.pid}) ${describeExitAfter(code, signal, uptime)}. ` +
            `Stopped restarting (max_restarts ${this.app.max_restarts}).${tail}`,
        ),
      );
    } else if (decision.action === 'restart') {
      const reason = handle.killedFor ? 'unresponsive' : 'crash';
      this.#countRestart(handle.slot, reason);
      this.#record('restarting', handle, `restarting worker ${handle.slot} in ${formatDuration(decision.delay)} (${reason})`);
      this.#pendingRestarts.set(handle.slot, setTimeout(() => this.#fork(handle.slot), decision.delay));
    }
  }

  // PM2's autorestart: false and stop_exit_codes: the exit is accepted as final.
  #notRestarted(code: number | null): string | undefined {
    if (!this.app.autorestart) return 'autorestart is off';
    if (code !== null && this.app.stop_exit_codes.includes(code)) return `exit code ${code} is in stop_exit_codes`;
    return undefined;
  }

  // Failures that no restart can fix: stop at once with the cause.
  #fatalStartError(handle: WorkerHandle, code: number | null, signal: string | null, unstable: boolean): DroverError | undefined {
    const fatal = handle.fatalError;
    if (fatal?.code === 'EADDRINUSE') {
      const where = fatal.port !== undefined ? `port ${fatal.port}` : 'its port';
      return new DroverError(
        'DROVER_E_PORT_IN_USE',
        `${where} is already in use by another process (EADDRINUSE): stop that process, or give the app another port`,
      );
    }
    if (code === 0 && signal === null && unstable && !handle.listened) {
      return new DroverError(
        'DROVER_E_EXITED_ON_START',
        `the app exited on its own with ${describeExit(code, signal)} ${formatDuration(Date.now() - handle.startedAt)} after start, ` +
          'without listening on a port. drover keeps servers running; a script that finishes is not one ' +
          '(run it with node, or set autorestart: false).',
      );
    }
    return undefined;
  }

  #giveUp(error: DroverError): void {
    if (this.#gaveUp) return;
    this.#gaveUp = error;
    for (const timer of this.#pendingRestarts.values()) clearTimeout(timer);
    this.#pendingRestarts.clear();
    this.emit('give-up', error);
  }

  #finishIfEmpty(): void {
    if (this.#finished || !this.#resolveRun || this.#live.size > 0 || this.#pendingRestarts.size > 0) return;
    this.#finished = true;
    clearInterval(this.#heartbeatTimer);
    const forced = [...this.#forced].sort((a, b) => a - b);
    const error = this.#gaveUp ?? (forced.length > 0 ? forcedError(forced) : this.#unrestartedError());
    const result: SupervisorResult = { exitCode: error?.exitCode ?? 0, error, forced };
    const resolve = this.#resolveRun;
    // A worker's last lines can arrive after its exit: wait for them (a second at most,
    // since a process it started may hold its pipes open), then close the files.
    let timer: NodeJS.Timeout | undefined;
    const flushed = Promise.race([Promise.all(this.#outputPending), new Promise((done) => (timer = setTimeout(done, 1000)))]);
    void flushed.then(() => {
      clearTimeout(timer);
      return this.#output.close();
    }).then(() => {
      this.emit('exit', result);
      resolve(result);
    });
  }

  // Workers that ended for good (autorestart off, stop_exit_codes) make `run` fail
  // unless the last of them exited cleanly.
  #unrestartedError(): DroverError | undefined {
    const last = this.#lastUnrestarted;
    if (this.#stopping || !last || (last.code === 0 && last.signal === null)) return undefined;
    return new DroverError('DROVER_E_WORKER_EXITED', `the app's last worker exited with ${describeExit(last.code, last.signal)} and was not restarted`);
  }

  #pidFile(handle: WorkerHandle): string | undefined {
    const file = this.app.pid_file;
    return !file || this.#count === 1 ? file : withSlotSuffix(file, handle.slot);
  }

  // A pid file that cannot be written (its folder removed) is reported once; the
  // worker runs without it.
  #writePidFile(handle: WorkerHandle): void {
    const file = this.#pidFile(handle);
    if (!file || handle.pid < 0) return;
    try {
      writeFileSync(file, `${handle.pid}\n`);
      this.#problemSolved(`pid_file ${file}`, `writing the pid file ${file} again`);
    } catch (error) {
      this.#problem(`pid_file ${file}`, `cannot write the pid file ${file} (${errorCode(error)}); the worker runs without it`);
    }
  }

  #removePidFile(handle: WorkerHandle): void {
    const file = this.#pidFile(handle);
    if (!file) return;
    try {
      rmSync(file, { force: true });
    } catch {
      // Reported when it could not be written; nothing to add here.
    }
  }

  /**
   * Something that does not stop the app went wrong (a pid file, a log file): say it
   * once, in the timeline and as a `warning` event, until `problemSolved` for the same key.
   */
  #problem(key: string, message: string): void {
    if (this.#problems.has(key)) return;
    this.#problems.add(key);
    this.warn(message);
  }

  #problemSolved(key: string, message: string): void {
    if (this.#problems.delete(key)) this.warn(message);
  }

  /** Report something that went wrong without stopping the app (or came right again): in the timeline and as a `warning` event. */
  warn(message: string): void {
    this.#record('warning', undefined, message);
    this.emit('warning', message);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** Poll `done` until it is true or `timeoutMs` has passed; resolves with the last answer. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return done();
}

function describeError(error: SerializedError): string {
  const firstLine = error.message.split('\n', 1)[0];
  return `${error.name}${error.code ? ` [${error.code}]` : ''}: ${firstLine}`;
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  | ${line}`).join('\n');
}

function forcedError(slots: number[]): DroverError {
  return new DroverError(
    'DROVER_E_SHUTDOWN_FORCED',
    `shutdown forced: worker${slots.length > 1 ? 's' : ''} ${slots.join(', ')} did not finish draining and ${slots.length > 1 ? 'were' : 'was'} killed`,
  );
}
