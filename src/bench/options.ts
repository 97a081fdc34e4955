import { parseDuration } from '../config/units.js';
import { InvalidOptionError } from '../errors/index.js';

/** `drover bench`'s options, validated. */
export interface BenchOptions {
  route: string;
  durationMs: number;
  connections: number;
  /** Worker counts to run under drover, ascending; undefined: 1, 2, 4 ... up to the CPUs (one left to the load generator). */
  workers: number[] | undefined;
  /** Rounds of every target, in a rotating order; the figures are the medians. */
  rounds: number;
  json: boolean;
}

/** The flags as commander hands them over (strings). */
export interface BenchFlags {
  route?: string;
  duration?: string;
  connections?: string;
  workers?: string;
  rounds?: string;
  json?: boolean;
}

const MAX_CONNECTIONS = 10_000;
const MAX_ROUNDS = 20;

const describe = (value: string) => `\`${value}\``;

/** Validate the flags, each with one message in the same form: the option, what it takes, what it got. */
export function benchOptions(flags: BenchFlags): BenchOptions {
  const issues: string[] = [];
  const route = flags.route ?? '/';
  if (!route.startsWith('/') || /\s/.test(route)) issues.push(`--route: expected a path starting with /, such as /cpu or /api?id=1, got ${describe(route)}`);

  const durationMs = parseDuration(flags.duration ?? '10s');
  if (durationMs === undefined || durationMs < 1000) {
    issues.push(`--duration: expected a duration of at least 1 s, such as 10s or 1500ms (a bare number is milliseconds), got ${describe(flags.duration ?? '')}`);
  }

  const connections = Number(flags.connections ?? 100);
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
    issues.push(`--connections: expected a whole number from 1 to ${MAX_CONNECTIONS}, got ${describe(flags.connections ?? '')}`);
  }

  let workers: number[] | undefined;
  if (flags.workers !== undefined) {
    const parts = flags.workers.split(',').map((part) => part.trim());
    if (parts.some((part) => !/^[1-9]\d*$/.test(part))) {
      issues.push(`--workers: expected worker counts separated by commas, such as 1,2,4, got ${describe(flags.workers)}`);
    } else {
      workers = [...new Set(parts.map(Number))].sort((a, b) => a - b);
    }
  }
  const rounds = Number(flags.rounds ?? 1);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) issues.push(`--rounds: expected a whole number from 1 to ${MAX_ROUNDS}, got ${describe(flags.rounds ?? '')}`);
  if (issues.length > 0) throw new InvalidOptionError(issues.map((issue) => `bench ${issue}`));
  return { route, durationMs: durationMs!, connections, workers, rounds, json: flags.json === true };
}

/** 1, 2, 4 ... up to `most`, and `most` itself: the counts a bench runs when not told. */
export function defaultWorkerCounts(most: number): number[] {
  const counts: number[] = [];
  for (let n = 1; n < most; n *= 2) counts.push(n);
  counts.push(most);
  return counts;
}
