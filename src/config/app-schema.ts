// zod's v3 API, shipped in the zod package: it costs the long-lived supervisor ~4 MB
// of memory and ~20 ms of start-up, where the v4 API costs ~14 MB and ~50 ms.
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type * as Croner from 'croner';
import { z } from 'zod/v3';
import { parseDuration, parseSize } from './units.js';

// One schema for an app's options, keyed by PM2's names so that an ecosystem file and
// the CLI say the same thing. Every field's message reads "expected X"; the formatter
// adds the field's name and the value received.

/**
 * How many workers: a positive count, `max` (every CPU given), `auto` (CPUs and
 * memory), or, from a PM2 file, a negative count meaning "every CPU but N".
 */
export type InstancesSpec = number | 'max' | 'auto';

/** A union of the raw forms a field accepts, with one message whatever went wrong. */
const rawUnion = <A extends z.ZodTypeAny, B extends z.ZodTypeAny>(a: A, b: B, message: string) =>
  z.union([a, b], { errorMap: () => ({ message }) });

const fail = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  return z.NEVER;
};

const message = (text: string) => ({ errorMap: () => ({ message: text }) });

const integerOf = (value: number | string): number =>
  typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;

/** `-i` on the command line: a positive count, max or auto. */
const CLI_INSTANCES = "expected a positive integer, 'max' or 'auto'";
const cliInstances = rawUnion(z.number(), z.string(), CLI_INSTANCES).transform((value, ctx): InstancesSpec => {
  if (value === 'max' || value === 'auto') return value;
  const count = integerOf(value);
  return Number.isInteger(count) && count > 0 ? count : fail(ctx, CLI_INSTANCES);
});

/** `instances` in a file, as PM2 reads it: also 0 (every CPU) and -N (every CPU but N). */
const FILE_INSTANCES = "expected an integer (0 = every CPU, -N = every CPU but N), 'max' or 'auto'";
const fileInstances = rawUnion(z.number(), z.string(), FILE_INSTANCES).transform((value, ctx): InstancesSpec => {
  if (value === 'max' || value === 'auto') return value;
  const count = integerOf(value);
  if (!Number.isInteger(count)) return fail(ctx, FILE_INSTANCES);
  return count === 0 ? 'max' : count;
});

function duration(example: string) {
  const text = `expected a duration in milliseconds or like ${example}`;
  return rawUnion(z.number(), z.string(), text).transform((value, ctx) => parseDuration(value) ?? fail(ctx, text));
}

function size(example: string) {
  const text = `expected a size like ${example} (K, M, G are powers of 1024)`;
  return rawUnion(z.number(), z.string(), text).transform((value, ctx) => {
    const bytes = parseSize(value);
    return bytes !== undefined && bytes > 0 ? bytes : fail(ctx, text);
  });
}

const COUNT = 'expected a non-negative integer';
const count = rawUnion(z.number(), z.string(), COUNT).transform((value, ctx) => {
  const n = integerOf(value);
  return Number.isInteger(n) && n >= 0 ? n : fail(ctx, COUNT);
});

const POSITIVE = 'expected a positive integer';
const positive = rawUnion(z.number(), z.string(), POSITIVE).transform((value, ctx) => {
  const n = integerOf(value);
  return Number.isInteger(n) && n > 0 ? n : fail(ctx, POSITIVE);
});

const port = rawUnion(z.number(), z.string(), 'expected a port number from 1 to 65535').transform((value, ctx) => {
  const n = integerOf(value);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : fail(ctx, 'expected a port number from 1 to 65535');
});

const stringList = rawUnion(z.string(), z.array(z.string()), 'expected a string or an array of strings').transform((value) =>
  typeof value === 'string' ? splitArgs(value) : value,
);

// A string may list several, comma-separated (validate.ts splits it).
const pathList = rawUnion(z.string(), z.array(z.string()), 'expected a path or an array of paths');

