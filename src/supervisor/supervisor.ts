import { rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { formatDuration } from '../config/units.js';
import { DroverError } from '../errors/index.js';
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
import { WorkerHandle, type WorkerAddress } from './worker-handle.js';

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
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reloadRunning: Promise<ReloadResult> | undefined;
  #reloadNext: Promise<ReloadResult> | undefined;
  #resolveRun: ((result: SupervisorResult) => void) | undefined;
  // Output of exited workers still arriving through their pipes.
  readonly #outputPending = new Set<Promise<void>>();
  #finished = false;

  /** `heapLimitMb`: give each worker --max-old-space-size (auto_heap), unless its node_args set one. */
  constructor(app: AppOptions, options: { heapLimitMb?: number } = {}) {
    super();
    this.app = app;
    this.#heapLimitMb = options.heapLimitMb;
    this.#policy = new RestartPolicy({
      maxRestarts: app.max_restarts,
      initialDelay: app.exp_backoff_restart_delay,
      fixedDelay: app.restart_delay,
    });
    this.#output = new AppOutput(app);
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
    for (let slot = 0; slot < count; slot++) this.#fork(slot);
    if (this.app.stats_interval > 0) {
      this.#heartbeatTimer = setInterval(() => this.#checkHeartbeats(), Math.min(this.app.stats_interval, 1000));
    }
    return done;
  }

  /**
   * Change the number of workers: new slots start at once; the highest slots above
   * the new count drain (no request fails). Returns the counts before and after.
   */
  scale(target: number): { from: number; to: number } {
    if (!Number.isInteger(target) || target < 1) {
      throw new DroverError('DROVER_E_INVALID_OPTION', `scale: expected a whole number of workers, at least 1, got ${target}; to run none, stop the app`);
    }
    const from = this.#count;
    if (this.#stopping || this.#finished) return { from, to: from };
    this.#count = target;
    for (let slot = from; slot < target; slot++) this.#fork(slot);
    for (let slot = target; slot < from; slot++) {
      clearTimeout(this.#pendingRestarts.get(slot));
      this.#pendingRestarts.delete(slot);
      const handle = this.#slots.get(slot);
      this.#slots.delete(slot);
      if (handle) this.#drain(handle, 'scale');
    }
    this.#record('scaled', undefined, `scaled from ${from} to ${target} worker(s)`);
    this.#finishIfEmpty();
    return { from, to: target };
  }

  /**
   * Hard restart (PM2's restart): every worker drains and its slot starts afresh once
   * it has exited. Capacity drops meanwhile: `reload` is the one that keeps serving.
   */
  restart(): { restarting: number } {
    if (this.#stopping || this.#finished || !this.#resolveRun) return { restarting: 0 };
    const handles = [...this.#slots.values()].filter((handle) => handle.live && !handle.stopRequested);
    this.#record('restart', undefined, `restart of ${handles.length} worker(s) requested`);
    // Fresh workers: a crash loop given up on before no longer holds their restarts back.
    this.#gaveUp = undefined;
    this.emit('restarting', handles.map((handle) => handle.info));
    for (const handle of handles) {
      handle.restartAfterExit = true;
      this.#drain(handle, 'restart');
    }
    return { restarting: handles.length };
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

  // A worker that has sent no report for heartbeat_timeout is stuck (a blocked event
  // loop): kill it; its exit restarts it like a crash, explained by `killedFor`.
  #checkHeartbeats(): void {
    const now = Date.now();
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
      void this.#replace(handle, verdict.kind, verdict.detail);
    }
  }

  // Replace one worker gracefully: its successor first, then the drain, so that
  // capacity never drops and no request fails.
  async #replace(handle: WorkerHandle, reason: Exclude<RestartReason, 'crash' | 'unresponsive' | 'requested'>, detail: string): Promise<void> {
    if (handle.replacing || this.#stopping || this.#reloadRunning) return;
    handle.replacing = true;
    this.#record(reason, handle, `${detail}: replacing it`);
    this.emit('replacing', handle.info, reason, detail);
    const candidate = this.#spawn(handle.slot, 'candidate');
    const outcome = await this.#whenUp(candidate);
    if (!outcome.ok || this.#stopping || this.#slots.get(handle.slot) !== handle) {
      this.#drain(candidate, 'reload');
      handle.replacing = false;
      if (!outcome.ok) this.emit('replace-failed', handle.info, reason, outcome.why);
      return;
    }
    this.#countRestart(handle.slot, reason);
    this.emit('replaced', this.#promote(candidate), reason);
  }

  // A candidate becomes its slot's worker; the one it replaces drains.
  #promote(candidate: WorkerHandle): ReplacedSlot {
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
      handle.onUp?.({ ok: false, why: 'the app is stopping' });
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
   * another is queued, and several such requests share one.
   */
  reload(): Promise<ReloadResult> {
    if (!this.#reloadRunning) return this.#startReload();
    this.#reloadNext ??= this.#reloadRunning.then(() => {
      this.#reloadNext = undefined;
      return this.#startReload();
    });
    return this.#reloadNext;
  }

  #startReload(): Promise<ReloadResult> {
    const running = this.#rollWorkers().finally(() => {
      if (this.#reloadRunning === running) this.#reloadRunning = undefined;
    });
    this.#reloadRunning = running;
    return running;
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
        replaced.push(entry);
        this.emit('reload-replaced', entry);
      }
    }
    // Every slot has a worker that started and listened: a crash loop given up on
    // before (a bad deploy, now fixed) is over.
    this.#gaveUp = undefined;
    return end(undefined);
  }

  // Resolves once a reload's new worker is up, or with why it cannot be.
  #whenUp(handle: WorkerHandle): Promise<{ ok: true } | { ok: false; why: string }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const what = this.app.wait_ready ? "ready (no process.send('ready'))" : 'listening';
        settle({ ok: false, why: `not ${what} after listen_timeout ${formatDuration(this.app.listen_timeout)}` });
      }, this.app.listen_timeout);
      const settle = (outcome: { ok: true } | { ok: false; why: string }) => {
        clearTimeout(timer);
        handle.onUp = undefined;
        resolve(outcome);
      };
      handle.onUp = settle;
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

  #fork(slot: number): void {
    this.#pendingRestarts.delete(slot);
    this.#spawn(slot, 'current');
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
        stats: (message) => this.#onStats(handle, message.stats),
        listening: (message) => this.#onListening(handle, message.address),
        fatal: (message) => (handle.fatalError = message.error),
        draining: (message) => {
          handle.drainReport = message.report;
          this.emit('draining', handle.info, message.report);
        },
        drained: (message) => {
          handle.drainReport = message.report;
          handle.channel.send({ type: 'exit' }, message.seq);
          this.emit('drained', handle.info, message.report);
        },
      },
      // PM2's wait_ready: the app says it is ready with process.send('ready').
      (message) => {
        if (message === 'ready' && this.app.wait_ready) this.#onReady(handle);
      },
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
    handle.onUp?.({ ok: true });
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
    if (handle.onUp) {
      // A reload's new worker died before it was up: the reload reports it.
      const cause = handle.fatalError ? describeError(handle.fatalError) : summarizeCause(handle.stderr.appTail());
      const how = `${handle.listened ? 'crashed' : 'crashed on start'} with ${describeExitAfter(code, signal, Date.now() - handle.startedAt)}`;
      handle.onUp({ ok: false, why: cause ? `${how}: ${cause}` : how });
    } else if (!handle.stopRequested && !this.#stopping && this.#slots.get(handle.slot) === handle) {
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

  #writePidFile(handle: WorkerHandle): void {
    const file = this.#pidFile(handle);
    if (file) writeFileSync(file, `${handle.pid}\n`);
  }

  #removePidFile(handle: WorkerHandle): void {
    const file = this.#pidFile(handle);
    if (file) rmSync(file, { force: true });
  }
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
