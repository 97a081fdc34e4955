import { selectRunningApps } from '../control/client.js';
import { parseDuration } from '../config/units.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import { Monit } from './monit.js';

/** The fastest refresh monit accepts: each one asks every supervisor twice. */
const MIN_INTERVAL_MS = 100;
const DEFAULT_INTERVAL_MS = 1000;

/** `drover monit [app]`: a live view of every app (or one) until q. */
export async function monitCommand(app: string | undefined, flags: { interval?: string }): Promise<number> {
  const intervalMs = flags.interval === undefined ? DEFAULT_INTERVAL_MS : parseDuration(flags.interval);
  if (intervalMs === undefined || intervalMs < MIN_INTERVAL_MS) {
    throw new InvalidOptionError([`monit: --interval: expected a duration of at least ${MIN_INTERVAL_MS} ms ("500ms", "2s"), got '${flags.interval}'`]);
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new DroverError('DROVER_E_NOT_A_TERMINAL', 'monit draws on a terminal, and its stdin or stdout is not one; drover ls (or ls --json) prints the same figures for scripts and pipes');
  }
  // A name that is not running is refused as other commands refuse it; monit then follows it as it stops and starts.
  if (app !== undefined) await selectRunningApps(app);
  const code = await new Monit({ app, intervalMs, output: process.stdout, input: process.stdin }).run();
  // A reload asked from monit goes on in its supervisor: its answer is not waited for.
  process.exit(code);
}
