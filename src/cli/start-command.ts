import { spawn } from 'node:child_process';
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { callSupervisor, findRunningApps } from '../control/client.js';
import { defaultLogFiles, logsDir, socketPath, supervisorLogPath } from '../home/paths.js';
import { openForAppend, privateDir } from '../home/private-files.js';
import type { AppOptions } from '../config/index.js';
import { DroverError, isDroverError } from '../errors/index.js';
import { AppOutput } from '../log/app-output.js';
import type { AppFlags } from './app-request.js';
import { lsCommand } from './control-commands.js';
import { planApps } from './run-command.js';
import { findStoppedApp, startAgain, startedFromRecord } from './stopped-apps.js';
import { readAppRecord, writeAppRecord } from '../home/registry.js';
import type { AppPlan, SupervisionPlan } from './supervise.js';

// A background supervisor runs this lean entry, not the CLI: see supervise.ts. It is
// the build's one-file CommonJS bundle of supervise-main.js (scripts/bundle.js): 40
// ES modules cost an idle supervisor about 0.75 MB more (bench/memory.js).
const SUPERVISOR_ENTRY = fileURLToPath(new URL('./supervise-main.cjs', import.meta.url));
// A supervisor moves lines and messages; it never needs V8's optimizing compilers.
// Without them it holds about 4 MB less while idle and 8 MB less while piping 1 000
// log lines/s, for about 1.5 points more CPU at that rate (bench/soak.js). Lite mode
// turns off WebAssembly, which says so on stderr unless asked for.
const SUPERVISOR_NODE_ARGS = ['--lite-mode', '--no-expose-wasm'];

// A background app has no terminal: what its config does not send to a file goes to
// $DROVER_HOME/logs/<app>.out.log and .err.log, every worker's lines in one file each.
export function withDefaultLogFiles(app: AppOptions): AppOptions {
  const { logs } = app;
  const defaults = defaultLogFiles(app.name);
  const neither = logs.out_file === undefined && logs.error_file === undefined;
  return {
    ...app,
    logs: { ...logs, out_file: logs.out_file ?? defaults.out, error_file: logs.error_file ?? defaults.err, merge_logs: neither || logs.merge_logs },
  };
}

// Open every log file here first, so that an unwritable one is a clear error in the
// terminal, before anything starts, not a line in a log nobody reads.
async function checkLogFiles(app: AppOptions, count: number): Promise<void> {
  const log = supervisorLogPath(app.name);
  try {
    privateDir(logsDir());
    closeSync(openForAppend(log));
  } catch (error) {
    if (isDroverError(error)) throw error;
    throw new DroverError('DROVER_E_LOG_FILE', `${app.name}: cannot write the supervisor log ${log}: ${(error as Error).message}`, { cause: error });
  }
  const output = new AppOutput(app);
  try {
    output.open(count);
  } finally {
    await output.close();
  }
}

/**
 * `drover start`: one detached supervisor per app (the same supervisor as `drover
 * run`), then wait until its workers are up (or it failed), print the status table,
 * and return.
 */
export async function startCommand(target: string | undefined, appArgs: string[], flags: AppFlags & { oneProcess?: boolean }, runArgs: string[]): Promise<number> {
  const runningApps = await findRunningApps();
  // `drover start api`, where api is a stopped app: start it as it was, flags given now
  // after its own. A name wins over a file of that name unless the target looks like a
  // path (PM2's rule); a drover started from a record takes it as a path.
  const fromRecord = startedFromRecord();
  const nameLike = target !== undefined && !fromRecord && appArgs.length === 0 && (!/[/.]/.test(target) || !existsSync(target));
  const stopped = nameLike ? findStoppedApp(runningApps, target) : undefined;
  if (stopped) return startAgain(stopped.record, runArgs.filter((arg, at) => at !== runArgs.indexOf(target!) && arg !== '--one-process'));

  // Validate everything here, so that a bad option fails in the terminal, not in a log.
  const plan = await planApps(target, appArgs, flags);
  const running = new Set(runningApps.map((app) => app.name));
  const already = plan.apps.filter(({ app }) => running.has(app.name)).map(({ app }) => app.name);
  // One app already running is a mistake; some apps of a config file running is the
  // everyday case: start the others, and say which were left alone.
  if (already.length > 0 && already.length === plan.apps.length && !plan.fromConfigFile) {
    throw new DroverError('DROVER_E_APP_RUNNING', `'${already[0]}' is already running; drover reload or stop it instead`);
  }
  for (const name of already) process.stdout.write(`${name}: already running; left as it is (drover reload ${name} applies a changed config)\n`);
  return startPlanned(plan, (name) => !running.has(name), runArgs.filter((arg) => arg !== '--one-process'), flags.oneProcess === true);
}

