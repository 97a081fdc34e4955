import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod/v3';
import { DroverError, InvalidOptionError, isDroverError } from '../errors/index.js';
import {
  APP_DEFAULTS,
  APP_OPTION_NAMES,
  PM2_FILE_DEFAULTS,
  cliAppSchema,
  fileAppSchema,
  PLAIN_OPTION_NAMES,
  type AppOptions,
  type PlainOptionName,
  type LogOptions,
  type ParsedApp,
} from './app-schema.js';
import { parseStickyKey } from '../balancer/sticky-key.js';
import { closestMatch } from './closest.js';
import { checkRedisUrl } from '../store/redis-url.js';
import { expandHome } from './home-path.js';
import { resolveEntryPoint, type EntryPoint } from './entry-point.js';
import { hasTypeScriptLoader, typeScriptSupport } from './typescript.js';
import { resolveGroupId, resolveUserId } from './users.js';
import { formatDuration } from './units.js';

/** How a field is named to the user: `--max-restarts` on the CLI, `apps[0].max_restarts` in a file. */
export type FieldLabel = (field: string) => string;

export interface ValidateOptions {
  /** Name fields in messages; default: the field name itself. */
  label?: FieldLabel;
  /** `cli` takes `-i` strictly (positive, max, auto); `file` also takes PM2's 0 and -N. */
  source?: 'cli' | 'file';
  /** Use PM2's defaults for `instances` and `exec_mode` (one fork process): for PM2 ecosystem files. */
  pm2Defaults?: boolean;
  /** Relative `cwd` and `script` resolve from here: the config file's folder, or the current directory. */
  baseDir?: string;
  /** The `--env <name>` selected, and the app's `env_<name>` blocks. */
  envName?: string;
  namedEnvs?: Record<string, unknown>;
  /** A PM2 file's `deploy.<envName>.env`, merged over the app's `env` (as PM2 7 does), under `env_<envName>`. */
  deployEnv?: unknown;
  /** Where PM2 would resolve relative paths (the directory it runs in): tried after `baseDir`. */
  fallbackDir?: string;
  /** Lines about options that were taken but changed or ignored are added here. */
  warnings?: string[];
}

// The plain options (see APP_OPTIONS): the value given, else the default, if any.
function withDefaults(parsed: ParsedApp): Pick<AppOptions, PlainOptionName> {
  const defaults: Partial<Record<string, unknown>> = APP_DEFAULTS;
  const entries = PLAIN_OPTION_NAMES.map((key) => [key, parsed[key] ?? defaults[key]]);
  return Object.fromEntries(entries) as Pick<AppOptions, PlainOptionName>;
}

/** Validate an app's options once, apply defaults, resolve paths, and freeze the result. */
export function validateAppOptions(input: Record<string, unknown>, options: ValidateOptions = {}): AppOptions {
  const label = options.label ?? ((field: string) => field);
  const schema = options.source === 'file' ? fileAppSchema : cliAppSchema;
  const result = schema.safeParse(input);
  const issues = result.success ? [] : result.error.issues.flatMap((issue) => formatIssue(issue, input, label));
  const selectedEnv = selectEnv(options, label, issues);
  if (!result.success || issues.length > 0) throw new InvalidOptionError(issues);
  return resolveApp(result.data, selectedEnv, options, label);
}

/** The variables `--env <name>` selects: deploy.<name>.env, then env_<name>, each merged over `env`. */
interface SelectedEnv {
  deploy: Record<string, string>;
  named: Record<string, string>;
}

// `--env production` merges env_production over env, as PM2 does. PM2 7 also merges
// deploy.production.env over env (its code means it to go under, but assigns into the
// app's env object itself), and env_production over both: drover gives the same values.
function selectEnv(options: ValidateOptions, label: FieldLabel, issues: string[]): SelectedEnv {
  if (!options.envName) return { deploy: {}, named: {} };
  return {
    deploy: envBlock(options.deployEnv, `deploy.${options.envName}.env`, issues),
    named: envBlock(options.namedEnvs?.[options.envName], label(`env_${options.envName}`), issues),
  };
}

function envBlock(block: unknown, field: string, issues: string[]): Record<string, string> {
  if (block === undefined) return {};
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    issues.push(`${field}: expected an object of KEY: value pairs, got ${describeValue(block)}`);
    return {};
  }
  // Undefined values are dropped, as in `env`.
  return Object.fromEntries(Object.entries(block).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]])));
}

