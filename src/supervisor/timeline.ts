// Every lifecycle event of an app, with a timestamp, in a bounded list: what `ls`,
// `describe`, metrics and the dashboard read to explain each restart.

export type TimelineKind =
  | 'spawned'
  | 'listening'
  | 'ready'
  | 'draining'
  | 'exited'
  | 'crashed'
  | 'restarting'
  | 'killed'
  | 'unresponsive'
  | 'memory-limit'
  | 'event-loop-delay'
  | 'health-check'
  | 'replaced'
  | 'scaled'
  | 'restart'
  | 'reload-started'
  | 'reload-finished'
  | 'ipc-invalid'
  | 'config-updated'
  | 'warning';

export interface TimelineEvent {
  at: number;
  kind: TimelineKind;
  slot: number | undefined;
  pid: number | undefined;
  /** One line a person can act on. */
  detail: string;
  /** For crashes: the worker's last stderr lines. */
  stderrTail?: string[];
}

export const TIMELINE_LIMIT = 500;

export class Timeline {
  readonly #events: TimelineEvent[] = [];
  readonly #limit: number;
  readonly #followers = new Set<(event: TimelineEvent) => void>();

  constructor(limit = TIMELINE_LIMIT) {
    this.#limit = limit;
  }

  add(event: Omit<TimelineEvent, 'at'>): TimelineEvent {
    const entry = { at: Date.now(), ...event };
    this.#events.push(entry);
    if (this.#events.length > this.#limit) this.#events.shift();
    for (const follower of this.#followers) follower(entry);
    return entry;
  }

  /** Call `follower` with every new event until the returned function is called (the dashboard's live feed). */
  follow(follower: (event: TimelineEvent) => void): () => void {
    this.#followers.add(follower);
    return () => void this.#followers.delete(follower);
  }

  /** The events kept, oldest first. */
  list(): TimelineEvent[] {
    return [...this.#events];
  }
}
