import { detectCapacity, resolveInstances, type Capacity, type InstanceDecision } from '../capacity/index.js';
import { loadApps, type AppOptions, type OptionOrigin } from '../config/index.js';
import { serveControlApi } from '../control/server.js';
import { isDroverError } from '../errors/index.js';
import { consoleOutput, reportSupervisor } from '../log/reporter.js';
import { formatStatsTable } from '../log/stats-table.js';
import { Supervisor } from '../supervisor/index.js';
import { buildAppRequest, type AppFlags } from './app-request.js';

/** `drover run`: supervise the apps in the foreground until a signal or until no worker is left. Returns the exit code. */
export async function runCommand(target: string | undefined, appArgs: string[], flags: AppFlags & { stats?: boolean }): Promise<number> {
  const request = buildAppRequest(target, appArgs, flags);
  const loaded = await loadApps(request);
  for (const warning of loaded.warnings) consoleOutput.warn(`[drover] warning: ${warning}`);

  const capacity = detectCapacity();
  const apps = loaded.apps.map((app, i) => {
    const decision = decideWorkers(app, loaded.origins[i]!, capacity, flags.instances === undefined);
    const supervisor = new Supervisor(app, { heapLimitMb: app.auto_heap ? heapLimitMb(capacity, decision.count) : undefined });
    // Every log file opens before any app starts: a bad path stops everything cleanly.
    supervisor.prepare(decision.count);
    return { supervisor, decision };
  });

  // Each app's control socket (drover ls / reload / stop); a name already running stops us here.
  for (const { supervisor } of apps) {
    const name = supervisor.app.name;
    await serveControlApi(supervisor, () => consoleOutput.warn(`[drover] ${name}: removed a stale control socket left by a killed supervisor`)).catch(
      (error: Error) => {
        if (isDroverError(error)) throw error;
        // The app runs without it; only ls/reload/stop cannot reach it.
        consoleOutput.warn(`[drover] ${name}: no control socket (${error.message}); drover ls, reload and stop will not see this app`);
      },
    );
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    for (const { supervisor } of apps) {
      if (signals === 1) supervisor.stop(`${signal} received`);
      else supervisor.forceStop();
    }
  };
  // SIGUSR2 (PM2's and the guides' reload signal) and SIGHUP roll every app. Not
  // SIGUSR1: that one starts Node's inspector.
  const onReload = () => {
    for (const { supervisor } of apps) void supervisor.reload();
  };
  // --stats: a table per app every stats interval (SIGUSR1 is Node's inspector signal, so no signal for it).
  const statsTimers = flags.stats
    ? apps
        .filter(({ supervisor }) => supervisor.app.stats_interval > 0)
        .map(({ supervisor }) => setInterval(() => consoleOutput.info(formatStatsTable(supervisor.snapshot())), supervisor.app.stats_interval))
    : [];
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGUSR2', onReload);
  process.on('SIGHUP', onReload);
  const results = await Promise.all(
    apps.map(({ supervisor, decision }) => {
      const mode = supervisor.app.exec_mode === 'fork' ? ' (fork mode)' : '';
      consoleOutput.info(`[drover] ${supervisor.app.name}: ${decision.reason}${mode}`);
      reportSupervisor(supervisor);
      return supervisor.run(decision.count);
    }),
  );
  statsTimers.forEach(clearInterval);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGUSR2', onReload);
  process.off('SIGHUP', onReload);
  return Math.max(0, ...results.map((result) => result.exitCode));
}

/** The worker count for an app and the line that explains it, naming where the count came from. */
export function decideWorkers(app: AppOptions, origins: Record<string, OptionOrigin>, capacity: Capacity, fromEnv: boolean): InstanceDecision {
  const askedAs =
    origins.instances === 'command line' ? (fromEnv ? 'DROVER_INSTANCES=' : '-i ') : origins.instances === 'config file' ? 'instances: ' : 'PM2 default ';
  return resolveInstances(app.instances, capacity, app.worker_memory, askedAs);
}

/**
 * auto_heap: each worker's share of the memory limit, less a quarter for what V8 keeps
 * outside the old space (code, buffers, the young generation), at least 64 MB.
 */
export function heapLimitMb(capacity: Capacity, workers: number): number {
  return Math.max(64, Math.floor((capacity.memoryLimit / workers / 1024 / 1024) * 0.75));
}