function resolveApp(parsed: ParsedApp, selectedEnv: SelectedEnv, options: ValidateOptions, label: FieldLabel): AppOptions {
  const { cwd, entry } = locateEntryPoint(parsed, options, label);
  options.warnings?.push(...entry.warnings);
  const script = entry.script;
  // A name taken from the file name is made safe; one given must be safe already.
  let name = parsed.name ?? defaultName(entry.name ?? path.basename(script).replace(/\.[^.]+$/, ''));
  if (parsed.append_env_to_name && options.envName) name = `${name}-${options.envName}`;
  checkName(name, label);

  const pm2 = options.pm2Defaults === true;
  // Anything but Node.js runs in fork mode, one process unless `instances` says more:
  // node:cluster shares a port between Node.js processes only.
  const nodeApp = entry.interpreter === undefined;
  if (!nodeApp && parsed.exec_mode === 'cluster') {
    throw new InvalidOptionError([
      `${label('exec_mode')}: cluster mode runs Node.js apps only (node:cluster shares the port between Node.js processes), and ${path.basename(script)} runs ${entry.interpreter === 'none' ? 'by itself' : `with ${path.basename(entry.interpreter!)}`}; set it to 'fork' or leave it out`,
    ]);
  }
  const instances = parsed.instances ?? (pm2 || !nodeApp ? PM2_FILE_DEFAULTS.instances : APP_DEFAULTS.instances);
  const exec_mode = !nodeApp ? 'fork' : (parsed.exec_mode ?? (pm2 && parsed.instances === undefined ? PM2_FILE_DEFAULTS.exec_mode : APP_DEFAULTS.exec_mode));
  const env: Record<string, string> = {
    ...entry.envUnder,
    ...parsed.env,
    ...selectedEnv.deploy,
    ...selectedEnv.named,
    ...entry.envOver,
    ...(parsed.port !== undefined ? { PORT: String(parsed.port) } : {}) };
  if (parsed.increment_var && !/^\d+$/.test(env[parsed.increment_var] ?? '')) {
    throw new InvalidOptionError([
      `${label('increment_var')}: '${parsed.increment_var}' needs a numeric starting value in env (for example env: { ${parsed.increment_var}: 3000 }), got ${describeValue(env[parsed.increment_var])}`,
    ]);
  }

  const app: AppOptions = {
    // Options taken as given, else their default...
    ...withDefaults(parsed),
    // ...and those that are resolved, combined or renamed.
    name,
    script,
    interpreter: entry.interpreter,
    args: Object.freeze(entry.args),
    cwd,
    node_args: Object.freeze(nodeApp ? withTypeScriptLoader(script, entry.nodeArgs) : entry.nodeArgs),
    instances,
    exec_mode,
    env: Object.freeze(env),
    increment_var: parsed.increment_var,
    stop_exit_codes: Object.freeze([...(parsed.stop_exit_codes ?? [])]),
    // PM2: a fixed restart_delay replaces the backoff unless both are given.
    exp_backoff_restart_delay:
      parsed.exp_backoff_restart_delay ?? (parsed.restart_delay !== undefined ? 0 : APP_DEFAULTS.exp_backoff_restart_delay),
    logs: resolveLogs(parsed, cwd, label),
    pid_file: parsed.pid_file === undefined ? undefined : checkFilePath(path.resolve(cwd, expandHome(parsed.pid_file)), label('pid_file')),
    uid: parsed.uid === undefined ? undefined : resolveUserId(parsed.uid, label('uid')),
    gid: parsed.gid === undefined ? undefined : resolveGroupId(parsed.gid, label('gid')),
    watch: resolveWatch(parsed, cwd),
    cron_restart: parsed.cron_restart,
    ...resolveStore(parsed, name, cwd, label),
  };
  checkHeartbeat(app, label);
  checkBalance(app, label);
  return Object.freeze(app);
}

// Redis when the app names it (or DROVER_REDIS_URL does), else the store embedded in the
// supervisor, which store_file may save. Redis keeps its own data: store_file is refused there.
function resolveStore(parsed: ParsedApp, name: string, cwd: string, label: FieldLabel): Pick<AppOptions, 'store' | 'store_file'> {
  const fromEnv = process.env.DROVER_REDIS_URL || undefined;
  const url = parsed.store?.redis ?? fromEnv;
  const store = url === undefined ? undefined : { redis: checkRedisUrl(url, parsed.store ? label('store.redis') : 'DROVER_REDIS_URL'), prefix: parsed.store?.prefix ?? `drover:${name}:` };
  if (store && parsed.store_file !== undefined) {
    throw new InvalidOptionError([
      `${label('store_file')}: saves the store embedded in the supervisor, and this app's store is on Redis (${parsed.store ? label('store.redis') : 'DROVER_REDIS_URL'}), which keeps its own data (its RDB or AOF persistence); leave store_file out`,
    ]);
  }
  const store_file = parsed.store_file === undefined ? undefined : checkFilePath(path.resolve(cwd, expandHome(parsed.store_file)), label('store_file'));
  return { store, store_file };
}

