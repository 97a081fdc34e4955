import { describeCpu, memoryBudget, workerCounts, type InstanceDecision } from '../capacity/index.js';
import { formatBytes } from '../config/units.js';
import { isContainer, type DoctorFacts } from './facts.js';

/** How to run the app here: a cluster of N, one process, or one per container with the orchestrator scaling. */
export type Mode = 'cluster' | 'single' | 'one per container';

export interface Recommendation {
  mode: Mode;
  workers: number;
  reasons: string[];
  /** Per worker: the RSS over which drover replaces it, as max_memory_restart takes it ("460M"). */
  maxMemoryRestart: string;
  /** Per worker: --max-old-space-size, in MB (what auto_heap gives). */
  maxOldSpaceSize: number;
  /** The memory arithmetic, one step a line. */
  memory: string[];
}

/**
 * The recommendation. The worker count is `decision`, what `drover run` decides for
 * the same app on the same machine (src/capacity): doctor explains it, and its
 * warnings say what to change where it is wrong; it never picks another number.
 */
export function recommend(facts: DoctorFacts, decision: InstanceDecision): Recommendation {
  const workers = decision.count;
  const budget = memoryBudget(facts.resources.capacity, workers);
  const reasons = [`${decision.reason} (what drover run starts here)`];
  const inContainer = isContainer(facts);
  let mode: Mode;
  if (workers >= 2) {
    mode = 'cluster';
    if (facts.system.kubernetes.value === true) {
      reasons.push(
        `in Kubernetes: ${workers} workers use this pod's CPUs; the other way is one per container (DROVER_INSTANCES=1) and ${workers} times the replicas, ` +
          'so that the orchestrator balances, replaces and scales (an HPA) instead',
      );
    } else {
      reasons.push(`${workers} workers share the port and the machine's CPUs; measure the gain with drover bench before relying on it`);
    }
  } else if (inContainer) {
    mode = 'one per container';
    reasons.push(
      `one worker's worth here (${limitedBy(facts, decision)}): run one process per container and scale out with more containers` +
        (facts.system.kubernetes.value === true ? ' (raise the Deployment\'s replicas, or add an HPA)' : ''),
    );
  } else {
    mode = 'single';
    reasons.push(`one worker's worth here (${limitedBy(facts, decision)}): one process; a cluster would only add a supervisor's memory`);
  }
  reasons.push(...budget.steps);
  if (facts.resources.capacity.memoryLimitedBy === 'total memory') {
    reasons.push('no cgroup memory limit: the shares count the whole machine\'s memory as the app\'s, but the system and other programs take their part; read them as upper bounds');
  }
  for (const app of facts.running.value ?? []) {
    if (app.largestRss === null) {
      reasons.push(`app '${app.name}' runs ${app.workers.length} worker(s) under drover; none has reported its figures yet`);
      continue;
    }
    const delay = app.worstLoopDelayP99 === null ? '' : `, event-loop delay p99 at most ${app.worstLoopDelayP99} ms`;
    const fits = app.largestRss <= budget.share ? `within the ${formatBytes(budget.share)} share` : `OVER the ${formatBytes(budget.share)} share`;
    reasons.push(`measured: app '${app.name}' runs ${app.workers.length} worker(s), the largest at ${formatBytes(app.largestRss)} RSS${delay}: ${fits}`);
  }
  return { mode, workers, reasons, maxMemoryRestart: `${Math.floor(budget.share / 1024 / 1024)}M`, maxOldSpaceSize: budget.heapMb, memory: budget.steps };
}

function limitedBy(facts: DoctorFacts, decision: InstanceDecision): string {
  const { capacity } = facts.resources;
  const counts = workerCounts(capacity, facts.workerMemory);
  if (counts.cpu > 1 && counts.memory > 1) return `as asked: ${decision.reason.replace(/^1 worker: /, '')}`;
  if (counts.cpu <= 1) return describeCpu(capacity);
  return `memory ${formatBytes(capacity.memoryLimit)} fits ${counts.memory} at ${formatBytes(facts.workerMemory)}`;
}
