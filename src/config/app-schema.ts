// zod's v3 API, shipped in the zod package: it costs the long-lived supervisor ~4 MB
// of memory and ~20 ms of start-up, where the v4 API costs ~14 MB and ~50 ms.
import { constants } from 'node:os';
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

const pathList = rawUnion(z.string(), z.array(z.string()), 'expected a path or an array of paths').transform((value) =>
  typeof value === 'string' ? [value] : value,
);

const envObject = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()], message('expected a string, number or boolean')).transform(String),
  message('expected an object of KEY: value pairs'),
);

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

const userOrId = rawUnion(z.number().int().nonnegative(), z.string().min(1), 'expected a user or group name, or a numeric id');

/** Split "--max-old-space-size=512 --import tsx" into arguments, honouring simple quotes. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    args.push(match[1] ?? match[2] ?? match[3]!);
  }
  return args;
}

/** The defaults, in one place; README "Options" lists the same values. */
export const APP_DEFAULTS = {
  instances: 'auto' as InstancesSpec,
  exec_mode: 'cluster' as 'cluster' | 'fork',
  instance_var: 'NODE_APP_INSTANCE',
  autorestart: true,
  // PM2's defaults for the restart policy, except where noted.
  min_uptime: 1000,
  max_restarts: 16,
  restart_delay: 0,
  // PM2 has no backoff unless asked; a fork storm is never what anyone wants, so it is on.
  exp_backoff_restart_delay: 100,
  // PM2 uses 1600 ms, which cuts ordinary slow requests; 5 s still fits well inside
  // Kubernetes' 30 s termination grace period.
  kill_timeout: 5000,
  listen_timeout: 3000,
  // How many workers a rolling reload replaces at once (Kubernetes' maxSurge).
  reload_batch: 1,
  wait_ready: false,
  shutdown_with_message: false,
  merge_logs: false,
  time: false,
  // Rotated files kept per log, as pm2-logrotate's `retain`.
  log_retain: 5,
  // What one worker is assumed to need when `auto` divides the memory limit.
  worker_memory: 150 * 1024 * 1024,
  // Health supervision: every worker reports its figures (and so its heartbeat) this often.
  stats_interval: 5000,
  heartbeat_timeout: 30_000,
  event_loop_delay_limit: 200,
  event_loop_delay_reports: 3,
  restart_on_event_loop_delay: false,
  health_check_failures: 3,
  auto_heap: false,
} as const;

/**
 * PM2 ecosystem files keep PM2's defaults for how many processes and how: one
 * process in fork mode, or cluster mode once `instances` is set. drover's own
 * config and the command line default to cluster mode with `auto` workers.
 */
export const PM2_FILE_DEFAULTS = { instances: 1, exec_mode: 'fork' } as const;

function buildAppSchema(instances: typeof cliInstances) {
  return z
    .object({
      script: text('the path of a script'),
      name: text('a non-empty string').optional(),
      args: stringList.optional(),
      cwd: text('a directory path').optional(),
      interpreter: text("'node'").optional(),
      node_args: stringList.optional(),
      instances: instances.optional(),
      exec_mode: execMode.optional(),
      env: envObject.optional(),
      instance_var: text('an environment variable name').optional(),
      increment_var: text('an environment variable name').optional(),
      port: port.optional(),
      autorestart: flag.optional(),
      stop_exit_codes: exitCodes.optional(),
      min_uptime: duration('"1s"').optional(),
      max_restarts: count.optional(),
      restart_delay: duration('"1s"').optional(),
      exp_backoff_restart_delay: duration('"100ms"').optional(),
      max_memory_restart: size("'300M'").optional(),
      kill_timeout: duration('"5s"').optional(),
      kill_signal: signalName.optional(),
      listen_timeout: duration('"3s"').optional(),
      reload_batch: positive.optional(),
      wait_ready: flag.optional(),
      shutdown_with_message: flag.optional(),
      out_file: text('a file path').optional(),
      error_file: text('a file path').optional(),
      log_file: rawUnion(z.string().min(1), z.boolean(), 'expected a file path or a boolean').optional(),
      disable_logs: flag.optional(),
      merge_logs: flag.optional(),
      log_date_format: text('a date format like "YYYY-MM-DD HH:mm:ss Z"').optional(),
      time: flag.optional(),
      log_type: z.literal('json', message("expected 'json'")).optional(),
      log_max_size: size("'10M'").optional(),
      log_rotate_daily: flag.optional(),
      log_retain: count.optional(),
      log_compress: flag.optional(),
      log_worker_id: flag.optional(),
      pid_file: text('a file path').optional(),
      uid: userOrId.optional(),
      gid: userOrId.optional(),
      append_env_to_name: flag.optional(),
      watch: z.union([z.boolean(), z.string(), z.array(z.string())], message('expected true, false, a path or an array of paths')).optional(),
      ignore_watch: pathList.optional(),
      watch_delay: duration('"1s"').optional(),
      cron_restart: text('a cron pattern like "0 4 * * *"').optional(),
      worker_memory: size('"150M"').optional(),
      max_workers: positive.optional(),
      stats_interval: duration('"5s" (0 turns stats and heartbeats off)').optional(),
      heartbeat_timeout: duration('"30s"').optional(),
      event_loop_delay_limit: duration('"200ms"').optional(),
      event_loop_delay_reports: positive.optional(),
      restart_on_event_loop_delay: flag.optional(),
      health_check_failures: positive.optional(),
      auto_heap: flag.optional(),
    })
    .strict();
}

/** Options as the command line gives them: `-i` must be positive, max or auto. */
export const cliAppSchema = buildAppSchema(cliInstances);
/** Options as a config file gives them: PM2's 0 and -N are allowed for `instances`. */
export const fileAppSchema = buildAppSchema(fileInstances);

/** What a user may write for one app: every field but `script` optional, values as strings or numbers. */
export type AppInput = z.input<typeof fileAppSchema>;
type ParsedApp = z.output<typeof fileAppSchema>;

/** An app's options after validation and defaults, with absolute paths; frozen. */
export interface AppOptions {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly node_args: readonly string[];
  readonly instances: InstancesSpec;
  readonly exec_mode: 'cluster' | 'fork';
  /** The environment given to every worker (env, env_<name>, port), before per-worker variables. */
  readonly env: Readonly<Record<string, string>>;
  readonly instance_var: string;
  readonly increment_var: string | undefined;
  readonly autorestart: boolean;
  readonly stop_exit_codes: readonly number[];
  readonly min_uptime: number;
  readonly max_restarts: number;
  readonly restart_delay: number;
  readonly exp_backoff_restart_delay: number;
  readonly max_memory_restart: number | undefined;
  readonly kill_timeout: number;
  /** The signal the app's own handlers hear when drover stops a worker; undefined: SIGTERM or SIGINT, whichever it listens for. */
  readonly kill_signal: string | undefined;
  readonly listen_timeout: number;
  readonly reload_batch: number;
  readonly wait_ready: boolean;
  readonly shutdown_with_message: boolean;
  readonly logs: LogOptions;
  readonly pid_file: string | undefined;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly worker_memory: number;
  /** The most workers `-i` and `scale` may ask for; undefined: derived from the CPU and memory allowance. */
  readonly max_workers: number | undefined;
  readonly stats_interval: number;
  readonly heartbeat_timeout: number;
  readonly event_loop_delay_limit: number;
  readonly event_loop_delay_reports: number;
  readonly restart_on_event_loop_delay: boolean;
  readonly health_check_failures: number;
  readonly auto_heap: boolean;
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
