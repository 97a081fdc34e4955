import { detectCapacity, detectContainer, maxWorkers, memoryBudget, resolveInstances, type Capacity, type InstanceDecision } from '../capacity/index.js';
import { loadApps, type AppOptions, type OptionOrigin } from '../config/index.js';
import { InvalidOptionError } from '../errors/index.js';
import { SOCKET_PATH_MAX, socketPath } from '../home/paths.js';
import { consoleOutput } from '../log/console-output.js';
import { adminAccess } from '../admin/access.js';
import { buildAppRequest, type AppFlags } from './app-request.js';
import { clusterAdvice, decideContainerMode } from './container-mode.js';
import { superviseApps, type SupervisionPlan } from './supervise.js';

/** `drover run`: supervise the apps in the foreground until a signal or until no worker is left. Returns the exit code. */
export async function runCommand(target: string | undefined, appArgs: string[], flags: AppFlags & { stats?: boolean }): Promise<number> {
  const plan = await planApps(target, appArgs, flags);
  // PM2's autostart: false: not run unless named with --only.
  const held = flags.only === undefined ? plan.apps.filter(({ app }) => !app.autostart) : [];
  for (const { app } of held) consoleOutput.info(`[drover] ${app.name}: not started (autostart: false); --only ${app.name} runs it`);
  if (held.length === plan.apps.length && held.length > 0) return 0;
  return superviseApps({ ...plan, apps: plan.apps.filter((appPlan) => !held.includes(appPlan)) });
}

/** Validate the apps, print the warnings, and decide each one's worker count. */
export async function planApps(target: string | undefined, appArgs: string[], flags: AppFlags & { stats?: boolean }): Promise<SupervisionPlan> {
  const loaded = await loadApps(buildAppRequest(target, appArgs, flags));
  for (const warning of loaded.warnings) consoleOutput.warn(`[drover] warning: ${warning}`);
  const capacity = detectCapacity();
  const container = detectContainer();
  const apps = loaded.apps.map((loadedApp, i) => {
    const { app, line: containerLine } = decideContainerMode(loadedApp, container);
    const socket = socketPath(app.name);
    if (Buffer.byteLength(socket) > SOCKET_PATH_MAX) {
      throw new InvalidOptionError([
        `${app.name}: its control socket ${socket} would be ${Buffer.byteLength(socket)} bytes, more than the ${SOCKET_PATH_MAX} a Unix socket path may have; give the app a shorter name, or set DROVER_HOME to a shorter folder`,
      ]);
    }
    // A bad admin listener setting is said here, before a background supervisor starts.
    adminAccess(app);
    const decision = decideWorkers(app, loaded.origins[i]!, capacity, flags.instances === undefined);
    const max = maxWorkers(capacity, app.max_workers);
    if (decision.count > max.limit) {
      throw new InvalidOptionError([
        `${app.name}: ${decision.count} workers (${decision.reason.replace(/^\d+ workers?: /, '')}) is more than max_workers ${max.limit} (${max.reason}); ` +
          'ask for fewer, or set max_workers (--max-workers) if you mean it',
      ]);
    }
    // auto_heap: the heap that `drover doctor` shows the arithmetic of.
    const heap = app.auto_heap ? memoryBudget(capacity, decision.count).heapMb : undefined;
    const advised = containerLine && `${containerLine}; ${clusterAdvice(decision.count, container?.runtime === 'Kubernetes')}`;
    return { app, count: decision.count, reason: decision.reason, heapLimitMb: heap, maxWorkers: max.limit, maxWorkersReason: max.reason, containerLine: advised };
  });
  const command = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env as Record<string, string> };
  return { apps, stats: flags.stats === true, command, fromConfigFile: loaded.file !== undefined };
}

/** The worker count for an app and the line that explains it, naming where the count came from. */
export function decideWorkers(app: AppOptions, origins: Record<string, OptionOrigin>, capacity: Capacity, fromEnv: boolean): InstanceDecision {
  const askedAs =
    origins.instances === 'command line' ? (fromEnv ? 'DROVER_INSTANCES=' : '-i ') : origins.instances === 'config file' ? 'instances: ' : 'PM2 default ';
  return resolveInstances(app.instances, capacity, app.worker_memory, askedAs);
}
