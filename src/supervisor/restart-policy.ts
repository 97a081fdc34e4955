// When to bring a crashed worker back, and when to stop trying.
//
// A crash is "unstable" when the worker died before `min_uptime`. Each slot backs off
// exponentially on consecutive crashes (x1.5 from `exp_backoff_restart_delay`, capped
// at 15 s, as PM2) and starts again from the first step once a worker in that slot has
// stayed up for `min_uptime`. With the backoff set to 0, every restart waits the fixed
// `restart_delay` (PM2's default mode). The app gives up when more than `max_restarts` unstable
// crashes happen in a row, counted across all slots, with no new worker reaching
// `min_uptime` in between: that is a crash loop, and restarting would only fork-storm.

export const BACKOFF_FACTOR = 1.5;
export const BACKOFF_CAP_MS = 15_000;

export interface RestartPolicyOptions {
  maxRestarts: number;
  /** exp_backoff_restart_delay: the first step of the backoff; 0 turns it off. */
  initialDelay: number;
  /** restart_delay: the fixed delay used when the backoff is off. */
  fixedDelay?: number;
}

export type RestartDecision =
  | { action: 'restart'; delay: number; unstableInARow: number }
  | { action: 'give-up'; unstableInARow: number };

export class RestartPolicy {
  readonly #options: RestartPolicyOptions;
  readonly #slotCrashes = new Map<number, number>();
  #unstableInARow = 0;

  constructor(options: RestartPolicyOptions) {
    this.#options = options;
  }

  /** A worker in `slot` crashed; decide what happens next. */
  onCrash(slot: number, unstable: boolean): RestartDecision {
    if (unstable) this.#unstableInARow += 1;
    if (this.#unstableInARow > this.#options.maxRestarts) return { action: 'give-up', unstableInARow: this.#unstableInARow };
    const crashes = (this.#slotCrashes.get(slot) ?? 0) + 1;
    this.#slotCrashes.set(slot, crashes);
    const { initialDelay, fixedDelay = 0 } = this.#options;
    const delay = initialDelay > 0 ? Math.min(BACKOFF_CAP_MS, Math.round(initialDelay * BACKOFF_FACTOR ** (crashes - 1))) : fixedDelay;
    return { action: 'restart', delay, unstableInARow: this.#unstableInARow };
  }

  /** A worker in `slot` has been up for min_uptime: the slot and the app are healthy again. */
  onStable(slot: number): void {
    this.#slotCrashes.delete(slot);
    this.#unstableInARow = 0;
  }
}
