import { detectCapacity, resolveInstances, type Capacity, type InstanceDecision } from '../capacity/index.js';
import { loadApps, type AppOptions, type OptionOrigin } from '../config/index.js';
import { consoleOutput } from '../log/reporter.js';
import { buildAppRequest, type AppFlags } from './app-request.js';
import { superviseApps, type SupervisionPlan } from './supervise.js';

/** `drover run`: supervise the apps in the foreground until a signal or until no worker is left. Returns the exit code. */
export async function runCommand(target: string | undefined, appArgs: string[], flags: AppFlags & { stats?: boolean }): Promise<number> {
  return superviseApps(await planApps(target, appArgs, flags));
}

/** Validate the apps, print the warnings, and decide each one's worker count. */
export async function planApps(target: string | undefined, appArgs: string[], flags: AppFlags & { stats?: boolean }): Promise<SupervisionPlan> {
  const loaded = await loadApps(buildAppRequest(target, appArgs, flags));
  for (const warning of loaded.warnings) consoleOutput.warn(`[drover] warning: ${warning}`);
  const capacity = detectCapacity();
  const apps = loaded.apps.map((app, i) => {
    const decision = decideWorkers(app, loaded.origins[i]!, capacity, flags.instances === undefined);
    const heap = app.auto_heap ? heapLimitMb(capacity, decision.count) : undefined;
    return { app, count: decision.count, reason: decision.reason, heapLimitMb: heap };
  });
  const command = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env as Record<string, string> };
  return { apps, stats: flags.stats === true, command };
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
