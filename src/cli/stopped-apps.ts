import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunningApp } from '../control/client.js';
import { registeredApps, startArgv, type AppEnding, type AppRecord } from '../home/registry.js';

// Apps started in the background that are no longer running: stopped (drover stop) or
// errored (a crash loop, a port in use), or whose supervisor was killed. `ls` lists
// them, `start <app>` and `restart <app>` start them as they were, `delete` forgets them.

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

export interface StoppedApp {
  record: AppRecord;
  ending: AppEnding;
}

/** Registered background apps that are not in `running`, with how each ended. */
export function stoppedApps(running: readonly RunningApp[]): StoppedApp[] {
  const names = new Set(running.map((app) => app.name));
  return registeredApps().flatMap((record) => {
    if (names.has(record.name) || !(record.background || record.ended)) return [];
    // No ending written: its supervisor was killed (SIGKILL, the machine rebooted).
    const ending: AppEnding = record.ended ?? { status: 'errored', at: 0, exitCode: -1, reason: 'its supervisor ended without a word (killed, or the machine restarted)', code: undefined };
    return [{ record, ending }];
  });
}

/** The stopped app named `name`, if there is one. */
export function findStoppedApp(running: readonly RunningApp[], name: string): StoppedApp | undefined {
  return stoppedApps(running).find((app) => app.record.name === name);
}

/**
 * The variable that tells a `drover` started from a record to take its target for a
 * file or command, never for an app's name: `drover start http-server` of a stopped
 * app named after its command would otherwise start itself again, for ever.
 */
export const FROM_RECORD = 'DROVER_FROM_RECORD';

/** Whether this process was started from a record (see FROM_RECORD); the variable is not passed on. */
export function startedFromRecord(): boolean {
  const set = process.env[FROM_RECORD] === '1';
  delete process.env[FROM_RECORD];
  return set;
}

/**
 * Start a stopped app again as it was started (its arguments, folder and environment),
 * with `extra` arguments after them (`drover start api -i 4`); returns the exit code
 * of `drover start`.
 */
export function startAgain(record: AppRecord, extra: readonly string[] = []): number {
  const argv = [...startArgv(record), ...extra];
  const result = spawnSync(process.execPath, [CLI, ...argv], { cwd: record.cwd, env: { ...record.env, [FROM_RECORD]: '1' }, stdio: 'inherit' });
  if (result.error) process.stderr.write(`drover: ${record.name}: cannot start it again in ${record.cwd}: ${result.error.message}\n`);
  return result.status ?? 1;
}