function defaultName(base: string): string {
  return base.replace(/[^\w.@+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'app';
}

// The supervisor's balancer hands connections to node:cluster workers; a surge reload
// needs it too (it decides when the new workers get traffic).
function checkBalance(app: AppOptions, label: FieldLabel): void {
  if (app.reload_strategy === 'surge' && app.exec_mode !== 'cluster') {
    throw new InvalidOptionError([
      `${label('reload_strategy')}: 'surge' starts every new worker beside the old ones, which cluster mode allows; in fork mode each worker binds its own port, so a reload restarts it (set exec_mode: 'cluster', or leave reload_strategy out)`,
    ]);
  }
  if (app.balance === 'round-robin') return;
  if (app.exec_mode !== 'cluster') {
    throw new InvalidOptionError([`${label('balance')}: '${app.balance}' balances the workers of cluster mode; in fork mode each worker binds its own port (set exec_mode: 'cluster', or leave balance out)`]);
  }
  if (app.balance === 'sticky') parseStickyKey(app.sticky_key, label('sticky_key'));
}

// A worker reports every stats_interval, and a report may wait up to one more interval
// for the app's health check: a heartbeat_timeout shorter than two intervals kills
// healthy workers.
function checkHeartbeat(app: AppOptions, label: FieldLabel): void {
  if (app.stats_interval === 0 || app.heartbeat_timeout > 2 * app.stats_interval) return;
  throw new InvalidOptionError([
    `${label('heartbeat_timeout')}: ${formatDuration(app.heartbeat_timeout)} must be more than twice ${label('stats_interval')} ` +
      `(${formatDuration(app.stats_interval)}): a worker reports once per interval, and a report may wait one more for the health check; ` +
      `raise heartbeat_timeout above ${formatDuration(2 * app.stats_interval)}, or lower stats_interval`,
  ]);
}

// A .ts script runs with no loader configured: Node's type stripping where it has it,
// else the project's tsx, else a clear error saying which to add.
function withTypeScriptLoader(script: string, nodeArgs: string[]): string[] {
  if (!/\.[cm]?ts$/.test(script) || hasTypeScriptLoader(nodeArgs)) return nodeArgs;
  const support = typeScriptSupport(script);
  if (support.kind === 'none') throw new DroverError('DROVER_E_TYPESCRIPT_UNSUPPORTED', `${script}: ${support.advice}`);
  return [...support.nodeArgs, ...nodeArgs];
}

// Ignored whatever ignore_watch says: dependencies and the repository change in bulk
// (npm install, git checkout), and a reload does not pick up either.
const ALWAYS_IGNORED = ['node_modules', '.git'];
// PM2's default when ignore_watch is not given: dotfiles and dot folders.
const DEFAULT_IGNORED = ['.*'];

// watch as PM2 reads it: true (or an empty list given by --watch) is the cwd; a path or
// a list of paths is relative to the cwd. A string may list several, comma-separated
// (how --watch and --ignore-watch take them).
function resolveWatch(parsed: ParsedApp, cwd: string): AppOptions['watch'] {
  const watch = parsed.watch;
  if (watch === undefined || watch === false || (Array.isArray(watch) && watch.length === 0)) return undefined;
  // Commas inside a glob's braces ({js,ts}) do not separate.
  const split = (value: string | readonly string[]) => (typeof value === 'string' ? value.split(/,(?![^{]*\})/) : value).map((item) => item.trim()).filter(Boolean);
  const given = watch === true ? [] : split(watch);
  const paths = given.length === 0 ? [cwd] : given.map((item) => path.resolve(cwd, item));
  const ignore = [...ALWAYS_IGNORED, ...(parsed.ignore_watch === undefined ? DEFAULT_IGNORED : split(parsed.ignore_watch))];
  return Object.freeze({
    paths: Object.freeze([...new Set(paths)]),
    ignore: Object.freeze([...new Set(ignore)]),
    delayMs: parsed.watch_delay ?? APP_DEFAULTS.watch_delay,
    chokidar: Object.freeze(chokidarOptions(parsed.watch_options)),
  });
}

// The watch_options drover passes on; PM2's others (chokidar's ignored, cwd...) are drover's own options here.
function chokidarOptions(given: ParsedApp['watch_options']): NonNullable<AppOptions['watch']>['chokidar'] {
  const { usePolling, interval, binaryInterval, followSymlinks } = given ?? {};
  return Object.fromEntries(Object.entries({ usePolling, interval, binaryInterval, followSymlinks }).filter(([, value]) => value !== undefined));
}

// PM2 spells "discard" as "/dev/null" or "NULL"; `disable_logs` discards everything.
/** The most characters in an app's name: it names files and a socket, and shows in every table. */
export const NAME_MAX = 64;
// Spaces are allowed inside ('NearBy Server' is a real PM2 name): quoted on the command line.
const NAME = /^[A-Za-z0-9](?:[\w.@+ -]*[\w.@+-])?$/;

// An app's name becomes a socket, log file names and a command-line argument: a slash
// would put them elsewhere (and hide the app from ls and stop), 'all' would be taken
// for every app.
function checkName(name: string, label: FieldLabel): void {
  const problem =
    name === 'all'
      ? "'all' stands for every app in drover's commands"
      : name.length > NAME_MAX
        ? `it has ${name.length} characters, more than ${NAME_MAX}`
        : !NAME.test(name)
          ? 'it may only have letters, digits, spaces and . _ - @ +, must start with a letter or digit, and must not end with a space'
          : undefined;
  if (problem) throw new InvalidOptionError([`${label('name')}: ${problem}, got ${describeValue(name)}`]);
}

// /proc and /sys hold no files a log can go to (creating folders there never ends),
// and /dev only devices: of those, a log may go to /dev/null, /dev/stdout or /dev/stderr.
const DEVICE_FILES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr']);
function checkFilePath(file: string, field: string): string {
  const top = file.split('/')[1];
  if (top === 'proc' || top === 'sys' || (top === 'dev' && !DEVICE_FILES.has(file))) {
    throw new InvalidOptionError([
      `${field}: ${file} is under /${top}, where files cannot be created; give a path on a real file system${top === 'dev' ? ' (or /dev/null, /dev/stdout, /dev/stderr)' : ''}`,
    ]);
  }
  return file;
}

function resolveLogs(parsed: ParsedApp, cwd: string, label: FieldLabel): LogOptions {
  const discard = parsed.disable_logs === true;
  const file = (value: string | boolean | undefined): string | undefined => {
    if (discard) return '/dev/null';
    if (value === undefined || value === false) return undefined;
    if (value === true) return undefined;
    return value === 'NULL' || value === '/dev/null' ? '/dev/null' : path.resolve(cwd, expandHome(value));
  };
  const checked = (value: string | boolean | undefined, field: string) => {
    const resolved = file(value);
    return resolved === undefined ? undefined : checkFilePath(resolved, label(field));
  };
  return Object.freeze({
    out_file: checked(parsed.out_file, 'out_file'),
    error_file: checked(parsed.error_file, 'error_file'),
    log_file: checked(parsed.log_file, 'log_file'),
    merge_logs: parsed.merge_logs ?? APP_DEFAULTS.merge_logs,
    date_format: parsed.log_date_format ?? (parsed.time ? 'ISO' : undefined),
    json: parsed.log_type === 'json',
    rotate_size: parsed.log_max_size,
    rotate_daily: parsed.log_rotate_daily ?? false,
    rotate_keep: parsed.log_retain ?? APP_DEFAULTS.log_retain,
    compress: parsed.log_compress ?? false,
    worker_prefix: parsed.log_worker_id ?? false,
  });
}

// The cwd and the entry point. Relative paths resolve from the config file's folder;
// PM2 resolves them from the directory it was started in, so that is looked at second.
function locateEntryPoint(parsed: ParsedApp, options: ValidateOptions, label: FieldLabel): { cwd: string; entry: EntryPoint } {
  const bases = [...new Set([options.baseDir ?? process.cwd(), ...(options.fallbackDir ? [options.fallbackDir] : [])])];
  let firstError: unknown;
  for (const base of bases) {
    const cwd = path.resolve(base, expandHome(parsed.cwd ?? '.'));
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
      firstError ??= new InvalidOptionError([`${label('cwd')}: no such directory: ${cwd}`]);
      continue;
    }
    try {
      const input = { script: parsed.script, args: parsed.args ?? [], nodeArgs: parsed.node_args ?? [], interpreter: parsed.interpreter };
      return { cwd, entry: resolveEntryPoint(input, cwd, label) };
    } catch (error) {
      if (!isDroverError(error) || error.code !== 'DROVER_E_SCRIPT_NOT_FOUND') throw error;
      firstError ??= error;
    }
  }
  throw firstError;
}

function formatIssue(issue: z.ZodIssue, input: unknown, label: FieldLabel): string[] {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, APP_OPTION_NAMES);
      return `${label(key)}: unknown option${suggestion ? `; did you mean '${suggestion}'?` : ''}`;
    });
  }
  return [`${label(field)}: ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`];
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  let value = input;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** "'abc'", "-1 (number)", "nothing": the value as the user wrote it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) return `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : 'object'})`;
  return `${String(value)} (${typeof value})`;
}
