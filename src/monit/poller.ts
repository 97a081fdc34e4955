import type { StatusResponse } from '../control/api.js';
import { callSupervisor } from '../control/client.js';
import type { TimelineEvent } from '../supervisor/index.js';
import { RequestRates } from './rates.js';

/** How many of an app's latest timeline events monit keeps. */
export const EVENTS_KEPT = 20;

/** What monit knows of one app: its latest status and events, or why it has none. */
export interface AppView {
  name: string;
  status: StatusResponse | undefined;
  events: TimelineEvent[];
  rates: RequestRates;
  /** Why the last poll failed (a supervisor stuck, gone); cleared by the next answer. */
  error: string | undefined;
  /** A reload or scale asked from monit and not answered yet. */
  busy: string | undefined;
}

/**
 * Polls one app's supervisor: its status, then its latest events, one request at a
 * time, each with a time limit; the next poll is scheduled only once this one is over,
 * so a slow or stuck supervisor never piles requests (or timers) up.
 */
export class AppPoller {
  readonly view: AppView;
  readonly #socket: string;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #onUpdate: () => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(name: string, socket: string, options: { intervalMs: number; timeoutMs: number; onUpdate: () => void }) {
    this.view = { name, status: undefined, events: [], rates: new RequestRates(), error: undefined, busy: undefined };
    this.#socket = socket;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#onUpdate = options.onUpdate;
  }

  get socket(): string {
    return this.#socket;
  }

  start(): void {
    void this.#poll();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Poll now (after a reload or scale), unless a poll is under way; the schedule goes on from there. */
  pollSoon(): void {
    if (this.#timer === undefined || this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#poll();
  }

  async #poll(): Promise<void> {
    const started = Date.now();
    try {
      const status = await callSupervisor(this.#socket, 'GET /v1/status', { timeoutMs: this.#timeoutMs });
      const timeline = await callSupervisor(this.#socket, 'GET /v1/timeline', { query: { last: EVENTS_KEPT }, timeoutMs: this.#timeoutMs });
      this.view.status = status;
      this.view.rates.update(status.workers);
      this.view.events = timeline.events.slice(-EVENTS_KEPT);
      this.view.error = undefined;
    } catch (error) {
      this.view.error = (error as Error).message;
    }
    if (this.#stopped) return;
    this.#onUpdate();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#poll();
    }, Math.max(0, this.#intervalMs - (Date.now() - started)));
  }
}
