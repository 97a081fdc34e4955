import type { WorkerPool } from '../supervisor/worker-pool.js';
import type { BalancePolicy } from './policy.js';

export interface MembershipRules {
  /**
   * A reload's new workers wait to be promoted before they take traffic (a surge
   * reload: all of them switch over at once, or none). Otherwise a new worker takes
   * traffic beside the old one as soon as it is ready.
   */
  candidatesWait?: () => boolean;
}

/**
 * Keep a policy's members in step with the lifecycle stream: a worker joins once it is
 * ready (listening, or ready() with wait_ready), a reload's new worker too unless the
 * rules hold it back until its promotion; it leaves the moment it is asked to drain,
 * before its drain begins, and when it exits. Returns the unsubscribe.
 */
export function followPool(pool: WorkerPool, policy: BalancePolicy, rules: MembershipRules = {}): () => void {
  const waits = (worker: { role: string }) => worker.role === 'candidate' && (rules.candidatesWait?.() ?? false);
  const onTransition = (worker: { pid: number; slot: number; role: string }, from: string, to: string) => {
    if (to === 'ready' && !waits(worker)) policy.add({ pid: worker.pid, slot: worker.slot });
    // Out as its drain begins; an exit without one (a crash) takes it out too.
    else if (to === 'draining' || (to === 'exited' && from !== 'draining')) policy.remove({ pid: worker.pid, slot: worker.slot });
  };
  // Promoted once ready: a candidate held back joins now (adding one already in is a no-op).
  const onPromoted = (worker: { pid: number; slot: number; state: string }) => {
    if (worker.state === 'ready') policy.add({ pid: worker.pid, slot: worker.slot });
  };
  pool.on('transition', onTransition);
  pool.on('promoted', onPromoted);
  return () => {
    pool.off('transition', onTransition);
    pool.off('promoted', onPromoted);
  };
}
