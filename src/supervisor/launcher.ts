import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { balancedBySupervisor } from '../balancer/choose.js';
import type { AppOptions } from '../config/index.js';
import { CAPTURE_INSPECT_ARGS, usesOwnInspector } from '../inspector/inspect-flags.js';
import { RUNTIME_VARIABLE, type RuntimeSettings } from '../ipc/messages.js';
import { RUNTIME_PRELOAD_ARGS } from '../worker/preload.js';


/** The environment of the worker in `slot`: the app's, plus its instance number and PM2's increment_var. */
export function workerEnv(app: AppOptions, slot: number): Record<string, string> {
  const env: Record<string, string> = {
    ...app.env,
    [app.instance_var]: String(slot),
    DROVER_APP_NAME: app.name,
    [RUNTIME_VARIABLE]: JSON.stringify(runtimeSettings(app, slot)),
  };
  if (app.increment_var) env[app.increment_var] = String(Number(app.env[app.increment_var]) + slot);
  return env;
}

/**
 * Starts worker processes for a supervisor's pool: node:cluster or fork for real, a
 * fake one in unit tests. `launch` never throws: a process that cannot be started is a
 * ChildProcess without a pid that emits 'error', which the pool counts as a worker
 * that exited on start.
 */
export interface Launcher {
  launch(slot: number, pipeStdout: boolean): ChildProcess;
}

/** What the worker runtime is told: how often to report, and how it stops. */
function runtimeSettings(app: AppOptions, slot: number): RuntimeSettings {
  const sid = app.balance === 'sticky' && app.sticky_key === 'sid';
  return {
    statsInterval: app.stats_interval,
    killTimeout: app.kill_timeout,
    killSignal: app.kill_signal,
    balanced: balancedBySupervisor(app),
    ...(sid ? { sidSlot: slot } : {}),
    ...(app.ws_close_window !== undefined ? { wsCloseWindow: app.ws_close_window } : {}),
    ...(app.request_metrics ? {} : { requestMetrics: false }),
  };
}

/**
 * Start one worker: in cluster mode through node:cluster, so that it shares the app's
 * port; in fork mode as a plain child process that binds its own. Never throws: a
 * process that cannot be started is a ChildProcess without a pid that emits 'error',
 * which the supervisor counts as a worker that exited on start.
 */
export function spawnWorker(app: AppOptions, slot: number, pipeStdout: boolean, heapLimitMb?: number, baseEnv: NodeJS.ProcessEnv = process.env): ChildProcess {
  try {
    return startProcess(app, slot, pipeStdout, heapLimitMb, baseEnv);
  } catch (error) {
    return unstarted(error);
  }
}

function unstarted(error: unknown): ChildProcess {
  const child = Object.assign(new EventEmitter(), {
    pid: undefined,
    connected: false,
    stdout: null,
    stderr: null,
    send: () => false,
    kill: () => false,
  });
  process.nextTick(() => child.emit('error', error));
  return child as unknown as ChildProcess;
}

function startProcess(app: AppOptions, slot: number, pipeStdout: boolean, heapLimitMb: number | undefined, baseEnv: NodeJS.ProcessEnv): ChildProcess {
  const heap = heapLimitMb !== undefined && !app.node_args.some((arg) => arg.startsWith('--max-old-space-size')) ? [`--max-old-space-size=${heapLimitMb}`] : [];
  // A hung worker's stack is read through its inspector, opened on a free loopback port
  // only then; an app that sets up the inspector itself keeps its own flags and port.
  const ownInspector = usesOwnInspector(app.node_args, app.env.NODE_OPTIONS ?? baseEnv.NODE_OPTIONS);
  const inspect = ownInspector ? [] : CAPTURE_INSPECT_ARGS;
  // The worker runtime is preloaded into every worker; the app's script stays the main module.
  const execArgv = [...RUNTIME_PRELOAD_ARGS, ...heap, ...inspect, ...app.node_args];
  // stdout goes straight to ours unless it is logged or formatted; stderr always
  // comes through us, for crash reports.
  const stdio: StdioOptions = ['ignore', pipeStdout ? 'pipe' : 'inherit', 'pipe', 'ipc'];
  const ids = { ...(app.uid !== undefined ? { uid: app.uid } : {}), ...(app.gid !== undefined ? { gid: app.gid } : {}) };
  if (app.interpreter !== undefined) return spawnProgram(app, slot, pipeStdout, baseEnv);
  if (app.exec_mode === 'fork') {
    return fork(app.script, [...app.args], { cwd: app.cwd, env: { ...baseEnv, ...workerEnv(app, slot) }, execArgv, stdio, ...ids });
  }
  // node:cluster's settings are global to the process, and one supervisor process may
  // run several apps: set them all, right before each fork.
  // node:cluster gives a worker whose execArgv has an inspect flag a port of its own
  // (9230, 9231…) unless `inspectPort` says which: 0 keeps ours free, and an app with its
  // own --inspect gets node:cluster's default back (another app in this process may have set 0).
  cluster.setupPrimary({ exec: app.script, args: [...app.args], execArgv, cwd: app.cwd, stdio, uid: app.uid, gid: app.gid, ...(ownInspector ? {} : { inspectPort: 0 }) });
  if (ownInspector) delete (cluster.settings as { inspectPort?: unknown }).inspectPort;
  // node:cluster puts the supervisor's own environment under this one: a base
  // environment given by an update (--update-env) adds and changes variables.
  const worker = cluster.fork(baseEnv === process.env ? workerEnv(app, slot) : { ...baseEnv, ...workerEnv(app, slot) });
  // Sending to a worker that has just died emits 'error'; its exit tells the story.
  worker.on('error', () => undefined);
  return worker.process;
}

/**
 * A program that is not Node.js (`interpreter: python3`, `none` for a binary or a #!
 * script): a plain child process with no IPC channel and no runtime, supervised from
 * the outside (restarts, logs, the stop signal, kill_timeout).
 */
function spawnProgram(app: AppOptions, slot: number, pipeStdout: boolean, baseEnv: NodeJS.ProcessEnv): ChildProcess {
  const [command, args] = app.interpreter === 'none' ? [app.script, [...app.args]] : [app.interpreter!, [...app.node_args, app.script, ...app.args]];
  const ids = { ...(app.uid !== undefined ? { uid: app.uid } : {}), ...(app.gid !== undefined ? { gid: app.gid } : {}) };
  const stdio: StdioOptions = ['ignore', pipeStdout ? 'pipe' : 'inherit', 'pipe'];
  // Its own process group, so that its children (npm's script, a shell's commands) are stopped with it.
  return spawn(command, args, { cwd: app.cwd, env: { ...baseEnv, ...workerEnv(app, slot) }, stdio, detached: true, ...ids });
}

/** The signal a program that is not Node.js hears on stop: kill_signal, else SIGINT, as PM2 sends. */
export function programStopSignal(app: AppOptions): NodeJS.Signals {
  return (app.kill_signal ?? 'SIGINT') as NodeJS.Signals;
}
