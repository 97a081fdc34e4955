import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod/v3';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import { APP_OPTION_NAMES, appSchema, type AppInput, type AppOptions } from './app-schema.js';
import { closestMatch } from './closest.js';

/** How a field is named to the user: `--max-restarts` on the CLI, `apps[0].max_restarts` in a file. */
export type FieldLabel = (field: string) => string;

const plainLabel: FieldLabel = (field) => field;

/** Validate an app's options once, apply defaults, resolve paths, and freeze the result. */
export function validateAppOptions(input: AppInput | Record<string, unknown>, label: FieldLabel = plainLabel): AppOptions {
  const result = appSchema.safeParse(input);
  if (!result.success) throw new InvalidOptionError(result.error.issues.flatMap((issue) => formatIssue(issue, input, label)));

  const cwd = path.resolve(result.data.cwd ?? process.cwd());
  const script = path.resolve(cwd, result.data.script);
  checkScript(script, result.data.script);
  const name = result.data.name ?? path.basename(script).replace(/\.[^.]+$/, '');
  return Object.freeze({ ...result.data, script, cwd, name, env: Object.freeze(result.data.env) });
}

const NODE_SCRIPT = /\.(c|m)?(j|t)s$/;

function checkScript(script: string, given: string): void {
  if (!existsSync(script) || !statSync(script).isFile()) {
    throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `script not found: ${given} (looked for ${script})`);
  }
  if (!NODE_SCRIPT.test(script)) {
    throw new DroverError(
      'DROVER_E_UNSUPPORTED_SCRIPT',
      `${given}: drover runs Node.js scripts (.js, .cjs, .mjs, .ts, .cts, .mts); run other programs with their own supervisor`,
    );
  }
}

function formatIssue(issue: z.ZodIssue, input: unknown, label: FieldLabel): string[] {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, APP_OPTION_NAMES);
      const named = label(field ? `${field}.${key}` : key);
      return `${named}: unknown option${suggestion ? `; did you mean '${label(suggestion)}'?` : ''}`;
    });
  }
  return [`${label(field)}: ${issue.message}, got ${describeValue(valueAt(input, issue.path))}`];
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  let value = input;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** "'abc' (string)", "-1 (number)", "undefined": the value as the user wrote it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null) return `${JSON.stringify(value)} (${Array.isArray(value) ? 'array' : 'object'})`;
  return `${String(value)} (${typeof value})`;
}
