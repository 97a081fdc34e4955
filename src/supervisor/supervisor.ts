import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { formatDuration } from '../config/units.js';
import { DroverError } from '../errors/index.js';
import type { SerializedError } from '../ipc/messages.js';
import { describeExit, describeExitAfter, summarizeCause } from './describe-exit.js';
import type { SupervisorEvents, SupervisorResult } from './events.js';
import { RestartPolicy } from './restart-policy.js';
import { WorkerHandle, type WorkerAddress } from './worker-handle.js';

// The worker runtime is preloaded into every worker; the app's script stays the main module.
const RUNTIME_URL = new URL('../worker/runtime.js', import.meta.url).href;

export interface SupervisorOptions {
  /** Where worker stderr lines go once a worker is established (default: our stderr). */
  writeStderrLine?: (line: string) => void;
}

/**
 * One app's supervisor: forks its workers with node:cluster (they share the app's
 * port), replaces crashed ones under the restart policy, and drains them all on stop.
 * Results come as typed events; `run()` resolves when no worker is left.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly app: AppOptions;
  readonly #slots = new Map<number, WorkerHandle>();
  readonly #pendingRestarts = new Map<number, NodeJS.Timeout>();
  readonly #policy: RestartPolicy;
  readonly #writeStderrLine: (line: string) => void;
  readonly #forced: number[] = [];
  #count = 0;
  #stopping = false;
  #gaveUp: DroverError | undefined;
  #readyAnnounced = false;
  #lastCause: string | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #resolveRun: ((result: SupervisorResult) => void) | undefined;
  #finished = false;

  constructor(app: AppOptions, options: SupervisorOptions = {}) {
    super();
    this.app = app;
    this.#policy = new RestartPolicy({ maxRestarts: app.max_restarts, initialDelay: app.exp_backoff_restart_delay });
    this.#writeStderrLine = options.writeStderrLine ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** The workers alive now, in slot order. */
  get workers(): WorkerHandle[] {
    return [...this.#slots.values()].filter((handle) => handle.live);
  }

  /** Fork `count` workers and supervise them until stopped or nothing is left. */
  run(count: number): Promise<SupervisorResult> {
    if (this.#resolveRun) throw new Error('Supervisor.run() was already called');
    this.#count = count;
    cluster.setupPrimary({
      exec: this.app.script,
      args: [...this.app.args],
      execArgv: ['--import', RUNTIME_URL, ...this.app.node_args],
      cwd: this.app.cwd,
      // stdout goes straight to ours; stderr comes through us for crash reports.
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const done = new Promise<SupervisorResult>((resolve) => (this.#resolveRun = resolve));
    for (let slot = 0; slot < count; slot++) this.#fork(slot);
    return done;
  }

  /** Graceful stop: no more restarts, every worker drains, kill_timeout bounds the wait. */
  stop(reason = 'stop requested'): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.emit('stopping', reason);
    for (const timer of this.#pendingRestarts.values()) clearTimeout(timer);
    this.#pendingRestarts.clear();
    for (const handle of this.workers) handle.requestShutdown('stop');
    this.#killTimer = setTimeout(() => this.#killAll('kill_timeout'), this.app.kill_timeout);
    this.#finishIfEmpty();
  }

  /** A second signal: kill what is left now. */
  forceStop(): void {
    this.stop('forced stop');
    clearTimeout(this.#killTimer);
    this.#killAll('forced');
  }

  #killAll(why: 'kill_timeout' | 'forced'): void {
    for (const handle of this.workers) {
      this.#forced.push(handle.slot);
      this.emit('killed', handle.info, handle.drainReport, why);
      handle.kill();
    }
  }

  #fork(slot: number): void {
    this.#pendingRestarts.delete(slot);
    const worker = cluster.fork({ ...this.app.env, NODE_APP_INSTANCE: String(slot), DROVER_APP_NAME: this.app.name });
    const handle: WorkerHandle = new WorkerHandle(slot, worker, this.#writeStderrLine, {
      fatal: (message) => (handle.fatalError = message.error),
      draining: (message) => {
        handle.drainReport = message.report;
        this.emit('draining', handle.info, message.report);
      },
      drained: (message) => {
        handle.drainReport = message.report;
        this.emit('drained', handle.info, message.report);
      },
    });
    this.#slots.set(slot, handle);
    this.emit('spawn', handle.info);

    handle.timers.push(
      setTimeout(() => {
        handle.establish();
        this.#policy.onStable(slot);
      }, this.app.min_uptime),
      setTimeout(() => {
        if (handle.state === 'starting') this.emit('slow-listen', handle.info, this.app.listen_timeout);
      }, this.app.listen_timeout),
    );
    worker.on('listening', (address: WorkerAddress) => this.#onListening(handle, address));
    worker.on('exit', (code: number | null, signal: string | null) => this.#onExit(handle, code, signal));
    // Sending to a worker that has just died emits 'error'; its 'exit' tells the story.
    worker.on('error', () => undefined);
  }

  #onListening(handle: WorkerHandle, address: WorkerAddress): void {
    if (handle.state === 'starting') handle.state = 'listening';
    handle.listened = true;
    handle.establish();
    this.emit('listening', handle.info, address);
    if (!this.#readyAnnounced && this.#slots.size === this.#count && [...this.#slots.values()].every((h) => h.listened)) {
      this.#readyAnnounced = true;
      this.emit('ready', this.workers.map((h) => h.info), address);
    }
  }

  #onExit(handle: WorkerHandle, code: number | null, signal: string | null): void {
    handle.state = 'exited';
    handle.clearTimers();
    handle.stderr.flush();
    if (!handle.stopRequested && !this.#stopping) this.#onCrash(handle, code, signal);
    this.#finishIfEmpty();
  }

  #onCrash(handle: WorkerHandle, code: number | null, signal: string | null): void {
    const uptime = Date.now() - handle.startedAt;
    const unstable = uptime < this.app.min_uptime;
    const stderrTail = handle.stderr.appTail();
    const cause = handle.fatalError ? describeError(handle.fatalError) : summarizeCause(stderrTail);
    const sameCauseAsBefore = cause !== undefined && cause === this.#lastCause;
    this.#lastCause = cause;

    const stopReason = this.#gaveUp ? undefined : this.#fatalStartError(handle, code, signal, unstable);
    const decision = this.#gaveUp || stopReason ? ({ action: 'none' } as const) : this.#policy.onCrash(handle.slot, unstable);
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
      this.#pendingRestarts.set(handle.slot, setTimeout(() => this.#fork(handle.slot), decision.delay));
    }
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
          'without listening on a port. drover keeps servers running; a script that finishes is not one (run it with node).',
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
    if (this.#finished || !this.#resolveRun || this.workers.length > 0 || this.#pendingRestarts.size > 0) return;
    this.#finished = true;
    clearTimeout(this.#killTimer);
    const error = this.#gaveUp ?? (this.#forced.length > 0 ? forcedError(this.#forced) : undefined);
    const result: SupervisorResult = { exitCode: error?.exitCode ?? 0, error, forced: [...this.#forced] };
    this.emit('exit', result);
    this.#resolveRun(result);
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
