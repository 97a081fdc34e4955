import { createRequire } from 'node:module';
import type * as Croner from 'croner';

/** A timer that calls `tick` at each time `pattern` matches; the pattern was validated with the config. */
export function scheduleCron(pattern: string, tick: () => void): { next(): Date | null; stop(): void } {
  // croner's CommonJS build, as the config's validation loaded it: one copy in the process.
  const { Cron } = createRequire(import.meta.url)('croner') as typeof Croner;
  // unref: the timer never keeps the supervisor alive. A tick that comes while the last
  // one's reload still runs is coalesced by the caller, not skipped.
  const job = new Cron(pattern, { unref: true }, () => tick());
  return { next: () => job.nextRun(), stop: () => job.stop() };
}
