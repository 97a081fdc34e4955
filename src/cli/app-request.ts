import type { AppRequest } from '../config/index.js';
import { InvalidOptionError } from '../errors/index.js';

/** The flags `drover run` and `drover config` share, as commander hands them over (strings, unvalidated). */
export interface AppFlags {
  instances?: string;
  name?: string;
  nodeArgs?: string;
  env?: string[];
  cwd?: string;
  only?: string;
  minUptime?: string;
  maxRestarts?: string;
  expBackoffRestartDelay?: string;
  restartDelay?: string;
  killTimeout?: string;
  killSignal?: string;
  listenTimeout?: string;
  reloadBatch?: string;
  waitReady?: boolean;
  maxMemoryRestart?: string;
  statsInterval?: string;
  heartbeatTimeout?: string;
  autoHeap?: boolean;
  workerMemory?: string;
  maxWorkers?: string;
  execMode?: string;
}

/** How each option is named on the command line, for error messages. */
export function cliLabel(field: string): string {
  if (field === 'instances') return process.env.DROVER_INSTANCES !== undefined ? '-i/--instances (or DROVER_INSTANCES)' : '-i/--instances';
  if (field === 'script') return 'script';
  if (field === 'args') return 'app arguments';
  return `--${field.replaceAll('_', '-')}`;
}

/** Turn the command line into a request for `loadApps`. */
export function buildAppRequest(target: string | undefined, appArgs: readonly string[], flags: AppFlags): AppRequest {
  const { variables, envName } = splitEnvFlags(flags.env ?? []);
  // `-i` on the command line wins; DROVER_INSTANCES stands in for it, as containers set it.
  const instances = flags.instances ?? process.env.DROVER_INSTANCES;
  const overrides = defined({
    name: flags.name,
    cwd: flags.cwd,
    instances,
    exec_mode: flags.execMode,
    node_args: flags.nodeArgs,
    min_uptime: flags.minUptime,
    max_restarts: flags.maxRestarts,
    exp_backoff_restart_delay: flags.expBackoffRestartDelay,
    restart_delay: flags.restartDelay,
    kill_timeout: flags.killTimeout,
    kill_signal: flags.killSignal,
    listen_timeout: flags.listenTimeout,
    reload_batch: flags.reloadBatch,
    wait_ready: flags.waitReady,
    max_memory_restart: flags.maxMemoryRestart,
    stats_interval: flags.statsInterval,
    heartbeat_timeout: flags.heartbeatTimeout,
    auto_heap: flags.autoHeap,
    worker_memory: flags.workerMemory,
    max_workers: flags.maxWorkers,
    env: Object.keys(variables).length > 0 ? variables : undefined,
  });
  const label = (field: string) =>
    field === 'instances' && flags.instances === undefined ? 'DROVER_INSTANCES' : cliLabel(field);
  return {
    target,
    appArgs,
    overrides,
    overrideLabel: label,
    envName,
    only: flags.only?.split(',').map((name) => name.trim()).filter(Boolean),
  };
}

/**
 * `--env` does two jobs, as in PM2 and in drover's own run: `--env KEY=VALUE` sets a
 * variable, `--env production` selects the `env_production` block of a config file.
 */
export function splitEnvFlags(values: readonly string[]): { variables: Record<string, string>; envName: string | undefined } {
  const variables: Record<string, string> = {};
  const names: string[] = [];
  const bad: string[] = [];
  for (const value of values) {
    const at = value.indexOf('=');
    if (at > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value.slice(0, at))) variables[value.slice(0, at)] = value.slice(at + 1);
    else if (/^[\w.-]+$/.test(value)) names.push(value);
    else bad.push(`--env: expected KEY=VALUE or an environment name, got '${value}'`);
  }
  if (names.length > 1) bad.push(`--env: one environment name at a time, got ${names.map((n) => `'${n}'`).join(' and ')}`);
  if (bad.length > 0) throw new InvalidOptionError(bad);
  return { variables, envName: names[0] };
}

function defined<T extends Record<string, unknown>>(object: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
