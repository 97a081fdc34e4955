import { z } from 'zod';
import { parseDuration, parseSize } from './units.js';

// One schema for an app's options, keyed by PM2's names so that an ecosystem file and
// the CLI say the same thing. Every field's message reads "expected X"; the formatter
// adds the field's name and the value received.

/** How many workers: a positive count, `max` (every CPU given) or `auto` (CPUs and memory). */
export type InstancesSpec = number | 'max' | 'auto';

const instances = z.union([z.number(), z.string()], {
  error: "expected a positive integer, 'max' or 'auto'",
}).transform((value, ctx): InstancesSpec => {
  if (value === 'max' || value === 'auto') return value;
  const count = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(count) && count > 0) return count;
  ctx.addIssue({ code: 'custom', message: "expected a positive integer, 'max' or 'auto'", input: value });
  return z.NEVER;
});

function duration(example: string) {
  const message = `expected a duration in milliseconds or like ${example}`;
  return z.union([z.number(), z.string()], { error: message }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms !== undefined) return ms;
    ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  });
}

function size(example: string) {
  const message = `expected a size like ${example} (K, M, G are powers of 1024)`;
  return z.union([z.number(), z.string()], { error: message }).transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes !== undefined && bytes > 0) return bytes;
    ctx.addIssue({ code: 'custom', message, input: value });
    return z.NEVER;
  });
}

const count = z.union([z.number(), z.string()], { error: 'expected a non-negative integer' }).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= 0) return n;
  ctx.addIssue({ code: 'custom', message: 'expected a non-negative integer', input: value });
  return z.NEVER;
});

const stringList = z.union([z.string(), z.array(z.string())], {
  error: 'expected a string or an array of strings',
}).transform((value) => (typeof value === 'string' ? splitArgs(value) : value));

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

export const appSchema = z.strictObject({
  script: z.string({ error: 'expected the path of a script' }).min(1, { error: 'expected the path of a script' }),
  name: z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty string' }).optional(),
  args: stringList.default([]),
  cwd: z.string({ error: 'expected a directory path' }).optional(),
  instances: instances.default(APP_DEFAULTS.instances),
  node_args: stringList.default([]),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String), {
    error: 'expected an object of KEY: value pairs',
  }).default({}),
  min_uptime: duration('"1s"').default(APP_DEFAULTS.min_uptime),
  max_restarts: count.default(APP_DEFAULTS.max_restarts),
  exp_backoff_restart_delay: duration('"100ms"').default(APP_DEFAULTS.exp_backoff_restart_delay),
  kill_timeout: duration('"5s"').default(APP_DEFAULTS.kill_timeout),
  listen_timeout: duration('"3s"').default(APP_DEFAULTS.listen_timeout),
  worker_memory: size('"150M"').default(APP_DEFAULTS.worker_memory),
});

/** What a user may write: every field but `script` optional, values as strings or numbers. */
export type AppInput = z.input<typeof appSchema>;

/** Options after validation and defaults, with absolute paths; frozen. */
export type AppOptions = Readonly<
  Omit<z.output<typeof appSchema>, 'name' | 'cwd'> & { name: string; cwd: string }
>;

export const APP_OPTION_NAMES = Object.keys(appSchema.shape);