// A value that is undefined (`process.env.UNSET` in a JS config) is dropped, as PM2
// drops it when it builds the environment; null and objects stay errors.
const envObject = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean(), z.undefined()], message('expected a string, number or boolean')),
    message('expected an object of KEY: value pairs'),
  )
  .transform((env) => Object.fromEntries(Object.entries(env).flatMap(([key, value]) => (value === undefined ? [] : [[key, String(value)]]))));

const flag = z.boolean(message('expected true or false'));
const text = (what: string) => z.string(message(`expected ${what}`)).min(1, `expected ${what}`);

const execMode = z
  .string(message("expected 'cluster' or 'fork'"))
  .regex(/^(cluster|fork)(_mode)?$/, "expected 'cluster' or 'fork'")
  .transform((value) => value.replace(/_mode$/, '') as 'cluster' | 'fork');

const exitCodes = rawUnion(z.number().int(), z.array(z.number().int()), 'expected an exit code or an array of exit codes').transform(
  (value) => (Array.isArray(value) ? value : [value]),
);

// The signal the app hears when drover stops it; SIGKILL and SIGSTOP cannot be handled.
const SIGNAL = "expected a signal name such as 'SIGTERM' or 'SIGINT'";
const signalName = z
  .string(message(SIGNAL))
  .transform((value, ctx) => {
    const name = value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`;
    return name in constants.signals && name !== 'SIGKILL' && name !== 'SIGSTOP' ? name : fail(ctx, SIGNAL);
  });

// croner (PM2's cron library) checks the pattern. It is required on first use, so that
// an app without cron_restart never loads it; require(), not import(), because the
// schema is synchronous. The supervisor's timer shares this copy (the require cache).
function cronPatternProblem(pattern: string): string | undefined {
  try {
    const { Cron } = createRequire(import.meta.url)('croner') as typeof Croner;
    return new Cron(pattern).nextRun() === null ? 'it never matches a time to come' : undefined;
  } catch (error) {
    // "CronPattern: Invalid value for minute: 61" -> "invalid value for minute: 61"
    const reason = (error as Error).message.replace(/^CronPattern: /, '').replace(/\.$/, '');
    return reason.charAt(0).toLowerCase() + reason.slice(1);
  }
}

// PM2 reads 0 as "no cron restart"; croner says what is wrong with a bad pattern.
const CRON = "expected a cron pattern like '0 4 * * *' (minute hour day month weekday; 6 fields put seconds first: '*/30 * * * * *')";
const cronPattern = rawUnion(z.string(), z.number(), CRON).transform((value, ctx) => {
  const pattern = String(value).trim();
  if (pattern === '0') return undefined;
  const problem = pattern === '' ? 'it is empty' : cronPatternProblem(pattern);
  return problem === undefined ? pattern : fail(ctx, `${CRON}: ${problem}`);
});

const userOrId = rawUnion(z.number().int().nonnegative(), z.string().min(1), 'expected a user or group name, or a numeric id');

/** Split "--max-old-space-size=512 --import tsx" into arguments, honouring simple quotes. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    args.push(match[1] ?? match[2] ?? match[3]!);
  }
  return args;
}

/** How `drover config` and `drover describe` show a value. */
export type ShowAs = 'duration' | 'size' | 'value' | 'secret';

/**
 * One app option, declared once: its schema (which also types it), its default, its
 * command-line flag and help, and how it shows. Adding a `plain` option (taken as
 * given, else its default) takes one entry here, its README row, and the code that
 * uses it: the flag, `drover config`, `describe` and the AppOptions type follow.
 */
export interface OptionSpec<S extends z.ZodTypeAny = z.ZodTypeAny> {
  readonly schema: S;
  /** Resolved as given, else `default` (or undefined without one). The others are resolved by hand in validate.ts. */
  readonly plain?: true;
  readonly default?: z.output<S>;
  /** The command-line flag: '--kill-timeout <ms>', or '--wait-ready' for a switch. */
  readonly flag?: string;
  readonly help?: string;
  /** What the help line says the default is, where the default is not a plain value. */
  readonly defaultText?: string;
  /** Shown by `drover config` and `describe`, as this kind of value (plain options). */
  readonly show?: ShowAs;
}

function option<S extends z.ZodTypeAny, const E extends Omit<OptionSpec<S>, 'schema'>>(schema: S, extra: E): { schema: S } & E {
  return { schema, ...extra };
}

/** Every app option, keyed by PM2's names, in the order `drover config` shows them. */
export const APP_OPTIONS = {
  script: option(text('the path of a script'), {}),
  name: option(text('a non-empty string'), { flag: '--name <name>', help: 'app name in messages', defaultText: 'the script file name' }),
  args: option(stringList, {}),
  cwd: option(text('a directory path'), { flag: '--cwd <dir>', help: 'working directory of the workers', defaultText: "the current one, or the config file's folder" }),
  interpreter: option(text("a program name or path (python3, bun, /usr/bin/ruby), 'node', or 'none'"), {
    flag: '--interpreter <program>',
    help: "the program that runs the script (python3, bun, 'none' for a binary); not Node.js: one process, fork mode",
    defaultText: 'node, or by the extension or #! line',
  }),
  node_args: option(stringList, { flag: '--node-args <args>', help: 'node options for each worker, e.g. "--max-old-space-size=512"' }),
  // The command line takes `-i` more strictly: see cliInstances.
  instances: option(fileInstances, {
    default: 'auto' as InstancesSpec,
    flag: '-i, --instances <n>',
    help: "workers: a positive integer, 'max' (every CPU given) or 'auto' (CPUs and memory)",
    defaultText: 'auto, or DROVER_INSTANCES',
  }),
  exec_mode: option(execMode, { default: 'cluster' as 'cluster' | 'fork', flag: '--exec-mode <mode>', help: "'cluster' (workers share the port) or 'fork' (plain processes)" }),
  env: option(envObject, {}),
  instance_var: option(text('an environment variable name'), { plain: true, default: 'NODE_APP_INSTANCE', show: 'value' }),
  increment_var: option(text('an environment variable name'), {}),
  port: option(port, {}),
  autorestart: option(flag, { plain: true, default: true, flag: '--no-autorestart', help: 'a worker that exits stays down', show: 'value' }),
  // PM2's: `autostart: false` registers the app stopped; `drover start <app>` starts it.
  autostart: option(flag, { plain: true, default: true, show: 'value' }),
  stop_exit_codes: option(exitCodes, {}),
  // PM2's defaults for the restart policy, except where noted.
  min_uptime: option(duration('"1s"'), { plain: true, default: 1000, flag: '--min-uptime <ms>', help: 'a worker that dies sooner counts toward a crash loop', show: 'duration' }),
  max_restarts: option(count, { plain: true, default: 16, flag: '--max-restarts <n>', help: 'quick crashes in a row before drover stops restarting', show: 'value' }),
  restart_delay: option(duration('"1s"'), { plain: true, default: 0, flag: '--restart-delay <ms>', help: 'a fixed restart delay instead of the backoff', show: 'duration' }),
  // PM2 has no backoff unless asked; a fork storm is never what anyone wants, so it is on.
  exp_backoff_restart_delay: option(duration('"100ms"'), { default: 100, flag: '--exp-backoff-restart-delay <ms>', help: 'first restart delay; x1.5 per crash, capped at 15 s' }),
  max_memory_restart: option(size("'300M'"), { plain: true, flag: '--max-memory-restart <size>', help: 'replace a worker whose RSS goes over this, e.g. 300M (successor first, then drain)', show: 'size' }),
  // PM2 uses 1600 ms, which cuts ordinary slow requests; 5 s still fits well inside
  // Kubernetes' 30 s termination grace period.
  kill_timeout: option(duration('"5s"'), { plain: true, default: 5000, flag: '--kill-timeout <ms>', help: 'how long a draining worker may take before SIGKILL', show: 'duration' }),
  // Container mode: undefined means detected at start (src/capacity/container.ts).
  container: option(flag, {
    plain: true,
    flag: '--container',
    help: 'container mode: a delay before the drain on SIGTERM, JSON log lines on stdout',
    defaultText: 'detected: Kubernetes, docker, podman, a container cgroup, or PID 1',
    show: 'value',
  }),
  // Between SIGTERM and the drain the app keeps serving while load balancers and
  // Kubernetes endpoints stop sending to it (kubernetes/kubernetes#67592).
  shutdown_delay: option(duration('"5s"'), {
    plain: true,
    flag: '--shutdown-delay <ms>',
    help: 'on stop, keep serving this long (readiness already off) before draining',
    defaultText: '5 s in container mode, else 0',
    show: 'duration',
  }),
  kill_signal: option(signalName, {
    plain: true,
    flag: '--kill-signal <signal>',
    help: "the signal the app's own handlers hear on stop, reload and scale-down",
    defaultText: 'SIGTERM, or SIGINT if it listens only for that',
    show: 'value',
  }),
  // A drain's clean WebSocket closes, spread over this long (src/worker/websocket-drain.ts).
  ws_close_window: option(duration('"2s"'), {
    plain: true,
    flag: '--ws-close-window <ms>',
    help: 'a draining worker closes the WebSockets the app left open spread over this long, so that clients do not all reconnect at once',
    defaultText: 'half of kill_timeout',
    show: 'duration',
  }),
  listen_timeout: option(duration('"3s"'), { plain: true, default: 3000, flag: '--listen-timeout <ms>', help: 'warn when a worker is not listening after this long', show: 'duration' }),
  // How new connections are spread over the workers (cluster mode). round-robin is
  // node:cluster's own path; the others are the supervisor's balancer (src/balancer).
  balance: option(z.enum(['round-robin', 'least-connections', 'sticky'], message("expected 'round-robin', 'least-connections' or 'sticky'")), {
    plain: true,
    default: 'round-robin' as 'round-robin' | 'least-connections' | 'sticky',
    flag: '--balance <policy>',
    help: "how connections are spread: 'round-robin', 'least-connections', or 'sticky' (a client stays with one worker)",
    show: 'value',
  }),
  sticky_key: option(text("'ip'"), { plain: true, default: 'ip', flag: '--sticky-key <key>', help: "what a sticky client is known by: 'ip', 'header:<name>', 'cookie:<name>', or 'sid' (Socket.IO's session)", show: 'value' }),
  // How many workers a rolling reload replaces at once (Kubernetes' maxSurge).
  reload_batch: option(positive, { plain: true, default: 1, flag: '--reload-batch <n>', help: 'workers a rolling reload replaces at once', show: 'value' }),
  // surge: every new worker up and healthy before any old one drains, else roll back.
  reload_strategy: option(z.enum(['rolling', 'surge'], message("expected 'rolling' or 'surge'")), {
    plain: true,
    default: 'rolling' as 'rolling' | 'surge',
    flag: '--reload-strategy <strategy>',
    help: "'rolling' (a slot at a time) or 'surge' (every new worker up and healthy before any old one drains; else the reload rolls back)",
    show: 'value',
  }),
  wait_ready: option(flag, {
    plain: true,
    default: false,
    flag: '--wait-ready',
    help: "a worker is up when it calls process.send('ready') (or ready() from drover/worker), not when it listens",
    show: 'value',
  }),
  shutdown_with_message: option(flag, { plain: true, default: false, show: 'value' }),
  out_file: option(text('a file path'), { flag: '-o, --output <file>', help: "append the app's stdout to this file" }),
  error_file: option(text('a file path'), { flag: '-e, --error <file>', help: "append the app's stderr to this file" }),
  log_file: option(rawUnion(z.string().min(1), z.boolean(), 'expected a file path or a boolean'), { flag: '-l, --log [file]', help: "append the app's stdout and stderr together to this file" }),
  disable_logs: option(flag, {}),
  merge_logs: option(flag, { default: false, flag: '--merge-logs', help: "one set of log files for all workers, not one per worker" }),
  // PM2 files write `log_date_format: false` for "no timestamps": the same as leaving it out.
  log_date_format: option(
    rawUnion(z.string().min(1), z.literal(false), 'expected a date format like "YYYY-MM-DD HH:mm:ss Z", or false').transform((value) => value || undefined),
    {},
  ),
  time: option(flag, { default: false, flag: '--time', help: 'prefix each log line with an ISO 8601 timestamp' }),
  log_type: option(z.literal('json', message("expected 'json'")), {}),
  log_max_size: option(size("'10M'"), {}),
  log_rotate_daily: option(flag, {}),
  // Rotated files kept per log, as pm2-logrotate's `retain`.
  log_retain: option(count, { default: 5 }),
  log_compress: option(flag, {}),
  log_worker_id: option(flag, {}),
  pid_file: option(text('a file path'), {}),
  uid: option(userOrId, {}),
  gid: option(userOrId, {}),
  append_env_to_name: option(flag, {}),
  // Restart on change and on a schedule (src/supervisor/triggers): PM2's meanings.
  watch: option(z.union([z.boolean(), z.string(), z.array(z.string())], message('expected true, false, a path or an array of paths')), {
    flag: '--watch [paths]',
    help: 'on a change in the cwd (or these comma-separated paths): a rolling reload in cluster mode, a restart in fork mode; put it after the script',
  }),
  ignore_watch: option(pathList, { flag: '--ignore-watch <paths>', help: 'paths or globs --watch ignores, comma-separated (node_modules and .git always are)' }),
  // PM2 acts on the first change at once (no delay) and drops the changes made meanwhile.
  // chokidar's options, as PM2 passes them: the ones that decide how changes are seen.
  watch_options: option(
    z
      .object(
        {
          usePolling: flag.optional(),
          interval: z.number(message('expected milliseconds')).int().positive().optional(),
          binaryInterval: z.number(message('expected milliseconds')).int().positive().optional(),
          followSymlinks: flag.optional(),
        },
        message('expected an object such as { usePolling: true, interval: 1000 }'),
      )
      .passthrough(),
    {},
  ),
  watch_delay: option(duration('"1s"'), { default: 0, flag: '--watch-delay <ms>', help: 'act this long after the last of several quick changes' }),
  cron_restart: option(cronPattern, { flag: '--cron-restart <pattern>', help: "a rolling reload (cluster) or restart (fork) at each time the pattern matches, e.g. '0 4 * * *'" }),
  // What one worker is assumed to need when `auto` divides the memory limit.
  worker_memory: option(size('"150M"'), { plain: true, default: 150 * 1024 * 1024, flag: '--worker-memory <size>', help: "memory one worker is assumed to need, for 'auto'", show: 'size' }),
  max_workers: option(positive, {
    plain: true,
    flag: '--max-workers <n>',
    help: 'the most workers -i and drover scale may ask for',
    defaultText: '4 per CPU, at least 16, no more than the memory limit holds at 40M each',
    show: 'value',
  }),
  // Health supervision: every worker reports its figures (and so its heartbeat) this often.
  stats_interval: option(duration('"5s" (0 turns stats and heartbeats off)'), {
    plain: true,
    default: 5000,
    flag: '--stats-interval <ms>',
    help: 'how often workers report their figures, which is also their heartbeat; 0 = off',
    show: 'duration',
  }),
  heartbeat_timeout: option(duration('"30s"'), { plain: true, default: 30_000, flag: '--heartbeat-timeout <ms>', help: 'kill and replace a worker silent for this long', show: 'duration' }),
  event_loop_delay_limit: option(duration('"200ms"'), { plain: true, default: 200, show: 'duration' }),
  event_loop_delay_reports: option(positive, { plain: true, default: 3, show: 'value' }),
  restart_on_event_loop_delay: option(flag, { plain: true, default: false, show: 'value' }),
  health_check_failures: option(positive, { plain: true, default: 3, show: 'value' }),
  // The shared store (drover/worker's `store`): in the supervisor's memory unless Redis is named.
  store: option(
    z
      .object(
        {
          redis: z.string(message("expected a Redis URL like 'redis://127.0.0.1:6379'")),
          prefix: z.string(message("expected a key prefix like 'myapp:'")).optional(),
        },
        message("expected { redis: 'redis://127.0.0.1:6379' } (leave it out for the store embedded in the supervisor)"),
      )
      .strict(),
    { defaultText: 'embedded in the supervisor, or Redis at DROVER_REDIS_URL' },
  ),
  store_max_memory: option(size("'64M'"), { plain: true, default: 64 * 1024 * 1024, show: 'size' }),
  store_file: option(text('a file path'), {}),
  auto_heap: option(flag, {
    plain: true,
    default: false,
    flag: '--auto-heap',
    help: 'give each worker --max-old-space-size from the memory limit shared by the workers, unless node args set one',
    show: 'value',
  }),
  // Observability (src/metrics, src/admin): the admin listener is off unless a port is given.
  admin_port: option(port, {
    plain: true,
    flag: '--admin-port <port>',
    help: 'serve /metrics, /healthz, /readyz and the control API over HTTP on this port',
    defaultText: 'off',
    show: 'value',
  }),
  admin_host: option(text('a host name or an IP address'), {
    plain: true,
    default: '127.0.0.1',
    flag: '--admin-host <host>',
    help: 'where the admin listener binds; anything but loopback needs admin_token (or DROVER_ADMIN_TOKEN)',
    show: 'value',
  }),
  // No flag: a token on the command line shows in `ps`. DROVER_ADMIN_TOKEN is the other way.
  admin_token: option(z.string(message('expected a string of at least 16 characters')).min(16, 'expected a string of at least 16 characters'), {
    plain: true,
    defaultText: 'DROVER_ADMIN_TOKEN, else none',
    show: 'secret',
  }),
  admin_public_probes: option(flag, { plain: true, default: true, show: 'value' }),
  min_ready: option(positive, { plain: true, default: 1, flag: '--min-ready <n>', help: '/readyz answers 200 while at least this many workers are ready', show: 'value' }),
  request_metrics: option(flag, { plain: true, default: true, flag: '--no-request-metrics', help: "do not time requests for the request duration histogram", show: 'value' }),
} satisfies Record<string, OptionSpec>;

type Options = typeof APP_OPTIONS;
type OptionName = keyof Options;
type Output<K extends OptionName> = z.output<Options[K]['schema']>;

/** The options with a default, and that default; README "Options" lists the same values. */
export const APP_DEFAULTS = Object.fromEntries(
  Object.entries(APP_OPTIONS).flatMap(([name, spec]) => ('default' in spec ? [[name, spec.default]] : [])),
) as { readonly [K in OptionName as Options[K] extends { default: unknown } ? K : never]: Output<K> };

/** The options resolved as given, else their default. */
export type PlainOptionName = { [K in OptionName]: Options[K] extends { plain: true } ? K : never }[OptionName];
export const PLAIN_OPTION_NAMES = Object.keys(APP_OPTIONS).filter((name) => 'plain' in APP_OPTIONS[name as OptionName]) as PlainOptionName[];

/** The resolved values of the plain options: their type comes from their schema. */
type PlainOptions = {
  readonly [K in PlainOptionName]: Options[K] extends { default: unknown } ? Output<K> : Output<K> | undefined;
};

/**
 * PM2 ecosystem files keep PM2's defaults for how many processes and how: one
 * process in fork mode, or cluster mode once `instances` is set. drover's own
 * config and the command line default to cluster mode with `auto` workers.
 */
export const PM2_FILE_DEFAULTS = { instances: 1, exec_mode: 'fork' } as const;

type Shape<I extends z.ZodTypeAny> = { [K in OptionName]: K extends 'script' ? Options[K]['schema'] : K extends 'instances' ? z.ZodOptional<I> : z.ZodOptional<Options[K]['schema']> };

function buildAppSchema<I extends z.ZodTypeAny>(instances: I) {
  const shape = Object.fromEntries(
    Object.entries(APP_OPTIONS).map(([name, spec]) => [name, name === 'script' ? spec.schema : (name === 'instances' ? instances : spec.schema).optional()]),
  ) as Shape<I>;
  return z.object(shape).strict();
}

/** Options as the command line gives them: `-i` must be positive, max or auto. */
export const cliAppSchema = buildAppSchema(cliInstances);
/** Options as a config file gives them: PM2's 0 and -N are allowed for `instances`. */
export const fileAppSchema = buildAppSchema(fileInstances);

/** What a user may write for one app: every field but `script` optional, values as strings or numbers. */
export type AppInput = z.input<typeof fileAppSchema>;
type ParsedApp = z.output<typeof fileAppSchema>;

/** An app's options after validation and defaults, with absolute paths; frozen. */
export interface AppOptions extends PlainOptions {
  readonly name: string;
  readonly script: string;
  /**
   * The program that runs `script`: undefined for Node.js (drover's worker runtime
   * preloaded; cluster mode possible), 'none' to execute `script` itself (a binary, a
   * #! script), else an interpreter (`python3`, `bun`, a path) started as
   * `<interpreter> <node_args...> <script> <args...>`. Anything but Node.js runs in
   * fork mode as a plain supervised process: no runtime, no IPC.
   */
  readonly interpreter: string | undefined;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly node_args: readonly string[];
  readonly instances: InstancesSpec;
  readonly exec_mode: 'cluster' | 'fork';
  /** The environment given to every worker (env, env_<name>, port), before per-worker variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly increment_var: string | undefined;
  readonly stop_exit_codes: readonly number[];
  readonly exp_backoff_restart_delay: number;
  readonly logs: LogOptions;
  readonly pid_file: string | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /** watch, ignore_watch and watch_delay: undefined when the app is not watched. */
  readonly watch: WatchOptions | undefined;
  /** A croner pattern: a reload (cluster) or restart (fork) at each time it matches. */
  readonly cron_restart: string | undefined;
  /** The store on Redis (store.redis, or DROVER_REDIS_URL), its keys under `prefix`; undefined: embedded in the supervisor. */
  readonly store: { readonly redis: string; readonly prefix: string } | undefined;
  /** Where the embedded store is saved (absolute), so that it outlives a restart of the supervisor. */
  readonly store_file: string | undefined;
}

/** What a watched app watches. */
export interface WatchOptions {
  /** Absolute paths (folders or files). */
  readonly paths: readonly string[];
  /**
   * Paths or globs left out, relative to the cwd; one without a slash matches a name at
   * any depth, as in .gitignore. The always-ignored ones (node_modules, .git) included.
   */
  readonly ignore: readonly string[];
  /** Act this long after the last of several quick changes (watch_delay). */
  readonly delayMs: number;
  /** chokidar's polling and symlink settings (watch_options): polling sees changes on network and container mounts. */
  readonly chokidar: { usePolling?: boolean; interval?: number; binaryInterval?: number; followSymlinks?: boolean };
}

/** Where a worker's output goes; undefined paths mean "the supervisor's own stdout/stderr". */
export interface LogOptions {
  readonly out_file: string | undefined;
  readonly error_file: string | undefined;
  readonly log_file: string | undefined;
  readonly merge_logs: boolean;
  /** Prefix each line with a timestamp in this format (`time: true` gives ISO 8601). */
  readonly date_format: string | undefined;
  readonly json: boolean;
  /** Rotate a log file past this many bytes (log_max_size). */
  readonly rotate_size: number | undefined;
  /** Rotate log files when the day changes (log_rotate_daily). */
  readonly rotate_daily: boolean;
  /** Rotated files kept per log (log_retain). */
  readonly rotate_keep: number;
  /** Gzip rotated files (log_compress). */
  readonly compress: boolean;
  /** Put the worker's slot and the app's name before each text line (log_worker_id). */
  readonly worker_prefix: boolean;
}

export type { ParsedApp };

/** The canonical option names, for suggestions. */
export const APP_OPTION_NAMES: readonly string[] = Object.keys(fileAppSchema.shape);