/**
 * Start the apps of a validated plan that `select` picks, one detached supervisor
 * process each (or, with `oneProcess`, one process holding every app's supervisor),
 * then print the `ls` table. `runArgs` are the arguments each supervisor records, to
 * be started again as it was. Returns 3 if one did not come up.
 */
export async function startPlanned(plan: SupervisionPlan, select: (name: string) => boolean, runArgs: string[], oneProcess = false): Promise<number> {
  // How each app was started, to start it again on its own (`drover save`, `start <app>`).
  const commandOf = (name: string) => {
    const only = plan.fromConfigFile || plan.apps.length > 1 ? ['--only', name] : [];
    return { ...plan.command, argv: ['run', ...withoutOnly(runArgs), ...only], background: true };
  };
  const selected = plan.apps.filter(({ app }) => select(app.name));
  // PM2's autostart: false: listed as stopped; started when named (--only, `drover start <app>`).
  const named = runArgs.some((arg) => arg === '--only' || arg.startsWith('--only='));
  const held = named ? [] : selected.filter(({ app }) => !app.autostart);
  for (const { app } of held) {
    writeAppRecord({ name: app.name, ...commandOf(app.name), ended: { status: 'stopped', at: Date.now(), exitCode: 0, reason: 'autostart: false', code: undefined } });
    process.stdout.write(`${app.name}: not started (autostart: false); drover start ${app.name} starts it\n`);
  }
  const apps = selected.filter((appPlan) => !held.includes(appPlan)).map((appPlan) => ({ ...appPlan, app: withDefaultLogFiles(appPlan.app) }));
  for (const { app, count } of apps) await checkLogFiles(app, count);
  const groups: AppPlan[][] = oneProcess && apps.length > 1 ? [apps] : apps.map((appPlan) => [appPlan]);

  let failed = 0;
  for (const group of groups) {
    // The process's own output (a fatal error before any app starts) goes to the first app's log.
    const log = supervisorLogPath(group[0]!.app.name);
    const fd = openForAppend(log);
    const shared = group.length > 1;
    const own: SupervisionPlan = {
      // Sharing a process, each app keeps its own log and record, and lives on its own.
      apps: group.map((appPlan) => (shared ? { ...appPlan, command: commandOf(appPlan.app.name), logFile: supervisorLogPath(appPlan.app.name) } : appPlan)),
      stats: false,
      command: commandOf(group[0]!.app.name),
      independent: true,
    };
    const child = spawn(process.execPath, [...SUPERVISOR_NODE_ARGS, SUPERVISOR_ENTRY], { detached: true, stdio: ['pipe', fd, fd], env: process.env });
    child.stdin!.end(JSON.stringify(own));
    child.unref();
    closeSync(fd);
    for (const { app } of group) {
      const outcome = await waitUntilUp(app.name, child.pid!, app.listen_timeout + 10_000);
      if (outcome === 'up') continue;
      failed += 1;
      const appLog = supervisorLogPath(app.name);
      const tail = readFileSync(appLog, 'utf8').trimEnd().split('\n').slice(-12).join('\n');
      process.stderr.write(`drover: ${app.name} did not start (${outcome}); the end of ${appLog}:\n${tail}\n`);
    }
  }
  await lsCommand({});
  return failed > 0 ? 3 : 0;
}

// Wait until the new supervisor says its app is up (or degraded, or stopped): it holds
// the answer until then. Until its control socket answers, check that it is alive.
async function waitUntilUp(name: string, pid: number, timeoutMs: number): Promise<'up' | string> {
  const startedAt = Date.now();
  const deadline = startedAt + timeoutMs;
  const socket = socketPath(name);
  // How the app ended, if it has since this start: its supervisor writes it in the
  // app's record before it goes (and may live on for other apps, with --one-process).
  const ending = () => {
    const ended = readAppRecord(name)?.ended;
    return ended && ended.at >= startedAt ? `it ${ended.status === 'errored' ? 'gave up' : 'stopped'}` : undefined;
  };
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return ending() ?? 'its supervisor exited';
    const left = deadline - Date.now();
    const readiness = await callSupervisor(socket, 'GET /v1/ready', { query: { wait: left }, timeoutMs: left + 2000 }).catch(() => undefined);
    // The socket answers for this supervisor: `start` refused the name if another ran it.
    if (readiness?.state === 'up') return 'up';
    if (readiness?.state === 'degraded') return `degraded: ${readiness.reason}`;
    const ended = ending();
    if (ended) return ended;
    // Stopping (its app ended, a crash loop say): its supervisor exits next, and says why in its log.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `its workers were not up within ${Math.round(timeoutMs / 1000)} s`;
}

// `--only a,b` of the command becomes `--only a` for app a's own supervisor.
function withoutOnly(args: string[]): string[] {
  const at = args.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (at < 0) return args;
  return [...args.slice(0, at), ...args.slice(at + (args[at] === '--only' ? 2 : 1))];
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
