import { formatDuration } from '../config/units.js';
import { DroverError } from '../errors/index.js';
import type { SupervisorContext } from './context.js';
import { describeExit, describeExitAfter } from './describe-exit.js';
import type { CrashDecision, RestartReason } from './events.js';
import { RestartPolicy } from './restart-policy.js';
import type { WorkerView } from './worker-handle.js';
import type { ExitFacts } from './worker-pool.js';

/**
 * What happens when a slot's worker ends without being asked to: a restart after the
 * policy's backoff, an accepted exit (autorestart off, stop_exit_codes), or giving up
 * (a crash loop, or a failure no restart can fix). Also restarts the slots of
 * `drover restart`, and counts every restart and replacement by reason.
 */
export class RestartController {
  readonly #ctx: SupervisorContext;
  readonly #policy: RestartPolicy;
  readonly #pending = new Map<number, NodeJS.Timeout>();
  readonly #bySlot = new Map<number, number>();
  /** Restarts and replacements, by reason. */
  readonly counts: Record<RestartReason, number> = { crash: 0, unresponsive: 0, 'memory-limit': 0, 'event-loop-delay': 0, 'health-check': 0, requested: 0 };
  /** The same counts since the supervisor started, which `drover reset` leaves alone: a metric's counter never goes down. */
  readonly lifetime: Record<RestartReason, number> = { ...this.counts };
  #gaveUp: DroverError | undefined;
  #lastUnrestarted: { code: number | null; signal: string | null } | undefined;
  #lastCause: string | undefined;

