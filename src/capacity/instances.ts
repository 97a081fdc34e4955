import type { InstancesSpec } from '../config/index.js';
import { formatBytes } from '../config/units.js';
import type { Capacity } from './capacity.js';

/** A worker count and the one line that explains it to the user. */
export interface InstanceDecision {
  count: number;
  reason: string;
}

/** How many workers the CPUs hold (the allowance rounded down) and the memory holds (at `workerMemory` each); at least 1 each. */
export function workerCounts(capacity: Capacity, workerMemory: number): { cpu: number; memory: number } {
  return {
    cpu: Math.max(1, Math.floor(capacity.cpuAllowance)),
    memory: Math.max(1, Math.floor(capacity.memoryLimit / workerMemory)),
  };
}

/** Turn `-i N|max|auto` into a count, explaining which limit decided it. */
export function resolveInstances(spec: InstancesSpec, capacity: Capacity, workerMemory: number, askedAs = '-i '): InstanceDecision {
  const asked = (value: string) => `${askedAs}${value}`;
  const { cpu: cpuCount, memory: memoryCount } = workerCounts(capacity, workerMemory);
  const cpuReason = describeCpu(capacity);
  if (typeof spec === 'number' && spec > 0) return { count: spec, reason: `${plural(spec)}: ${asked(String(spec))}` };
  if (typeof spec === 'number') {
    // PM2's -N: every CPU given but N, and at least one.
    const count = Math.max(1, cpuCount + spec);
    return { count, reason: `${plural(count)}: ${asked(String(spec))}, every CPU but ${-spec} of ${cpuReason}` };
  }
  if (spec === 'max') return { count: cpuCount, reason: `${plural(cpuCount)}: ${asked('max')}, ${cpuReason}` };

  const count = Math.min(cpuCount, memoryCount);
  const memoryName = capacity.memoryLimitedBy === 'cgroup memory limit' ? 'cgroup memory limit' : 'memory';
  const memoryReason = `${memoryName} ${formatBytes(capacity.memoryLimit)} fits ${memoryCount} at ${formatBytes(workerMemory)} each`;
  return { count, reason: `${plural(count)}: ${cpuReason}; ${memoryReason}` };
}

/** A bare Node.js worker's resident memory, roughly: no more workers than the memory limit holds at this each. */
export const MIN_WORKER_MEMORY = 40 * 1024 * 1024;
/** Without max_workers: this many workers per CPU of the allowance, and at least MIN_MAX_WORKERS. */
const WORKERS_PER_CPU = 4;
const MIN_MAX_WORKERS = 16;

/**
 * The most workers an app may have (`-i`, `scale`): `max_workers` when set; otherwise
 * four per CPU given, at least 16 (I/O-bound apps run more workers than CPUs), and no
 * more than the memory limit holds at 40 MiB each. A bound, not a target: past it a
 * typo (`scale app 100000`) would fork until the machine falls over.
 */
export function maxWorkers(capacity: Capacity, configured: number | undefined): { limit: number; reason: string } {
  if (configured !== undefined) return { limit: configured, reason: 'max_workers' };
  const byCpu = Math.max(MIN_MAX_WORKERS, Math.ceil(capacity.cpuAllowance * WORKERS_PER_CPU));
  const byMemory = Math.max(1, Math.floor(capacity.memoryLimit / MIN_WORKER_MEMORY));
  return byMemory < byCpu
    ? { limit: byMemory, reason: `memory ${formatBytes(capacity.memoryLimit)} holds ${byMemory} at ${formatBytes(MIN_WORKER_MEMORY)} each` }
    : { limit: byCpu, reason: `${WORKERS_PER_CPU} per CPU of ${describeCpu(capacity)}, at least ${MIN_MAX_WORKERS}` };
}

/** The CPU allowance and what set it, as the worker-count line says it: "cgroup CPU quota 2.0 of 64 CPUs". */
export function describeCpu(capacity: Capacity): string {
  const allowance = Number.isInteger(capacity.cpuAllowance) ? String(capacity.cpuAllowance) : capacity.cpuAllowance.toFixed(1);
  switch (capacity.cpuLimitedBy) {
    case 'cgroup CPU quota':
      return `cgroup CPU quota ${capacity.cpuAllowance.toFixed(1)} of ${capacity.hostCpus} CPUs`;
    case 'cgroup cpuset':
      return `cgroup cpuset ${allowance} of ${capacity.hostCpus} CPUs`;
    case 'CPU affinity':
      return `CPU affinity ${allowance} of ${capacity.hostCpus} CPUs`;
    case 'host':
      return `${allowance} CPUs`;
  }
}

function plural(count: number): string {
  return count === 1 ? '1 worker' : `${count} workers`;
}
