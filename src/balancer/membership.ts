import type { WorkerPool } from '../supervisor/worker-pool.js';
import type { BalancePolicy } from './policy.js';

/**
 * Keep a policy's members in step with the lifecycle stream: a worker joins once it is
 * ready (listening, or ready() with wait_ready), including a reload's new worker,
 * which takes traffic beside the old one; it leaves the moment it is asked to drain,
 * before its drain begins, and when it exits. Returns the unsubscribe.
 */
export function followPool(pool: WorkerPool, policy: BalancePolicy): () => void {
  const onTransition = (worker: { pid: number; slot: number }, from: string, to: string) => {
    if (to === 'ready') policy.add({ pid: worker.pid, slot: worker.slot });
    // Out as its drain begins; an exit without one (a crash) takes it out too.
    else if (to === 'draining' || (to === 'exited' && from !== 'draining')) policy.remove({ pid: worker.pid, slot: worker.slot });
  };
  pool.on('transition', onTransition);
  return () => pool.off('transition', onTransition);
}
