import type { AppOptions } from '../config/app-schema.js';
import type { Server } from 'node:http';
import { closeControlApi, serveControlApi, type StartCommand } from '../control/server.js';
import { adminAccess } from '../admin/access.js';
import { closeAdmin, describeAdmin, serveAdmin } from '../admin/listener.js';
import { isDroverError } from '../errors/index.js';
import { consoleOutput, fileOutput, jsonConsoleLines, onOutputProblem, stampConsoleLines, type Output } from '../log/console-output.js';
import { entryWarnings } from './entry-warnings.js';
import { formatStatsTable } from './stats-table.js';
import { openForAppend } from '../home/private-files.js';
import { reportSupervisor } from './supervisor-lines.js';
import { Supervisor, type SupervisorResult } from '../supervisor/index.js';

// The supervising half of `drover run`, apart from the option parsing and validation
// (commander, zod) of the other half, so that a background supervisor started by
// `drover start` loads only this: the long-lived process stays small.

/** One app, validated, with its worker count decided. */
export interface AppPlan {
  app: AppOptions;
  count: number;
  /** The line that explains the count. */
  reason: string;
  heapLimitMb: number | undefined;
  /** The most workers `scale` may ask for, and how that was arrived at. */
  maxWorkers: number;
  maxWorkersReason: string;
  /** How this app alone was started, where its supervisor shares a process with others (start --one-process). */
  command?: StartCommand;
  /** Its own supervisor log, where its supervisor shares a process with others. */
  logFile?: string;
  /** In container mode, the start line that says why and what SIGTERM does. */
  containerLine?: string | undefined;
}

/** Everything a supervisor process needs: what `drover run` validated, and how to start it again. */
export interface SupervisionPlan {
  apps: AppPlan[];
  stats: boolean;
  command: StartCommand;
  /** The apps come from a config file (not a script named on the command line). */
  fromConfigFile?: boolean;
  /** Each app lives on its own: one that does not start leaves the others running (start --one-process). */
  independent?: boolean;
}

