import { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { DroverError } from '../errors/index.js';
import type { WorkerStats } from '../ipc/messages.js';
import { AppOutput } from '../log/app-output.js';
import type { SupervisorContext } from './context.js';
import { describeExit } from './describe-exit.js';
import type { AppSnapshot, ProbeReadiness, Readiness, ReloadResult, SupervisorEvents, SupervisorResult } from './events.js';
import { HealthMonitor, type ReplaceReason } from './health-monitor.js';
import { spawnWorker, workerEnv, type Launcher } from './launcher.js';
import { LifecycleQueue } from './lifecycle-queue.js';
import { keepPidFiles } from './pid-files.js';
import { relayAdapterMessages } from './adapter-relay.js';
import { BusRelay } from '../bus/bus-relay.js';
import { StoreService } from '../store/store-service.js';
import { Front } from '../balancer/front.js';
import { balancedBySupervisor, choosePolicy } from '../balancer/choose.js';
import { followPool } from '../balancer/membership.js';
import { Reloader } from './reloader.js';
import { RestartController } from './restart-controller.js';
import { Timeline } from './timeline.js';
import { recordTimeline } from './timeline-recorder.js';
import type { WorkerAddress, WorkerInfo, WorkerView } from './worker-handle.js';
import { WorkerPool } from './worker-pool.js';
import type { Triggers } from './triggers/index.js';
import { MetricsCollector } from '../metrics/collector.js';
import { SampleHistory, type WorkerSample } from '../metrics/samples.js';
import type { TimelineEvent } from './timeline.js';

/** Settings of a supervisor that come from the machine, not from the app's options. */
export interface SupervisorOptions {
  /** Give each worker --max-old-space-size (auto_heap), unless its node_args set one. */
  heapLimitMb?: number;
  /** The most workers `scale` may ask for (max_workers, or the limit derived from the machine). */
  maxWorkers?: number;
  /** How `maxWorkers` was arrived at, for the message that refuses more. */
  maxWorkersReason?: string;
  /** How workers are started; by default real ones (node:cluster or fork). Unit tests pass a fake. */
  launcher?: Launcher;
}

/**
 * One app's supervisor: the facade over its parts. The worker pool (slots, processes,
 * each worker's state machine) emits the lifecycle stream; the restart controller,
 * the reloader, the health monitor, the pid files and the timeline each subscribe to
 * it and do one job. Reload, restart, scale and replacements run one at a time in the
 * lifecycle queue. Results come as typed events; `run()` resolves when no worker is left.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  // Replaced by update(): every part reads the options in effect through `app`.
  #app: AppOptions;
  // The environment under the app's own (env), for new workers; update() may replace it (--update-env).
  #baseEnv: Readonly<Record<string, string | undefined>> = process.env;
  readonly #output: AppOutput;
  readonly #pool: WorkerPool;
  readonly #restarts: RestartController;
  readonly #reloader: Reloader;
  readonly #health: HealthMonitor;
  readonly #metrics: MetricsCollector;
  readonly #queue = new LifecycleQueue();
  readonly #timeline = new Timeline();
  /** The dashboard's last 15 minutes of per-worker figures (bounded: see samples.ts). */
  readonly #samples = new SampleHistory<WorkerView>();
  readonly #maxWorkers: number;
  readonly #maxWorkersReason: string;
  /** Slots whose worker was killed before it finished draining, during a stop. */
  readonly #forced = new Set<number>();
  #state: 'idle' | 'running' | 'stopping' | 'finished' = 'idle';
  /** When and why the stop began: readiness says so from that moment. */
  #stopping: { at: number; reason: string } | undefined;
  #readyAnnounced = false;
  #address: WorkerAddress | undefined;
  #resolveRun: ((result: SupervisorResult) => void) | undefined;
  #reloadQueued: Promise<ReloadResult> | undefined;
  /** The balancer's listener, for an app balanced by the supervisor. */
  #front: Front | undefined;
  /** watch and cron_restart, when the app sets either. */
  #triggers: Triggers | undefined;
  /** The drain waiting out shutdown_delay after a stop. */
  #drainTimer: NodeJS.Timeout | undefined;
  readonly #store: StoreService;
  readonly #bus: BusRelay;

  constructor(app: AppOptions, options: SupervisorOptions = {}) {
    super();
    this.#app = app;
    this.#maxWorkers = options.maxWorkers ?? Number.MAX_SAFE_INTEGER;
    this.#maxWorkersReason = options.maxWorkersReason ?? 'max_workers';
    this.#output = new AppOutput(app, (message) => this.warn(message));
    const launcher = options.launcher ?? { launch: (slot, pipeStdout) => spawnWorker(this.#app, slot, pipeStdout, options.heapLimitMb, this.#baseEnv) };
    const pool = new WorkerPool(() => this.#app, launcher, this.#output);
    this.#pool = pool;
    const appOf = () => this.#app;
    const context: SupervisorContext = {
      get app() {
        return appOf();
      },
      pool,
      emit: (event, ...args) => void (this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args),
      stopping: () => this.#state !== 'running',
    };
    // The timeline subscribes first, so that it records each event before anything reacts to it.
    recordTimeline(this.#timeline, appOf, pool, this);
    keepPidFiles(app, pool, (message) => this.warn(message));
    relayAdapterMessages(pool);
    // The worker API's store and message bus (drover/worker).
    this.#store = new StoreService(appOf, pool, (message) => this.warn(message));
    this.#bus = new BusRelay(pool);
    // A worker may ask the supervisor who its siblings are.
    this.#bus.answer('drover:workers', () => pool.workers().map((worker) => ({ slot: worker.slot, pid: worker.pid, state: worker.state })));
    // The supervisor's own balancer, for a policy other than node:cluster's round-robin, or a surge reload.
    if (balancedBySupervisor(app)) {
      const { policy, key } = choosePolicy(app);
      // A surge reload's new workers take traffic only once all of them are promoted.
      followPool(pool, policy, { candidatesWait: () => this.#app.reload_strategy === 'surge' });
      this.#front = new Front(pool, policy, (message) => this.warn(message), key);
    }
    this.#restarts = new RestartController(context);
    this.#reloader = new Reloader(context, this.#restarts);
    this.#health = new HealthMonitor(context, (worker, reason, detail) => this.#replace(worker, reason, detail));
    this.#metrics = new MetricsCollector({
      app: () => this.#app.name,
      pool,
      statsOf: (worker) => this.#health.statsOf(worker),
      restarts: () => this.#restarts.lifetime,
      warn: (message) => this.warn(message),
    });
    this.on('reload-end', (result) => this.#metrics.countReload(result));
    pool.on('stats', (worker, stats) => this.#samples.add(worker, stats));
    pool.on('exit', (worker) => this.#samples.forget(worker));

    pool.on('spawn', (worker) => this.emit('spawn', worker.info));
    pool.on('listening', (worker, address) => {
      this.#address = address;
      this.emit('listening', worker.info, address);
    });
    pool.on('transition', (worker, _from, to) => {
      if (to === 'ready') this.#announceReady(worker);
    });
    pool.on('slow-listen', (worker) => this.emit('slow-listen', worker.info, app.listen_timeout));
    pool.on('draining', (worker, report) => this.emit('draining', worker.info, report));
    pool.on('drained', (worker, report) => this.emit('drained', worker.info, report));
    pool.on('killed', (worker, report, why) => {
      if (this.#state === 'stopping') this.#forced.add(worker.slot);
      this.emit('killed', worker.info, report, why);
    });
    // Last: by now the restart controller has decided whether the slot comes back.
    pool.on('exit', () => this.#finishIfEmpty());
  }

  /** The app's options in effect. */
  get app(): AppOptions {
    return this.#app;
  }

  /**
   * Apply a changed config without downtime: the new options take effect at once (the
   * restart policy, timeouts, health limits), then a rolling reload starts every worker
   * with the new script, arguments, node args and environment. `baseEnv` replaces the
   * environment under the app's own (PM2's --update-env). Options that a running
   * supervisor cannot change (its name, mode, program, log files, pid file, user) are
   * refused with DROVER_E_INVALID_OPTION, naming them. Queued like a reload.
   */
  update(app: AppOptions, baseEnv?: Record<string, string>): Promise<ReloadResult & { changed: string[] }> {
    const fixed = FIXED_OPTIONS.filter((key) => JSON.stringify(app[key]) !== JSON.stringify(this.#app[key]));
    if (fixed.length > 0) {
      throw new DroverError(
        'DROVER_E_INVALID_OPTION',
        `${this.#app.name}: ${fixed.join(', ')} changed, which a running supervisor cannot apply; stop the app and start it again: drover stop '${this.#app.name}', then drover start '${this.#app.name}' (it reads its config again)`,
      );
    }
    // Options as this version of drover writes them: a body from another version is refused, not half-applied.
    const keys = (options: object) => Object.keys(options).sort().join();
    if (keys(app) !== keys(this.#app)) {
      throw new DroverError('DROVER_E_INVALID_OPTION', `${this.#app.name}: update: the options sent are not those this supervisor has (another version of drover?); stop the app and start it again`);
    }
    return this.#enqueue(async () => {
      if (this.#state !== 'running') return { ok: false, durationMs: 0, replaced: [], failure: { slot: -1, pid: -1, why: 'the app is stopping' }, changed: [] };
      const changed = Object.keys(app).filter((key) => JSON.stringify(app[key as keyof AppOptions]) !== JSON.stringify(this.#app[key as keyof AppOptions]));
      if (baseEnv !== undefined) changed.push('environment');
      this.#app = app;
      if (baseEnv !== undefined) this.#baseEnv = baseEnv;
      this.emit('updated', changed);
      // New watch paths or a new schedule: the old triggers go, new ones are armed.
      if (changed.includes('watch') || changed.includes('cron_restart')) {
        await this.#closeTriggers();
        if (app.watch || app.cron_restart) this.#armTriggers();
      }
      return { ...(await this.#renew('config updated')), changed };
    });
  }

  /** The workers serving the app's slots now, in slot order. */
  get workers(): WorkerInfo[] {
    return this.#pool.workers().map((worker) => worker.info);
  }

  /**
   * The app's message bus, from the supervisor's side: `broadcast(topic, data)` to every
   * worker (what `drover send` does), `answer(topic, responder)` to answer workers'
   * requests on a topic, `pending` requests routed to a worker and not answered yet.
   */
  get bus(): Pick<BusRelay, 'broadcast' | 'answer' | 'pending'> {
    return this.#bus;
  }

  /** The app's log files and its live feed of lines. */
  get output(): AppOutput {
    return this.#output;
  }

  /** Open the app's log files for `count` workers; throws DROVER_E_LOG_FILE when one cannot be written. */
  prepare(count: number): void {
    this.#pool.count = count;
    this.#output.open(count);
  }

  /** Fork `count` workers and supervise them until stopped or nothing is left. */
  run(count: number): Promise<SupervisorResult> {
    if (this.#state !== 'idle') throw new Error('Supervisor.run() was already called');
    if (this.#pool.count !== count) this.prepare(count);
    this.#state = 'running';
    const done = new Promise<SupervisorResult>((resolve) => (this.#resolveRun = resolve));
    void this.#pool.forkSlots(range(0, count), this.#mayFork);
    this.#health.start();
    if (this.app.watch || this.app.cron_restart) this.#armTriggers();
    return done;
  }

  // Each arming has its number: one that an update or a stop made stale closes itself.
  #triggersGeneration = 0;

  // A failure to arm (a watcher that cannot start) is a warning, never a crash of the supervisor.
  #armTriggers(): void {
    const generation = ++this.#triggersGeneration;
    this.#startTriggers(generation).catch((error: Error) => this.warn(`watch and cron_restart are off: ${error.message}`));
  }

  async #closeTriggers(): Promise<void> {
    this.#triggersGeneration += 1;
    const triggers = this.#triggers;
    this.#triggers = undefined;
    await triggers?.close();
  }

  // Loaded only for an app that sets watch or cron_restart: other supervisors never load
  // the module, nor chokidar or croner.
  async #startTriggers(generation: number): Promise<void> {
    const { Triggers } = await import('./triggers/index.js');
    if (this.#state !== 'running' || generation !== this.#triggersGeneration) return;
    this.#triggers = new Triggers(this.app, {
      act: (reason) => (this.app.exec_mode === 'cluster' ? this.reload(reason) : this.restart(reason)),
      warn: (message) => this.warn(message),
      armed: (detail) => this.emit('trigger', detail),
    });
  }

  /**
   * Change the number of workers, to N or `{ by: +N | -N }` (worked out when its turn
   * in the queue comes, so that two `+1` make two more): new slots start (and the call
   * resolves once they are up, or have failed); the highest slots above the new count
   * drain (no request fails). Beyond 1..max_workers it throws (or, for `by`, rejects)
   * DROVER_E_INVALID_OPTION. Queued behind a reload or restart under way.
   */
  scale(change: number | { by: number }): Promise<{ from: number; to: number }> {
    if (typeof change === 'number') this.#checkScale(change);
    else if (!Number.isInteger(change.by)) this.#checkScale(Number.NaN);
    return this.#enqueue(() => {
      const target = typeof change === 'number' ? change : this.#pool.count + change.by;
      this.#checkScale(target);
      return this.#scaleTo(target);
    });
  }

  #checkScale(target: number): void {
    const name = this.app.name;
    if (!Number.isInteger(target)) {
      throw new DroverError('DROVER_E_INVALID_OPTION', `scale: expected a whole number of workers, at least 1, got ${target}; to run none, stop the app`);
    }
    if (target < 1) throw new DroverError('DROVER_E_INVALID_OPTION', `scale: ${name} would have ${target} workers; at least 1 (to run none, drover stop ${name})`);
    if (target > this.#maxWorkers) {
      throw new DroverError(
        'DROVER_E_INVALID_OPTION',
        `scale: ${target} workers is more than max_workers ${this.#maxWorkers} (${this.#maxWorkersReason}); set max_workers in the app's config to allow more`,
      );
    }
  }

  async #scaleTo(target: number): Promise<{ from: number; to: number }> {
    const pool = this.#pool;
    const from = pool.count;
    if (this.#state !== 'running') return { from, to: from };
    pool.count = target;
    for (let slot = target; slot < from; slot++) {
      this.#restarts.cancel(slot);
      const worker = pool.release(slot);
      if (worker?.live) pool.drain(worker, 'scale');
    }
    this.emit('scaled', from, target);
    const added = await pool.forkSlots(range(from, target), this.#mayFork);
    await Promise.all(added.map((worker) => pool.whenUp(worker)));
    this.#finishIfEmpty();
    return { from, to: target };
  }

  /**
   * Hard restart (PM2's restart): every worker drains and its slot starts afresh once
   * it has exited; a slot left empty (a crash loop given up on) starts at once.
   * Capacity drops meanwhile: `reload` is the one that keeps serving. Queued behind
   * a reload or scale under way; resolves once every slot has a new worker up, or
   * with the slots that have none after kill_timeout and listen_timeout.
   */
  restart(reason?: string): Promise<{ restarting: number; notUp: number[] }> {
    return this.#enqueue(() => this.#restartAll(reason));
  }

  // The body of a restart, run in its turn in the queue.
  async #restartAll(reason?: string): Promise<{ restarting: number; notUp: number[] }> {
    if (this.#state !== 'running') return { restarting: 0, notUp: [] };
    const pool = this.#pool;
    const workers = pool.workers().filter((worker) => worker.intent === undefined);
    const old = new Set(workers);
    // Fresh workers: a crash loop given up on before no longer holds their restarts back.
    this.#restarts.clearGiveUp();
    this.emit('restarting', workers.map((worker) => worker.info), reason);
    for (const worker of workers) pool.drain(worker, 'restart');
    await pool.forkSlots(this.#emptySlots(), this.#mayFork);
    // Each old worker drains (kill_timeout at most), then its successor starts.
    const isUp = (slot: number) => {
      const worker = pool.current(slot);
      return worker !== undefined && !old.has(worker) && worker.state === 'ready';
    };
    await waitUntil(() => this.#state !== 'running' || range(0, pool.count).every(isUp), this.app.kill_timeout + pool.upTimeoutMs + 1000);
    return { restarting: workers.length, notUp: range(0, pool.count).filter((slot) => !isUp(slot)) };
  }

  /**
   * Every worker afresh, in the queue's turn: a rolling reload, except for a server in
   * fork mode, whose new worker could not bind the port its predecessor holds (each
   * fork-mode worker binds its own): those restart, as PM2's reload does in fork mode.
   */
  async #renew(reason?: string): Promise<ReloadResult> {
    if (this.#app.reload_strategy === 'surge') return this.#reloader.surge(reason);
    if (this.#app.exec_mode === 'cluster' || !this.#pool.isServer) return this.#reloader.roll(reason);
    const started = Date.now();
    const { restarting, notUp } = await this.#restartAll(reason);
    const failure = notUp.length > 0 ? { slot: notUp[0]!, pid: -1, why: `worker ${notUp.join(', ')} not up again after the restart` } : undefined;
    return { ok: failure === undefined, durationMs: Date.now() - started, replaced: [], failure, restarted: restarting };
  }

  /**
   * Rolling reload (see Reloader.roll). A reload asked for during another (or during a
   * scale or restart) is queued, and several such requests waiting together, with
   * nothing queued between them, share one (and the first one's reason). `reason` is
   * why it was asked for, for the timeline: "file changed: src/app.js".
   */
  reload(reason?: string): Promise<ReloadResult> {
    this.#reloadQueued ??= this.#queue.run(() => {
      this.#reloadQueued = undefined;
      return this.#renew(reason);
    });
    return this.#reloadQueued;
  }

  // Queue an operation other than a reload: a reload asked for after it is a new one.
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    this.#reloadQueued = undefined;
    return this.#queue.run(operation);
  }

  /**
   * Graceful stop, in a fixed order: (1) nothing new starts (restarts, reloads and
   * scale-ups see the app stopping, and whoever waits for a new worker hears so; it
   * is no longer ready); (2) with shutdown_delay, it keeps serving that long, unless
   * `delay` is false (Ctrl-C at a terminal); (3) every worker drains, each bounded by
   * kill_timeout; (4) once none is left, their last output is flushed and the log files
   * are closed; then `exit`, and `run()` resolves. The control socket closes on `exit`.
   */
  stop(reason = 'stop requested', options: { delay?: boolean } = {}): void {
    if (this.#state === 'stopping' || this.#state === 'finished') return;
    this.#state = 'stopping';
    this.#stopping = { at: Date.now(), reason };
    // shutdown_delay: readiness is off from now on (readiness() says stopping), but the
    // workers keep serving while load balancers and endpoints stop sending.
    const delay = options.delay === false || this.#pool.liveCount === 0 ? 0 : (this.#app.shutdown_delay ?? 0);
    this.emit('stopping', reason, delay);
    void this.#closeTriggers();
    this.#restarts.cancelAll();
    this.#pool.cancelWaits('the app is stopping');
    if (delay > 0) {
      this.#drainTimer = setTimeout(() => this.#drainAll(), delay);
    } else {
      this.#drainAll();
    }
  }

  // No new connection is taken from now on (those on their way still reach a worker), and every worker drains.
  #drainAll(): void {
    this.#drainTimer = undefined;
    this.#front?.close();
    for (const worker of this.#pool.live()) this.#pool.drain(worker, 'stop');
    this.#finishIfEmpty();
  }

  /** A second signal: kill what is left now. */
  forceStop(): void {
    this.stop('forced stop');
    if (this.#drainTimer) {
      clearTimeout(this.#drainTimer);
      this.#drainAll();
    }
    for (const worker of this.#pool.live()) this.#pool.kill(worker, 'forced');
  }

  /**
   * Where the app is: starting (not every slot is up), up, degraded (a crash loop left
   * slots empty) or stopping. With `waitMs`, resolves as soon as it is no longer
   * starting, or after that long.
   */
  async readiness(waitMs = 0): Promise<Readiness> {
    const now = (): Readiness => {
      if (this.#state === 'stopping' || this.#state === 'finished') return { state: 'stopping' };
      const degraded = this.#degraded();
      if (degraded) return { state: 'degraded', reason: degraded.reason };
      const workers = this.#pool.workers();
      const up = this.#state === 'running' && workers.length === this.#pool.count && workers.every((worker) => worker.state === 'ready');
      return { state: up ? 'up' : 'starting' };
    };
    await waitUntil(() => now().state !== 'starting', waitMs);
    return now();
  }

  /**
   * The readiness probe's answer: ready while the app runs with at least `min_ready`
   * workers ready; not ready from the moment a stop begins (SIGTERM, drover stop),
   * before any worker drains, so that a load balancer stops sending first.
   */
  probeReadiness(): ProbeReadiness {
    const minReady = this.#app.min_ready;
    const readyWorkers = this.#pool.live().filter((worker) => worker.state === 'ready' && worker.intent === undefined).length;
    if (this.#stopping) return { ready: false, reason: `stopping since ${new Date(this.#stopping.at).toISOString()}: ${this.#stopping.reason}`, readyWorkers, minReady, stoppingSince: this.#stopping.at };
    if (this.#state !== 'running') return { ready: false, reason: 'not started yet', readyWorkers, minReady };
    const ready = readyWorkers >= minReady;
    const reason = `${readyWorkers} worker(s) ready, ${ready ? 'at least' : 'fewer than'} min_ready ${minReady}`;
    return { ready, reason, readyWorkers, minReady };
  }

  /**
   * The app's metrics in Prometheus' text format: drover's own and the app's
   * prom-client metrics aggregated across its workers, correct across restarts.
   */
  metrics(): Promise<string> {
    return this.#metrics.scrape();
  }

  /** The app's lifecycle events, oldest first (bounded). */
  timeline() {
    return this.#timeline.list();
  }

  /**
   * What the dashboard shows: the samples and timeline events of the last 15 minutes,
   * and `follow` to hear of new ones as they come (returns the function that stops it).
   */
  get live(): {
    samples(): WorkerSample[];
    events(since: number): TimelineEvent[];
    follow(onSample: (sample: WorkerSample) => void, onEvent: (event: TimelineEvent) => void): () => void;
    /** How many follow now (open dashboard feeds). */
    followers(): number;
  } {
    return {
      samples: () => this.#samples.list(),
      followers: () => this.#samples.followers,
      events: (since) => this.#timeline.list().filter((event) => event.at >= since),
      follow: (onSample, onEvent) => {
        const unfollowSamples = this.#samples.follow(onSample);
        const unfollowEvents = this.#timeline.follow(onEvent);
        return () => {
          unfollowSamples();
          unfollowEvents();
        };
      },
    };
  }

  /** Each worker's state and latest figures, and the app's totals and restart counts. */
  snapshot(): AppSnapshot {
    const pool = this.#pool;
    const workers = pool.workers().map((worker) => ({
      slot: worker.slot,
      pid: worker.pid,
      state: worker.state,
      uptimeMs: Date.now() - worker.startedAt,
      restarts: this.#restarts.restartsOf(worker.slot),
      stats: this.#health.statsOf(worker),
    }));
    const sum = (pick: (stats: WorkerStats) => number) => workers.reduce((total, w) => total + (w.stats ? pick(w.stats) : 0), 0);
    return {
      name: this.app.name,
      workers,
      degraded: this.#degraded(),
      restarts: { ...this.#restarts.counts },
      totals: {
        rss: sum((s) => s.rss),
        requestsServed: sum((s) => s.requestsServed),
        requestsInFlight: sum((s) => s.requestsInFlight),
        connections: sum((s) => s.connections),
      },
      store: this.#store.state(),
      bus: { pending: this.#bus.pending },
    };
  }

  /** PM2's reset: every worker's restart count (and the counts by reason) back to 0. */
  resetRestarts(): void {
    this.#restarts.resetCounts();
  }

  /** The environment a new worker of `slot` starts with: the base environment (the supervisor's, or an update's) under the app's own. */
  workerEnv(slot: number): Record<string, string> {
    return { ...(this.#baseEnv as Record<string, string>), ...workerEnv(this.#app, slot) };
  }

  /** Send `signal` to the worker serving each slot (PM2's sendSignal; not to a reload's new ones); returns the pids it reached. */
  signal(signal: NodeJS.Signals): number[] {
    return this.#pool.workers().flatMap((worker) => {
      try {
        process.kill(worker.pid, signal);
        return [worker.pid];
      } catch {
        return []; // It exited meanwhile.
      }
    });
  }

  /** Report something that went wrong without stopping the app (or came right again): in the timeline and as a `warning` event. */
  warn(message: string): void {
    this.emit('warning', message);
  }

  // Slots with no live worker and no restart on its way: a crash loop given up on left them empty.
  #emptySlots(): number[] {
    return range(0, this.#pool.count).filter((slot) => !this.#pool.current(slot)?.live && !this.#restarts.isPending(slot));
  }

  // After a crash loop given up on, the other workers keep serving: say so.
  #degraded(): AppSnapshot['degraded'] {
    const gaveUp = this.#restarts.gaveUp;
    if (!gaveUp || this.#state !== 'running') return undefined;
    const emptySlots = this.#emptySlots();
    return emptySlots.length > 0 ? { reason: gaveUp.message.split('\n', 1)[0]!, code: gaveUp.code, emptySlots } : undefined;
  }

  // Forking goes on while the app runs and the slot still exists.
  readonly #mayFork = (slot: number) => this.#state === 'running' && slot < this.#pool.count;

  // A health rule asked for a graceful replacement: announced now, done in the queue.
  #replace(worker: WorkerView, reason: ReplaceReason, detail: string): Promise<boolean> {
    this.emit('replacing', worker.info, reason, detail);
    return this.#enqueue(() => this.#reloader.replace(worker, reason));
  }

  // The app is up once every slot's worker is up: said once.
  #announceReady(worker: WorkerView): void {
    if (worker.role === 'candidate' || this.#readyAnnounced) return;
    const workers = this.#pool.workers();
    if (workers.length < this.#pool.count || !workers.every((w) => w.state === 'ready')) return;
    this.#readyAnnounced = true;
    this.emit('ready', workers.map((w) => w.info), this.#address);
  }

  #finishIfEmpty(): void {
    if (this.#state === 'finished' || !this.#resolveRun || this.#pool.liveCount > 0 || this.#restarts.pendingCount > 0) return;
    const stopping = this.#state === 'stopping';
    this.#state = 'finished';
    clearTimeout(this.#drainTimer);
    this.#front?.close();
    this.#health.stop();
    void this.#closeTriggers();
    const forced = [...this.#forced].sort((a, b) => a - b);
    const error = this.#restarts.gaveUp ?? (forced.length > 0 ? forcedError(forced) : this.#unrestartedError(stopping));
    const result: SupervisorResult = { exitCode: error?.exitCode ?? 0, error, forced };
    const resolve = this.#resolveRun;
    // A worker's last lines can arrive after its exit: wait for them, then close the files.
    void this.#pool
      .outputFlushed()
      .then(() => this.#store.close().catch((error: Error) => this.warn(`store: ${error.message}`)))
      .then(() => this.#output.close())
      .then(() => {
        this.emit('exit', result);
        resolve(result);
      });
  }

  // Workers that ended for good (autorestart off, stop_exit_codes) make `run` fail
  // unless the last of them exited cleanly.
  #unrestartedError(stopping: boolean): DroverError | undefined {
    const last = this.#restarts.lastUnrestarted;
    if (stopping || !last || (last.code === 0 && last.signal === null)) return undefined;
    return new DroverError('DROVER_E_WORKER_EXITED', `the app's last worker exited with ${describeExit(last.code, last.signal)} and was not restarted`);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** Poll `done` until it is true or `timeoutMs` has passed; resolves with the last answer. */
async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return done();
}

/** Options fixed for a supervisor's life: they name its files, decide how it starts processes, and whether it balances them itself. */
const FIXED_OPTIONS = ['name', 'exec_mode', 'interpreter', 'logs', 'pid_file', 'uid', 'gid', 'instance_var', 'stats_interval', 'balance', 'sticky_key', 'reload_strategy', 'store', 'store_file', 'admin_port', 'admin_host', 'admin_token', 'admin_public_probes', 'request_metrics'] as const satisfies readonly (keyof AppOptions)[];

function forcedError(slots: number[]): DroverError {
  return new DroverError(
    'DROVER_E_SHUTDOWN_FORCED',
    `shutdown forced: worker${slots.length > 1 ? 's' : ''} ${slots.join(', ')} did not finish draining and ${slots.length > 1 ? 'were' : 'was'} killed`,
  );
}
