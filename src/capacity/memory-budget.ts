import { formatBytes } from '../config/units.js';
import type { Capacity } from './capacity.js';
import { MIN_WORKER_MEMORY } from './instances.js';

const MiB = 1024 * 1024;

/** What the supervisor itself keeps resident (46-53 MB measured, see the README), left out of the workers' shares. */
export const SUPERVISOR_MEMORY = 64 * MiB;
/**
 * A worker replaced for its memory, or by a rolling reload, has its successor started
 * first: for a moment there is one worker more than the count, a fresh one (~40 MiB).
 */
export const REPLACEMENT_MEMORY = MIN_WORKER_MEMORY;
/** The old space is three quarters of a worker's share: V8 keeps code, buffers and the young generation outside it. */
const HEAP_FRACTION = 0.75;
/** Below this, a heap limit makes Node.js itself fail to start apps of any size. */
const MIN_HEAP_MB = 64;

/** How the memory limit splits between the supervisor and the workers, each step shown. */
export interface MemoryBudget {
  limit: number;
  /** What is left for the workers after the supervisor and a replacement. */
  available: number;
  /** Bytes each worker may use: the `max_memory_restart` that keeps the app inside the limit. */
  share: number;
  /** `--max-old-space-size` for each worker, in MB (auto_heap gives this). */
  heapMb: number;
  /** The arithmetic, one line a step, for `drover doctor`. */
  steps: string[];
}

/**
 * Split the memory limit among `workers`: less the supervisor, less room for one
 * replacement worker, divided by the count; the heap is three quarters of the share,
 * at least 64 MB. `auto_heap` and `drover doctor` both use it, so that they agree.
 */
export function memoryBudget(capacity: Capacity, workers: number): MemoryBudget {
  const limit = capacity.memoryLimit;
  const left = Math.max(0, limit - SUPERVISOR_MEMORY - REPLACEMENT_MEMORY);
  const share = Math.floor(left / workers / MiB) * MiB;
  const heapMb = Math.max(MIN_HEAP_MB, Math.floor((share / MiB) * HEAP_FRACTION));
  const name = capacity.memoryLimitedBy === 'cgroup memory limit' ? 'cgroup memory limit' : 'total memory';
  return {
    limit,
    available: left,
    share,
    heapMb,
    steps: [
      `${name} ${formatBytes(limit)} - ${formatBytes(SUPERVISOR_MEMORY)} for the supervisor - ${formatBytes(REPLACEMENT_MEMORY)} for a replacement worker (started before the old one drains) = ${formatBytes(left)}`,
      `${formatBytes(left)} / ${workers} worker${workers === 1 ? '' : 's'} = ${formatBytes(share)} each: max_memory_restart ${Math.floor(share / MiB)}M`,
      `3/4 of the share for the old space (V8 keeps code, buffers and the young generation outside it) = --max-old-space-size=${heapMb}${heapMb === MIN_HEAP_MB && share * HEAP_FRACTION < MIN_HEAP_MB * MiB ? ' (the least drover gives)' : ''}`,
    ],
  };
}