/** Supervise the planned apps until a signal or until no worker is left. Returns the exit code. */
export async function superviseApps(plan: SupervisionPlan): Promise<number> {
  // An app whose lines carry times (`time`, log_date_format): drover's own lines do too.
  if (plan.apps.some(({ app }) => app.logs.date_format !== undefined)) stampConsoleLines();
  // In a container, the workers' lines are JSON on stdout: drover's own are too.
  else if (plan.apps.every(({ app }) => app.container && app.logs.json)) jsonConsoleLines();
  // An admin listener with a bad setting (no token off loopback) stops everything before anything starts.
  const access = new Map(plan.apps.map(({ app }) => [app.name, adminAccess(app)]));
  const apps = plan.apps.map(({ app, count, reason, heapLimitMb, maxWorkers, maxWorkersReason, command, logFile, containerLine }) => {
    const supervisor = new Supervisor(app, { heapLimitMb, maxWorkers, maxWorkersReason });
    // Every log file opens before any app starts: a bad path stops everything cleanly.
    supervisor.prepare(count);
    const console = logFile === undefined ? consoleOutput : fileOutput(openForAppend(logFile), `log of ${app.name}`);
    return { supervisor, count, reason, command: command ?? plan.command, console, containerLine };
  });

  // Each app's control socket (drover ls / reload / stop); a name already running stops
  // us here, and the sockets opened before it close again: nothing is left running.
  const servers: { server: Server; name: string }[] = [];
  const adminServers: Server[] = [];
  try {
    for (const { supervisor, command, console } of apps) {
      const name = supervisor.app.name;
      const onStale = () => console.warn(`[drover] ${name}: removed a stale control socket left by a killed supervisor`);
      const server = await serveControlApi(supervisor, command, onStale).catch((error: Error) => {
        if (isDroverError(error)) throw error;
        // The app runs without it; only ls/reload/stop cannot reach it.
        console.warn(`[drover] ${name}: no control socket (${error.message}); drover ls, reload and stop will not see this app`);
        return undefined;
      });
      if (server) servers.push({ server, name });
      // The admin listener (metrics, probes): a port in use stops us here too.
      const admin = access.get(name);
      if (admin) {
        adminServers.push(await serveAdmin(supervisor, command, admin));
        console.info(`[drover] ${name}: ${describeAdmin(admin)}`);
      }
    }
  } catch (error) {
    await Promise.all([
      ...servers.map(({ server, name }) => closeControlApi(server, name)),
      ...adminServers.map(closeAdmin),
      ...apps.map(({ supervisor }) => supervisor.output.close()),
    ]);
    throw error;
  }

  for (const warning of entryWarnings()) consoleOutput.warn(warning);

  // Our own log failing (a full disk) is told to every app's timeline; it stops nothing.
  const unsubscribe = onOutputProblem((message) => apps.forEach(({ supervisor }) => supervisor.warn(message)));

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    for (const { supervisor } of apps) {
      // SIGINT is Ctrl-C at a terminal: no load balancer to wait for (shutdown_delay is for SIGTERM).
      if (signals === 1) supervisor.stop(`${signal} received`, { delay: signal !== 'SIGINT' });
      else supervisor.forceStop();
    }
  };
  // SIGUSR2 (PM2's and the guides' reload signal) and SIGHUP roll every app. Not
  // SIGUSR1: that one starts Node's inspector.
  const onReload = () => {
    for (const { supervisor } of apps) void supervisor.reload();
  };
  // --stats: a table per app every stats interval.
  const statsTimers = plan.stats
    ? apps
        .filter(({ supervisor }) => supervisor.app.stats_interval > 0)
        .map(({ supervisor }) => setInterval(() => consoleOutput.info(formatStatsTable(supervisor.snapshot())), supervisor.app.stats_interval))
    : [];
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR2', onReload);
  process.on('SIGHUP', onReload);
  // Start-up is all or nothing, unless the apps are independent: an app that ends before
  // all its workers are up (a crash loop, a port in use) stops the apps started with it.
  const startFailed = (failed: Supervisor) => {
    for (const { supervisor } of apps) if (supervisor !== failed) supervisor.stop(`${failed.app.name} did not start`);
  };
  let results: SupervisorResult[];
  try {
    results = await Promise.all(
      apps.map(({ supervisor, count, reason, console, containerLine }) => {
        const mode = supervisor.app.exec_mode === 'fork' ? ' (fork mode)' : '';
        console.info(`[drover] ${supervisor.app.name}: ${reason}${mode}`);
        if (containerLine) console.info(`[drover] ${supervisor.app.name}: ${containerLine}`);
        reportSupervisor(supervisor, followedOutput(supervisor, console));
        let up = false;
        supervisor.once('ready', () => (up = true));
        const together = apps.length > 1 && !plan.independent;
        if (together) supervisor.once('give-up', () => !up && startFailed(supervisor));
        return supervisor.run(count).then((result) => {
          if (!up && together) startFailed(supervisor);
          return result;
        });
      }),
    );
  } finally {
    unsubscribe();
    statsTimers.forEach(clearInterval);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGUSR2', onReload);
    process.off('SIGHUP', onReload);
  }
  return Math.max(0, ...results.map((result) => result.exitCode));
}

// The supervisor's own lines go to its console (its log, in the background) and to
// whoever follows the app's log stream, so that `drover logs --follow` explains restarts.
function followedOutput(supervisor: Supervisor, console: Output): Output {
  const publish = (msg: string) =>
    supervisor.output.publish({ ts: new Date().toISOString(), app: supervisor.app.name, worker: null, pid: null, stream: 'drover', msg });
  const tee = (write: (line: string) => void) => (line: string) => {
    write(line);
    publish(line);
  };
  return { info: tee(console.info), warn: tee(console.warn) };
}
