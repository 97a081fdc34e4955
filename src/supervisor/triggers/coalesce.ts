/**
 * What a trigger asks for (a reload or a restart), debounced and never overlapping:
 * the action runs `delayMs` after the last of several quick requests, and requests
 * that come while it runs make one more run after it, with all of them together.
 */
export class Coalescer {
  readonly #delayMs: number;
  readonly #act: (items: string[]) => Promise<unknown>;
  #items: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #closed = false;

  constructor(delayMs: number, act: (items: string[]) => Promise<unknown>) {
    this.#delayMs = delayMs;
    this.#act = act;
  }

  /** Ask for the action, for this reason (a file changed, a cron time came). */
  push(item: string): void {
    if (this.#closed) return;
    this.#items.push(item);
    if (!this.#running) this.#schedule();
  }

  /** Nothing more runs; an action under way finishes on its own. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#fire(), this.#delayMs);
    // Never what keeps the supervisor alive.
    this.#timer.unref();
  }

  async #fire(): Promise<void> {
    const items = this.#items;
    this.#items = [];
    this.#running = true;
    try {
      await this.#act(items);
    } finally {
      this.#running = false;
      if (this.#items.length > 0 && !this.#closed) this.#schedule();
    }
  }
}
