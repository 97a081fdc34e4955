import { formatDuration } from '../config/units.js';
import type { SupervisorContext } from './context.js';
import type { ReloadResult, ReplacedSlot } from './events.js';
import type { ReplaceReason } from './health-monitor.js';
import type { RestartController } from './restart-controller.js';
import type { WorkerView } from './worker-handle.js';
import type { ExitIntent } from './worker-state.js';

/**
 * Replacing workers without dropping capacity: a new worker for the slot first, then,
 * once it is up, the old one drains. A rolling reload does it to every slot, a batch at
 * a time; a graceful replacement (memory limit, health) to one. Both run in the
 * supervisor's lifecycle queue.
 */
export class Reloader {
  readonly #ctx: SupervisorContext;
  readonly #restarts: RestartController;

  constructor(ctx: SupervisorContext, restarts: RestartController) {
    this.#ctx = ctx;
    this.#restarts = restarts;
  }

  /**
   * Rolling reload: each slot, reload_batch at a time, gets a new worker (the script is
   * loaded afresh, so this is how new code is deployed); once the new one is up the
   * old one drains. A new worker that crashes or is not up within listen_timeout stops
   * the reload, and the old workers keep serving. `reason` goes with `reload-start`.
   */
  async roll(reason?: string): Promise<ReloadResult> {
    const { app, pool, emit } = this.#ctx;
    const started = Date.now();
    const replaced: ReplacedSlot[] = [];
    const end = (failure: ReloadResult['failure']): ReloadResult => {
      const result = { ok: failure === undefined, durationMs: Date.now() - started, replaced, failure };
      emit('reload-end', result);
      return result;
    };
    if (this.#ctx.stopping()) return end({ slot: -1, pid: -1, why: 'the app is not running' });
    const batch = app.reload_batch;
    emit('reload-start', pool.count, batch, reason);

    for (let first = 0; first < pool.count; first += batch) {
      const slots = Array.from({ length: Math.min(batch, pool.count - first) }, (_, i) => first + i);
      const candidates = slots.map((slot) => pool.spawn(slot, 'candidate'));
      const outcomes = await Promise.all(candidates.map((candidate) => pool.whenUp(candidate)));
      // One that came up and then died while the rest of its batch started fails too.
      const failedAt = outcomes.findIndex((outcome, i) => !outcome.ok || !candidates[i]!.live);
      if (failedAt !== -1) {
        for (const candidate of candidates) pool.drain(candidate, 'reload');
        const failed = candidates[failedAt]!;
        const outcome = outcomes[failedAt]!;
        const why = outcome.ok ? `exited (${failed.exitedWith}) while the rest of its batch started` : outcome.why;
        return end({ slot: failed.slot, pid: failed.pid, why });
      }
      this.#promoteAll(candidates, replaced);
    }
    // Every slot has a worker that started and listened: a crash loop given up on
    // before (a bad deploy, now fixed) is over.
    this.#restarts.clearGiveUp();
    return end(undefined);
  }

  /**
   * Surge reload (reload_strategy: surge): a new worker for every slot at once, and each
   * must be up and pass the app's health check before any old one drains. Then all of
   * them switch over in one turn of the event loop: the balancer gives the new workers
   * traffic only at their promotion, so clients never see two versions. If any new one
   * fails, every new one is stopped, the old ones never stopped serving, and the
   * result says rolled back, with the cause.
   */
  async surge(reason?: string): Promise<ReloadResult> {
    const { pool, emit } = this.#ctx;
    const started = Date.now();
    const replaced: ReplacedSlot[] = [];
    const end = (failure: ReloadResult['failure']): ReloadResult => {
      const result: ReloadResult = { ok: failure === undefined, durationMs: Date.now() - started, replaced, failure, ...(failure ? { rolledBack: true } : {}) };
      emit('reload-end', result);
      return result;
    };
    if (this.#ctx.stopping()) return end({ slot: -1, pid: -1, why: 'the app is not running' });
    emit('reload-start', pool.count, pool.count, reason);

    const candidates = Array.from({ length: pool.count }, (_, slot) => pool.spawn(slot, 'candidate'));
    const failure =
      (await firstFailure(candidates.map((candidate) => this.#upAndHealthy(candidate)))) ??
      // One that passed, then died while the others were still being checked, fails too.
      candidates.findIndex((candidate) => !candidate.live);
    const stopping = this.#ctx.stopping();
    if (failure !== -1 || stopping) {
      for (const candidate of candidates) pool.drain(candidate, 'reload');
      if (stopping) return end({ slot: -1, pid: -1, why: 'the app is stopping' });
      const index = typeof failure === 'number' ? failure : failure.index;
      const failed = candidates[index]!;
      return end({ slot: failed.slot, pid: failed.pid, why: typeof failure === 'number' ? `exited (${failed.exitedWith}) while the others were checked` : failure.why });
    }
    this.#promoteAll(candidates, replaced);
    this.#restarts.clearGiveUp();
    return end(undefined);
  }

  // A reload's new workers take their slots, each old one drains; each replacement is told and noted in `replaced`.
  #promoteAll(candidates: WorkerView[], replaced: ReplacedSlot[]): void {
    for (const candidate of candidates) {
      const entry = this.#promote(candidate, 'reload');
      if (!entry) continue;
      this.#ctx.emit('reload-replaced', entry);
      replaced.push(entry);
    }
  }

  // Up (listening, or ready() with wait_ready), then healthy: the app's health check,
  // if it has one, passes within listen_timeout (asked again while it fails, as a
  // database connection may still be on its way). Resolves with why not, or undefined.
  async #upAndHealthy(candidate: WorkerView): Promise<string | undefined> {
    const { app, pool } = this.#ctx;
    const up = await pool.whenUp(candidate);
    if (!up.ok) return up.why;
    const deadline = Date.now() + app.listen_timeout;
    for (;;) {
      let health;
      try {
        health = await pool.checkHealth(candidate, Math.max(MIN_CHECK_MS, deadline - Date.now()));
      } catch (error) {
        return candidate.live ? `gave no answer to its health check (${(error as Error).message})` : `exited (${candidate.exitedWith}) before its health check`;
      }
      if (health === undefined || health.ok) return undefined;
      if (!candidate.live || this.#ctx.stopping() || Date.now() + HEALTH_RETRY_MS >= deadline) return `failed its health check: ${health.reason}`;
      await new Promise((resolve) => setTimeout(resolve, HEALTH_RETRY_MS));
    }
  }

  /**
   * Replace one worker gracefully (memory limit, health): its successor first, then the
   * drain. Resolves with whether it was replaced; not if a reload or restart got to it
   * first, or its successor failed (then it keeps serving).
   */
  async replace(worker: WorkerView, reason: ReplaceReason): Promise<boolean> {
    const { pool, emit } = this.#ctx;
    if (this.#ctx.stopping() || pool.current(worker.slot) !== worker || !worker.live || worker.intent !== undefined) return true;
    const candidate = pool.spawn(worker.slot, 'candidate');
    const outcome = await pool.whenUp(candidate);
    if (!outcome.ok || this.#ctx.stopping() || pool.current(worker.slot) !== worker) {
      pool.drain(candidate, 'reload');
      if (!outcome.ok) emit('replace-failed', worker.info, reason, outcome.why);
      return false;
    }
    const entry = this.#promote(candidate, reason);
    if (!entry) return false;
    this.#restarts.count(worker.slot, reason);
    emit('replaced', entry, reason);
    return true;
  }

  // A candidate becomes its slot's worker and the one it replaces drains, unless
  // scale has removed the slot meanwhile: then the candidate drains, never to serve unseen.
  #promote(candidate: WorkerView, intent: ExitIntent): ReplacedSlot | undefined {
    const { pool } = this.#ctx;
    if (candidate.slot >= pool.count) {
      pool.drain(candidate, 'scale');
      return undefined;
    }
    // The slot may be waiting out a restart backoff (its worker crashed meanwhile): the
    // candidate fills it instead.
    this.#restarts.cancel(candidate.slot);
    const old = pool.promote(candidate);
    if (old) pool.drain(old, intent);
    return { slot: candidate.slot, oldPid: old?.pid, newPid: candidate.pid, startupMs: candidate.upAt - candidate.startedAt };
  }
}

// A failing health check is asked again this often, while listen_timeout lasts.
const HEALTH_RETRY_MS = 250;
const MIN_CHECK_MS = 100;

/**
 * Resolves with the first of `checks` that fails (its index and why), as soon as it
 * does; undefined once all of them have passed.
 */
function firstFailure(checks: Promise<string | undefined>[]): Promise<{ index: number; why: string } | undefined> {
  return new Promise((resolve) => {
    let left = checks.length;
    if (left === 0) resolve(undefined);
    checks.forEach((check, index) =>
      void check.then((why) => {
        if (why !== undefined) resolve({ index, why });
        else if (--left === 0) resolve(undefined);
      }),
    );
  });
}

/** "reload done after 201 ms, 2 replaced", for the timeline. */
export function describeReloadEnd(result: ReloadResult): string {
  const how = result.rolledBack ? `rolled back (worker ${result.failure!.slot}: ${result.failure!.why})` : result.failure ? `stopped at worker ${result.failure.slot}: ${result.failure.why}` : 'done';
  return `reload ${how} after ${formatDuration(result.durationMs)}, ${result.replaced.length} replaced`;
}
