import { APP_OPTIONS, type AppRequest, type OptionSpec } from '../config/index.js';
import { InvalidOptionError } from '../errors/index.js';

/**
 * The flags `drover run`, `start` and `config` share, as commander hands them over
 * (strings, unvalidated): one per app option with a flag (camelCase, as commander
 * names them), and --env and --only.
 */
export type AppFlags = { env?: string[]; only?: string; instances?: string; cron?: string } & Record<string, unknown>;

/** The app options that have a flag, by the name commander gives the flag's value ("--kill-timeout" -> killTimeout). */
const FLAGGED: readonly [option: string, attribute: string][] = Object.entries(APP_OPTIONS as Record<string, OptionSpec>).flatMap(([option, spec]) => {
  // `--no-autorestart` sets `autorestart` (false), as commander names it.
  const long = spec.flag === undefined ? undefined : /--(?:no-)?([a-z-]+)/.exec(spec.flag)?.[1];
  return long === undefined ? [] : [[option, long.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())] as [string, string]];
});

/** How each option is named on the command line, for error messages. */
export function cliLabel(field: string): string {
  if (field === 'instances') return process.env.DROVER_INSTANCES !== undefined ? '-i/--instances (or DROVER_INSTANCES)' : '-i/--instances';
  if (field === 'script') return 'script';
  if (field === 'args') return 'app arguments';
  if (field === 'out_file') return '-o/--output';
  if (field === 'error_file') return '-e/--error';
  if (field === 'log_file') return '-l/--log';
  return `--${field.replaceAll('_', '-')}`;
}

/** Turn the command line into a request for `loadApps`. */
export function buildAppRequest(target: string | undefined, appArgs: readonly string[], flags: AppFlags): AppRequest {
  const { variables, envName } = splitEnvFlags(flags.env ?? []);
  const overrides: Record<string, unknown> = {};
  for (const [option, attribute] of FLAGGED) if (flags[attribute] !== undefined) overrides[option] = flags[attribute];
  // PM2's other spelling of --cron-restart.
  if (flags.cron !== undefined) overrides.cron_restart ??= flags.cron;
  checkWatchTookScript(target, flags.watch);
  // PM2's --interpreter-args is its name for --node-args.
  if (flags.interpreterArgs !== undefined) {
    if (overrides.node_args !== undefined) throw new InvalidOptionError(['--interpreter-args: the same option as --node-args; give one of them']);
    overrides.node_args = flags.interpreterArgs;
  }
  // `-i` on the command line wins; DROVER_INSTANCES stands in for it, as containers set it.
  const instances = flags.instances ?? process.env.DROVER_INSTANCES;
  if (instances !== undefined) overrides.instances = instances;
  if (Object.keys(variables).length > 0) overrides.env = variables;
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

// `--watch [paths]` takes an optional value, so `drover run --watch app.js` reads app.js
// as the paths to watch, and then finds no script: say so rather than "no script given".
function checkWatchTookScript(target: string | undefined, watch: unknown): void {
  if (target !== undefined || typeof watch !== 'string' || !/\.([cm]?[jt]s|json5?|ya?ml)$/.test(watch)) return;
  throw new InvalidOptionError([
    `--watch: took '${watch}' as the paths to watch, and no script was left; put --watch after the script (drover run ${watch} --watch), or write --watch=<paths>`,
  ]);
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