  constructor(ctx: SupervisorContext) {
    this.#ctx = ctx;
    const { app, pool } = ctx;
    this.#policy = new RestartPolicy({ maxRestarts: app.max_restarts, initialDelay: app.exp_backoff_restart_delay, fixedDelay: app.restart_delay });
    pool.on('stable', (worker) => this.#policy.onStable(worker.slot));
    pool.on('exit', (worker, facts) => this.#onExit(worker, facts));
  }

  /** Why drover stopped restarting, if it did. */
  get gaveUp(): DroverError | undefined {
    return this.#gaveUp;
  }

  /** The last exit accepted as final (autorestart off, stop_exit_codes). */
  get lastUnrestarted(): { code: number | null; signal: string | null } | undefined {
    return this.#lastUnrestarted;
  }

  /** A restart of `slot` is waiting out its backoff. */
  isPending(slot: number): boolean {
    return this.#pending.has(slot);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Restarts and replacements of `slot`'s worker, all reasons. */
  restartsOf(slot: number): number {
    return this.#bySlot.get(slot) ?? 0;
  }

  count(slot: number, reason: RestartReason): void {
    this.counts[reason] += 1;
    this.lifetime[reason] += 1;
    this.#bySlot.set(slot, this.restartsOf(slot) + 1);
  }

  /** PM2's reset: the counts shown (per slot and by reason) start again from 0; the crash-loop policy keeps its own count. */
  resetCounts(): void {
    this.#bySlot.clear();
    for (const reason of Object.keys(this.counts) as RestartReason[]) this.counts[reason] = 0;
  }

  /** No restart for `slot` any more: a candidate fills it, or scale removed it. */
  cancel(slot: number): void {
    clearTimeout(this.#pending.get(slot));
    this.#pending.delete(slot);
  }

  cancelAll(): void {
    for (const slot of [...this.#pending.keys()]) this.cancel(slot);
  }

  /** Every slot has a working worker again (a reload, a restart): a crash loop given up on before is over. */
  clearGiveUp(): void {
    this.#gaveUp = undefined;
  }

  #onExit(worker: WorkerView, facts: ExitFacts): void {
    if (this.#ctx.stopping() || !facts.current) return;
    if (facts.intent === 'restart') {
      this.count(worker.slot, 'requested');
      this.#fork(worker.slot);
    } else if (facts.intent === undefined || facts.intent === 'unresponsive') {
      this.#onCrash(worker, facts);
    }
  }

  #fork(slot: number): void {
    this.#pending.delete(slot);
    if (slot < this.#ctx.pool.count) this.#ctx.pool.spawn(slot, 'current');
  }

  #onCrash(worker: WorkerView, facts: ExitFacts): void {
    const { app, emit } = this.#ctx;
    const { code, signal, uptime, cause, stderrTail } = facts;
    const unstable = uptime < app.min_uptime;
    const sameCauseAsBefore = cause !== undefined && cause === this.#lastCause;
    this.#lastCause = cause;

    const notRestarted = this.#notRestarted(code);
    const stopReason = this.#gaveUp || notRestarted ? undefined : this.#fatalStartError(facts, unstable);
    let decision: CrashDecision;
    if (notRestarted) decision = { action: 'not-restarted', why: notRestarted };
    else if (this.#gaveUp || stopReason) decision = { action: 'none' };
    else decision = this.#policy.onCrash(worker.slot, unstable);
    if (notRestarted) this.#lastUnrestarted = { code, signal };

    const killed = facts.intent === 'unresponsive';
    emit('crash', { worker: worker.info, code, signal, uptime, unstable, listened: facts.listened, cause, sameCauseAsBefore, stderrTail, decision, killed });
    if (stopReason) this.#giveUp(stopReason);

    if (decision.action === 'give-up') {
      const tail = stderrTail.length > 0 ? `\nlast stderr lines of worker ${worker.slot} (pid ${worker.pid}):\n${indent(stderrTail)}` : '';
      this.#giveUp(
        new DroverError(
          'DROVER_E_CRASH_LOOP',
          `crash loop: ${decision.unstableInARow} crashes in a row within min_uptime (${formatDuration(app.min_uptime)}) of start; ` +
            `last: worker ${worker.slot} (pid ${worker.pid}) ${describeExitAfter(code, signal, uptime)}. ` +
            `Stopped restarting (max_restarts ${app.max_restarts}).${tail}`,
        ),
      );
    } else if (decision.action === 'restart') {
      this.count(worker.slot, killed ? 'unresponsive' : 'crash');
      this.#pending.set(worker.slot, setTimeout(() => this.#fork(worker.slot), decision.delay));
    }
  }

  // PM2's autorestart: false and stop_exit_codes: the exit is accepted as final.
  #notRestarted(code: number | null): string | undefined {
    const { app } = this.#ctx;
    if (!app.autorestart) return 'autorestart is off';
    if (code !== null && app.stop_exit_codes.includes(code)) return `exit code ${code} is in stop_exit_codes`;
    return undefined;
  }

  // Failures that no restart can fix: stop at once with the cause.
  #fatalStartError(facts: ExitFacts, unstable: boolean): DroverError | undefined {
    const fatal = facts.fatalError;
    if (fatal?.code === 'EADDRINUSE') {
      const where = fatal.port !== undefined ? `port ${fatal.port}` : 'its port';
      return new DroverError(
        'DROVER_E_PORT_IN_USE',
        `${where} is already in use by another process (EADDRINUSE): stop that process, or give the app another port`,
      );
    }
    if (facts.code === 0 && facts.signal === null && unstable && !facts.listened) {
      return new DroverError(
        'DROVER_E_EXITED_ON_START',
        `the app exited on its own with ${describeExit(facts.code, facts.signal)} ${formatDuration(facts.uptime)} after start, ` +
          'without listening on a port. drover keeps servers and workers running; a script that finishes is neither ' +
          '(run it with node, set autorestart: false, or run it on a schedule with cron_restart).',
      );
    }
    return undefined;
  }

  #giveUp(error: DroverError): void {
    if (this.#gaveUp) return;
    this.#gaveUp = error;
    this.cancelAll();
    this.#ctx.emit('give-up', error);
  }
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  | ${line}`).join('\n');
}
