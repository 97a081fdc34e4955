import { resolveInstances, type Capacity } from '../capacity/index.js';
import { formatBytes, type AppOptions } from '../config/index.js';

/** The supervisor's own memory in a container, with room: ~46-48 MB measured idle (README, Supervisor memory). */
export const SUPERVISOR_MEMORY = 64 * 1024 * 1024;
/** Memory limits are rounded up to this. */
const MEMORY_STEP = 64 * 1024 * 1024;

/** A pod's resources, and the worker count drover will pick inside them. */
export interface PodResources {
  /** Kubernetes quantity: "1", "2", "500m". */
  readonly cpu: string;
  /** Kubernetes quantity: "512Mi". */
  readonly memory: string;
  readonly workers: number;
  /** One line: how the figures follow from the config. */
  readonly reason: string;
  readonly warnings: string[];
}

/**
 * CPU and memory for one pod, consistent with the workers drover runs in it: a
 * numeric `instances` gets that many CPUs; `auto`/`max` get `cpus` (one by default:
 * in a container, scale out with replicas first) and the count drover reads from that
 * CPU limit. Memory: each worker's limit (max_memory_restart, else worker_memory),
 * for every worker plus the extra ones a replacement or a surge reload starts before
 * the old ones drain, plus the supervisor.
 */
export function podResources(app: AppOptions, cpusAsked: number | undefined): PodResources {
  const warnings: string[] = [];
  const fixed = typeof app.instances === 'number' && app.instances > 0 ? app.instances : undefined;
  if (fixed !== undefined && cpusAsked !== undefined && cpusAsked !== fixed) {
    warnings.push(`--cpus ${cpusAsked} with instances: ${fixed}: the CPU limit is ${fixed}, one per worker; set instances: 'max' to run as many workers as --cpus gives`);
  }
  const cpus = fixed ?? cpusAsked ?? 1;
  const perWorker = app.max_memory_restart ?? app.worker_memory;
  const perWorkerFrom = app.max_memory_restart !== undefined ? 'max_memory_restart' : 'worker_memory';

  // The count drover picks under that CPU limit, as `auto` reads a cgroup quota.
  const capacity: Capacity = {
    hostCpus: Math.max(1, Math.ceil(cpus)),
    cpuAllowance: cpus,
    cpuLimitedBy: 'cgroup CPU quota',
    memoryLimit: Number.MAX_SAFE_INTEGER,
    memoryLimitedBy: 'cgroup memory limit',
    cgroupVersion: 2,
  };
  const workers = fixed ?? resolveInstances(app.instances, capacity, app.worker_memory, 'instances: ').count;
  // A memory replacement starts its successor first; a surge reload starts every new worker at once.
  const extra = app.reload_strategy === 'surge' ? workers : 1;
  // `auto` also divides the memory limit by worker_memory: the limit must hold as many workers as the CPUs give.
  const needed = Math.max((workers + extra) * perWorker + SUPERVISOR_MEMORY, fixed === undefined ? workers * app.worker_memory : 0);
  const bytes = Math.ceil(needed / MEMORY_STEP) * MEMORY_STEP;
  const reason =
    `${workers} worker${workers === 1 ? '' : 's'} (${fixed !== undefined ? `instances: ${fixed}` : `instances: ${String(app.instances)} under a ${cpus} CPU limit`}); ` +
    `memory (${workers} + ${extra} during ${app.reload_strategy === 'surge' ? 'a surge reload' : 'a replacement'}) x ${formatBytes(perWorker)} (${perWorkerFrom}) + ${formatBytes(SUPERVISOR_MEMORY)} supervisor`;
  return { cpu: cpuQuantity(cpus), memory: `${bytes / (1024 * 1024)}Mi`, workers, reason, warnings };
}

function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.round(cpus * 1000)}m`;
}
