// zod's v3 API, shipped in the zod package: it costs the long-lived supervisor ~4 MB
// of memory and ~20 ms of start-up, where the v4 API costs ~14 MB and ~50 ms.
import { z } from 'zod/v3';
import { parseDuration, parseSize } from './units.js';

// One schema for an app's options, keyed by PM2's names so that an ecosystem file and
// the CLI say the same thing. Every field's message reads "expected X"; the formatter
// adds the field's name and the value received.

/** A union of the raw forms a field accepts, with one message whatever went wrong. */
const rawUnion = <A extends z.ZodTypeAny, B extends z.ZodTypeAny>(a: A, b: B, message: string) =>
  z.union([a, b], { errorMap: () => ({ message }) });

const fail = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  return z.NEVER;
};

/** How many workers: a positive count, `max` (every CPU given) or `auto` (CPUs and memory). */
export type InstancesSpec = number | 'max' | 'auto';

const INSTANCES_MESSAGE = "expected a positive integer, 'max' or 'auto'";
const instances = rawUnion(z.number(), z.string(), INSTANCES_MESSAGE).transform((value, ctx): InstancesSpec => {
  if (value === 'max' || value === 'auto') return value;
  const count = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(count) && count > 0 ? count : fail(ctx, INSTANCES_MESSAGE);
});

function duration(example: string) {
  const message = `expected a duration in milliseconds or like ${example}`;
  return rawUnion(z.number(), z.string(), message).transform((value, ctx) => parseDuration(value) ?? fail(ctx, message));
}

function size(example: string) {
  const message = `expected a size like ${example} (K, M, G are powers of 1024)`;
  return rawUnion(z.number(), z.string(), message).transform((value, ctx) => {
    const bytes = parseSize(value);
    return bytes !== undefined && bytes > 0 ? bytes : fail(ctx, message);
  });
}

const COUNT_MESSAGE = 'expected a non-negative integer';
const count = rawUnion(z.number(), z.string(), COUNT_MESSAGE).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : fail(ctx, COUNT_MESSAGE);
});

const stringList = rawUnion(z.string(), z.array(z.string()), 'expected a string or an array of strings').transform((value) =>
  typeof value === 'string' ? splitArgs(value) : value,
);

const message = (text: string) => ({ errorMap: () => ({ message: text }) });

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
  // PM2's defaults for the restart policy, except where noted.
  min_uptime: 1000,
  max_restarts: 16,
  // PM2 has no backoff unless asked; a fork storm is never what anyone wants, so it is on.
  exp_backoff_restart_delay: 100,
  // PM2 uses 1600 ms, which cuts ordinary slow requests; 5 s still fits well inside
  // Kubernetes' 30 s termination grace period.
  kill_timeout: 5000,
  listen_timeout: 3000,
  // What one worker is assumed to need when `auto` divides the memory limit.
  worker_memory: 150 * 1024 * 1024,
} as const;

export const appSchema = z
  .object({
    script: z.string(message('expected the path of a script')).min(1, 'expected the path of a script'),
    name: z.string(message('expected a string')).min(1, 'expected a non-empty string').optional(),
    args: stringList.default([]),
    cwd: z.string(message('expected a directory path')).optional(),
    instances: instances.default(APP_DEFAULTS.instances),
    node_args: stringList.default([]),
    env: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), message('expected an object of KEY: value pairs'))
      .default({}),
    min_uptime: duration('"1s"').default(APP_DEFAULTS.min_uptime),
    max_restarts: count.default(APP_DEFAULTS.max_restarts),
    exp_backoff_restart_delay: duration('"100ms"').default(APP_DEFAULTS.exp_backoff_restart_delay),
    kill_timeout: duration('"5s"').default(APP_DEFAULTS.kill_timeout),
    listen_timeout: duration('"3s"').default(APP_DEFAULTS.listen_timeout),
    worker_memory: size('"150M"').default(APP_DEFAULTS.worker_memory),
  })
  .strict();

/** What a user may write: every field but `script` optional, values as strings or numbers. */
export type AppInput = z.input<typeof appSchema>;

/** Options after validation and defaults, with absolute paths; frozen. */
export type AppOptions = Readonly<
  Omit<z.output<typeof appSchema>, 'name' | 'cwd'> & { name: string; cwd: string }
>;

export const APP_OPTION_NAMES = Object.keys(appSchema.shape);
