import type { ConnectionState, ServerTracker } from './server-tracker.js';
import { closeWebSocket } from './websocket-close.js';

// When a drain closes the WebSocket connections the app left open. All at once, every
// client of the worker would reconnect in the same second (Socket.IO's "self-DDoS",
// socket.io#5413); at kill_timeout they would all be cut (1006). So each gets a clean
// close at its own moment, spread evenly over a window that ends well before the kill.

/** How long a client has to answer its close frame before its connection is cut. */
export const ANSWER_MS = 1000;

/** The moments of a drain's WebSocket closes, in ms from the drain's start. */
export interface ClosePlan {
  /** The window opens: the app has heard its stop signal, and its own closes came first. */
  readonly startMs: number;
  /** The window ends: every connection open when it opened has been sent its close. */
  readonly endMs: number;
  /** A connection closed here that is still open this long after its close is cut... */
  readonly answerMs: number;
  /** ...and none is left open after this, before the supervisor's SIGKILL at kill_timeout. */
  readonly cutByMs: number;
}

/**
 * The window opens at `startMs` and lasts `windowMs` (ws_close_window; by default half
 * of kill_timeout), but closes no later than three quarters of kill_timeout, and no
 * connection closed here outlives seven eighths of it: a client that never answers (a
 * phone gone away) is cut, so that the worker still exits by itself, not by SIGKILL.
 */
export function planCloses(startMs: number, windowMs: number | undefined, killTimeoutMs: number): ClosePlan {
  const endMs = Math.max(startMs, Math.min(startMs + (windowMs ?? killTimeoutMs / 2), (killTimeoutMs * 3) / 4));
  return { startMs, endMs, answerMs: ANSWER_MS, cutByMs: Math.max(endMs, (killTimeoutMs * 7) / 8) };
}

/** When each of `count` connections is closed: evenly over the window, each in the middle of its share. */
export function closeMoments(count: number, plan: ClosePlan): number[] {
  const share = (plan.endMs - plan.startMs) / count;
  return Array.from({ length: count }, (_, i) => plan.startMs + (i + 0.5) * share);
}

/**
 * Close every upgraded WebSocket connection of `tracker` with `code`, as `plan` says;
 * `drainStart` is the drain's start on performance.now()'s clock. Connections upgraded
 * after the window opened are closed when it ends. Other upgrades and raw TCP
 * connections stay the app's. Returns a function that cancels what is still to come.
 */
export function closeWebSocketsSpread(tracker: ServerTracker, code: number, plan: ClosePlan, drainStart: number): () => void {
  const timers = new Set<NodeJS.Timeout>();
  // Unref'd: an app that handles its stop signal decides when it exits, and these never keep it.
  const at = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, Math.max(0, drainStart + ms - performance.now())).unref();
    timers.add(timer);
  };
  const close = (state: ConnectionState) => {
    if (!closeWebSocket(state.socket, code)) return;
    const cutAt = Math.min(performance.now() - drainStart + plan.answerMs, plan.cutByMs);
    at(cutAt, () => state.socket.destroy());
  };
  const webSockets = () => [...tracker.connections.values()].filter((state) => state.webSocket);

  const first = webSockets();
  const moments = closeMoments(first.length, plan);
  first.forEach((state, i) => at(moments[i]!, () => close(state)));
  const planned = new Set(first);
  at(plan.endMs, () => {
    for (const state of webSockets()) if (!planned.has(state)) close(state);
  });
  return () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
}
