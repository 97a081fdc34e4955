import type { AppOptions } from '../config/index.js';
import { LeastConnections, RoundRobin, Sticky } from './policies.js';
import type { BalancePolicy } from './policy.js';
import { parseStickyKey, type StickyKey } from './sticky-key.js';

/**
 * Whether the supervisor balances the app's connections itself. round-robin stays on
 * node:cluster's own path, the fastest, unless the app reloads by surge: then drover
 * must decide when the new workers get traffic (only once every one of them is up and
 * healthy), which node:cluster cannot.
 */
export function balancedBySupervisor(app: Pick<AppOptions, 'balance' | 'reload_strategy'>): boolean {
  return app.balance !== 'round-robin' || app.reload_strategy === 'surge';
}

/** The policy for the app's `balance` and `sticky_key`, and the key the front reads, if any. */
export function choosePolicy(app: Pick<AppOptions, 'balance' | 'sticky_key'>): { policy: BalancePolicy; key: StickyKey | undefined } {
  if (app.balance === 'round-robin') return { policy: new RoundRobin(), key: undefined };
  if (app.balance === 'least-connections') return { policy: new LeastConnections(), key: undefined };
  const key = parseStickyKey(app.sticky_key);
  // With sid, a handshake (no session yet) goes by least connections; the front routes the rest by the sid's tag.
  return { policy: key.kind === 'sid' ? new Sticky(() => undefined, false) : new Sticky(), key };
}
