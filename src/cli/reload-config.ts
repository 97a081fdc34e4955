import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../config/units.js';
import { callSupervisor, findRunningApps, selectRunningApps } from '../control/client.js';
import { readAppRecord, startArgv } from '../home/registry.js';
import { isDroverError } from '../errors/index.js';
import type { RouteResponses } from '../control/api.js';
import type { AppFlags } from './app-request.js';
import { planApps } from './run-command.js';
import { reloadCommand } from './control-commands.js';
import { startPlanned, withDefaultLogFiles } from './start-command.js';
import { FROM_RECORD, findStoppedApp, startAgain, startedFromRecord } from './stopped-apps.js';

type UpdateResult = RouteResponses['POST /v1/update'];

// `drover reload <config>`: config changes without downtime. Each running app of the
// file gets its new options and a rolling reload (and a scale, where its count
// changed); the apps not running yet are started. `--update-env` also puts the
// shell's environment under the apps' own, as PM2's does.

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));
/** A reload waits for new workers (listen_timeout each): allow it the time. */
const UPDATE_TIMEOUT_MS = 120_000;

export interface ReloadFlags extends AppFlags {
  json?: boolean;
  updateEnv?: boolean;
}

/**
 * `drover reload [target]`: a running app's name (or all) rolls its workers; with
 * --update-env, from its config read again. A stopped app starts, as PM2's reload
 * does. A config file or script applies its options to the apps that run and starts
 * the others. A name that is none of these is an error that lists the running apps.
 */
export async function reloadTarget(target: string | undefined, appArgs: string[], flags: ReloadFlags, args: string[]): Promise<number> {
  const apps = await findRunningApps();
  const isFile = target === undefined || existsSync(target);
  // A drover started by `reload <app> --update-env` takes its target for the file it names.
  const fromRecord = startedFromRecord();
  if (target !== undefined && !fromRecord && (target === 'all' || apps.some((app) => app.name === target))) {
    return flags.updateEnv ? reloadWithUpdatedEnv(target, flags) : reloadCommand(target, flags);
  }
  const stopped = isFile || fromRecord ? undefined : findStoppedApp(apps, target);
  if (stopped) return startAgain(stopped.record);
  if (!isFile) return reloadCommand(target, flags);
  // What each supervisor started from here records, to be started again as it was.
  const recorded = args.filter((arg) => arg !== '--update-env' && arg !== '--json');
  return reloadFromConfig(target, appArgs, flags, recorded);
}

/** Reload the apps of a config file (or a script) with their options as the file says them now. */
export async function reloadFromConfig(target: string | undefined, appArgs: string[], flags: ReloadFlags, runArgs: string[]): Promise<number> {
  const plan = await planApps(target, appArgs, flags);
  const running = new Map((await findRunningApps()).map((app) => [app.name, app]));
  const baseEnv = flags.updateEnv ? (process.env as Record<string, string>) : undefined;
  let failed = 0;
  const results = [];
  for (const { app, count } of plan.apps) {
    const live = running.get(app.name);
    if (!live) continue;
    // A background app writes to the default log files unless its config names others, as `start` set it up.
    const options = readAppRecord(app.name)?.background ? withDefaultLogFiles(app) : app;
    // One app refused (an option it cannot change live) does not keep the others from their update.
    let result: UpdateResult;
    let scaled: { from: number; to: number } | undefined;
    try {
      result = await callSupervisor(live.socket, 'POST /v1/update', { body: { app: options, baseEnv }, timeoutMs: UPDATE_TIMEOUT_MS });
      const status = await callSupervisor(live.socket, 'GET /v1/status');
      if (result.ok && status.workers.length !== count) scaled = await callSupervisor(live.socket, 'POST /v1/scale', { query: { to: count }, timeoutMs: UPDATE_TIMEOUT_MS });
    } catch (error) {
      failed += 1;
      process.stderr.write(`drover: ${(error as Error).message}${isDroverError(error) ? ` [${error.code}]` : ''}\n`);
      continue;
    }
    if (!result.ok) failed += 1;
    results.push({ name: app.name, ...result, scaled });
    if (flags.json) continue;
    const what = result.changed.length > 0 ? result.changed.join(', ') : 'no option changed';
    const how = result.restarted !== undefined ? `restarted in ${formatDuration(result.durationMs)}, ${result.restarted} worker(s) (fork mode)` : `reloaded in ${formatDuration(result.durationMs)}, ${result.replaced.length} worker(s) replaced`;
    process.stdout.write(
      result.ok
        ? `${app.name}: config applied (${what}), ${how}${scaled ? `, scaled from ${scaled.from} to ${scaled.to}` : ''}\n`
        : `${app.name}: config applied (${what}), but the reload stopped: ${result.failure?.why}\n`,
    );
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  // Apps of the file that are not running yet: started, as `drover start` would.
  const toStart = plan.apps.filter(({ app }) => !running.has(app.name));
  if (toStart.length > 0) {
    if (!flags.json) process.stdout.write(`starting ${toStart.map(({ app }) => app.name).join(', ')}\n`);
    if ((await startPlanned(plan, (name) => !running.has(name), runArgs)) !== 0) failed += 1;
  }
  return failed > 0 ? 1 : 0;
}

/**
 * `drover reload <app|all> --update-env`: each app is reloaded from the config or
 * script it was started with, read again now, with the shell's environment.
 */
export async function reloadWithUpdatedEnv(target: string, flags: ReloadFlags): Promise<number> {
  let failed = 0;
  for (const app of await selectRunningApps(target)) {
    const record = readAppRecord(app.name);
    if (!record) {
      process.stderr.write(`drover: ${app.name}: no record of how it was started; reload it from its config file: drover reload <config> --update-env\n`);
      failed += 1;
      continue;
    }
    // `start <its arguments>` becomes `reload <its arguments>`, run where it was started.
    const argv = ['reload', ...startArgv(record).slice(1), '--update-env', ...(flags.json ? ['--json'] : [])];
    const result = spawnSync(process.execPath, [CLI, ...argv], { cwd: record.cwd, env: { ...process.env, [FROM_RECORD]: '1' }, stdio: 'inherit' });
    if (result.status !== 0) failed += 1;
  }
  return failed > 0 ? 1 : 0;
}
