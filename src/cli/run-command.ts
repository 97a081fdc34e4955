import { detectCapacity, resolveInstances } from '../capacity/index.js';
import { validateAppOptions, type AppInput } from '../config/index.js';
import { InvalidOptionError } from '../errors/index.js';
import { consoleOutput, reportSupervisor } from '../log/reporter.js';
import { Supervisor } from '../supervisor/index.js';

/** The flags `drover run` takes, as commander hands them over (strings, unvalidated). */
export interface RunFlags {
  instances?: string;
  name?: string;
  nodeArgs?: string;
  env?: string[];
  cwd?: string;
  minUptime?: string;
  maxRestarts?: string;
  expBackoffRestartDelay?: string;
  killTimeout?: string;
  listenTimeout?: string;
  workerMemory?: string;
}

/** How each option is named on the command line, for error messages. */
export function cliLabel(field: string): string {
  if (field === 'instances') return '-i/--instances';
  if (field === 'script') return 'script';
  if (field === 'args') return 'app arguments';
  return `--${field.replaceAll('_', '-')}`;
}

/** `drover run`: supervise the app in the foreground until a signal or until no worker is left. Returns the exit code. */
export async function runCommand(script: string, appArgs: string[], flags: RunFlags): Promise<number> {
  // `-i` on the command line wins; DROVER_INSTANCES replaces the default, as containers set it.
  const fromEnv = flags.instances === undefined && process.env.DROVER_INSTANCES !== undefined;
  const input: AppInput = {
    script,
    args: appArgs,
    env: parseEnvPairs(flags.env ?? []),
    ...defined({
      name: flags.name,
      cwd: flags.cwd,
      instances: fromEnv ? process.env.DROVER_INSTANCES : flags.instances,
      node_args: flags.nodeArgs,
      min_uptime: flags.minUptime,
      max_restarts: flags.maxRestarts,
      exp_backoff_restart_delay: flags.expBackoffRestartDelay,
      kill_timeout: flags.killTimeout,
      listen_timeout: flags.listenTimeout,
      worker_memory: flags.workerMemory,
    }),
  };
  const app = validateAppOptions(input, fromEnv ? (field) => (field === 'instances' ? 'DROVER_INSTANCES' : cliLabel(field)) : cliLabel);
  const decision = resolveInstances(app.instances, detectCapacity(), app.worker_memory, fromEnv ? 'DROVER_INSTANCES' : 'option');
  consoleOutput.info(`[drover] ${app.name}: ${decision.reason}`);

  const supervisor = new Supervisor(app);
  reportSupervisor(supervisor);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) supervisor.stop(`${signal} received`);
    else supervisor.forceStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await supervisor.run(decision.count);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return result.exitCode;
}

/** `--env A=1 --env B=2` into { A: '1', B: '2' }. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const bad = pairs.filter((pair) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(pair));
  if (bad.length > 0) throw new InvalidOptionError(bad.map((pair) => `--env: expected KEY=VALUE, got '${pair}'`));
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

function defined<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
