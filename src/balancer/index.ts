export { LeastConnections, RoundRobin, Sticky, rendezvousScore } from './policies.js';
export type { BalancePolicy, ConnectionFacts, Member } from './policy.js';
export { followPool } from './membership.js';
export { keyFromHead, needsHead, parseStickyKey, type StickyKey } from './sticky-key.js';
