import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appsDir, startRecordPath } from './paths.js';
import { privateDir, writePrivateFile } from './private-files.js';

// The per-user registry of apps, with no daemon: one record per app in
// $DROVER_HOME/apps/<app>.json (0600), written by the app's own supervisor. While the
// supervisor runs, the record says how the app was started (for `save`, and to start
// it again); when a background app ends, its supervisor writes how it ended into the
// record and leaves it, so that `ls` lists the app as stopped or errored and `start
// <app>` / `restart <app>` start it as it was, until `delete <app>` removes it.

/** How an app was started: enough to start it again. */
export interface StartCommand {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Started by `drover start`: listed as stopped once it ends. A foreground `drover run` leaves nothing. */
  background?: boolean;
}

/** How a background app ended. */
export interface AppEnding {
  /** `stopped` when asked to (drover stop, a signal); `errored` when it gave up on its own (a crash loop, a port in use). */
  status: 'stopped' | 'errored';
  at: number;
  exitCode: number;
  /** The supervisor's last word: why it gave up, or what stopped it. */
  reason: string;
  code: string | undefined;
}

export interface AppRecord extends StartCommand {
  name: string;
  /** Set by `drover scale`: `save` and a later start keep the count. */
  scaledTo?: number;
  /** Set once the app has ended; absent while its supervisor runs. */
  ended?: AppEnding;
}

export function writeAppRecord(record: AppRecord): void {
  privateDir(appsDir());
  writePrivateFile(startRecordPath(record.name), `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * The record of `name`, or undefined if there is none (or it cannot be read). A record
 * says what to run, with which environment: one that is not a plain file of ours, 0600,
 * in a folder only we can write, is not read (someone else could have put it there).
 */
export function readAppRecord(name: string): AppRecord | undefined {
  return appsDirIsOurs() ? readRecordFile(name) : undefined;
}

function appsDirIsOurs(): boolean {
  try {
    privateDir(appsDir());
    return true;
  } catch {
    return false;
  }
}

// A record in the folder checked by the caller: a plain file of ours, 0600.
function readRecordFile(name: string): AppRecord | undefined {
  const file = startRecordPath(name);
  try {
    const stat = lstatSync(file);
    if (!stat.isFile() || (stat.mode & 0o077) !== 0 || (process.getuid !== undefined && stat.uid !== process.getuid())) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as AppRecord;
  } catch {
    return undefined;
  }
}

export function removeAppRecord(name: string): void {
  rmSync(startRecordPath(name), { force: true });
}

/** Every app in the registry, by name: running, or ended and still listed. */
export function registeredApps(): AppRecord[] {
  // The folder is checked once for the whole listing.
  if (!existsSync(appsDir()) || !appsDirIsOurs()) return [];
  return readdirSync(appsDir())
    .filter((file) => file.endsWith('.json'))
    .sort()
    .flatMap((file) => readRecordFile(file.slice(0, -'.json'.length)) ?? []);
}

/** The command line that starts a registered app again: `drover start` with its arguments, at the count it was scaled to. */
export function startArgv(record: AppRecord): string[] {
  // `run ...` as recorded becomes `start ...`: the same supervisor, detached.
  const argv = record.argv[0] === 'run' ? ['start', ...record.argv.slice(1)] : [...record.argv];
  if (record.scaledTo === undefined) return argv;
  // Before `--`: what follows it is the app's own arguments.
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  return [...argv.slice(0, end), '-i', String(record.scaledTo), ...argv.slice(end)];
}
