// A worker's life as one state machine. The state changes only through
// `checkTransition`, over the table below; anything else is a bug in drover, thrown as
// IllegalTransitionError so that a test catches it.
//
//   starting ──> listening ──> ready ──> draining ──> exited
//       │            │           ▲           ▲
//       └────────────┴─> ready ──┘           │  (wait_ready: ready without listening)
//       └────────────┴──────────────────────-┘  (a stop or a crash at any point)
//
// A reload's new worker lives the same life; what sets it apart is its role
// (candidate until promoted), not its state.

/** Where a worker is in its life. */
export type WorkerState = 'starting' | 'listening' | 'ready' | 'draining' | 'exited';

const NEXT: { readonly [S in WorkerState]: readonly WorkerState[] } = {
  starting: ['listening', 'ready', 'draining', 'exited'],
  listening: ['ready', 'draining', 'exited'],
  ready: ['draining', 'exited'],
  draining: ['exited'],
  exited: [],
};

/** A state change the table does not allow: a bug in drover. */
export class IllegalTransitionError extends Error {
  constructor(from: WorkerState, to: WorkerState, pid: number) {
    super(`worker ${pid}: illegal state transition ${from} -> ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

/** Whether a worker may go from `from` to `to`. */
export function canTransition(from: WorkerState, to: WorkerState): boolean {
  return NEXT[from].includes(to);
}

/** Throw IllegalTransitionError unless the table allows `from` -> `to`. */
export function checkTransition(from: WorkerState, to: WorkerState, pid: number): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to, pid);
}

/**
 * Why drover asked a worker to go (or ended it). A worker that goes with none crashed,
 * or exited on its own: that exit is the restart policy's to judge.
 */
export type ExitIntent = 'stop' | 'reload' | 'scale' | 'restart' | 'memory-limit' | 'event-loop-delay' | 'health-check' | 'unresponsive';

/** What the worker's runtime is told a drain is for. */
export function drainReason(intent: ExitIntent): 'stop' | 'reload' | 'scale' | 'restart' {
  return intent === 'stop' || intent === 'scale' || intent === 'restart' ? intent : 'reload';
}
