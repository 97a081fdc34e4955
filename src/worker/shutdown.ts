import type { Channel } from '../ipc/channel.js';
import type { DrainReason, RuntimeSettings, SupervisorMessage, WorkerMessage } from '../ipc/messages.js';
import { runShutdownHooks } from './api.cjs';
import type { AppSignals } from './app-signals.js';
import { drainServers, IDLE_GRACE_MS } from './drain.js';
import type { ServerTracker } from './server-tracker.js';
import { CLOSE_GOING_AWAY, CLOSE_SERVICE_RESTART } from './websocket-close.js';
import { closeWebSocketsSpread, planCloses } from './websocket-drain.js';

/** What started a worker's shutdown. */
export type ShutdownOrigin =
  /** The supervisor asked (stop, reload, scale, restart). */
  | { by: 'supervisor'; reason: DrainReason; notifyApp: boolean }
  /** A real SIGINT or SIGTERM reached this worker (Ctrl-C, `kill`). */
  | { by: 'signal'; signal: NodeJS.Signals }
  /** The supervisor is gone (its IPC channel closed). */
  | { by: 'orphaned' };

/**
 * How long into a drain the app waits at most for its stop signal. Until then its
 * HTTP connections drain: handlers such as Fastify's close() answer late keep-alive
 * requests with 503 and call closeIdleConnections(). After the idle grace only
 * connections with a response in progress are left.
 */
export const APP_SIGNAL_AFTER_MS = 2 * IDLE_GRACE_MS;
/** How long the worker waits for the supervisor to answer `draining`. */
const BARRIER_TIMEOUT_MS = 2000;

export interface ShutdownParts {
  tracker: ServerTracker;
  channel: Channel<WorkerMessage, SupervisorMessage>;
  signals: AppSignals;
  settings: RuntimeSettings;
  /** Send the worker's last counts (requests, the app's metrics) to the supervisor, before `drained`. */
  lastCounts: () => Promise<void>;
}

/**
 * A worker's shutdown, in a fixed order:
 * 1. the app's listeners close (no new connection), and the drain begins: in-flight
 *    requests finish with `Connection: close`, idle keep-alive connections close after
 *    their grace; the app's onShutdown hooks run (to stop its jobs, say);
 * 2. the supervisor confirms it has seen the listeners close, so that no connection
 *    node:cluster hands out can still be on its way here;
 * 3. once the HTTP connections have drained (at most APP_SIGNAL_AFTER_MS in), the app
 *    hears its stop signal, unless a real one reached it already;
 * 4. the WebSocket connections the app leaves open are closed cleanly, spread over
 *    a window (websocket-drain.ts): 1012 (restart, come back) unless drover stops;
 * 5. once every connection is closed, every hook has settled and the servers' async
 *    'close' listeners are done, the worker exits, unless the app handles its stop
 *    signal: then, as under plain node, the app decides when to exit, and the
 *    supervisor's kill_timeout bounds it.
 */
export async function shutDown(origin: ShutdownOrigin, { tracker, channel, signals, settings, lastCounts }: ShutdownParts): Promise<void> {
  // PM2's shutdown_with_message: the app hears 'shutdown' as if PM2 had sent it.
  if (origin.by === 'supervisor' && origin.notifyApp) process.emit('message', 'shutdown', undefined);
  // Once the listeners close, nothing of ours keeps the worker alive (the IPC channel
  // is unref'd): hold it until the sequence is done.
  const hold = setInterval(() => undefined, 60_000);
  const startedAt = performance.now();
  const drain = drainServers(tracker);
  const answered = channel.request({ type: 'draining', report: drain.report }, BARRIER_TIMEOUT_MS).then(
    () => undefined,
    () => undefined,
  );
  const hooks = runShutdownHooks();

  if (origin.by !== 'signal') {
    await Promise.all([answered, Promise.race([drain.http, delay(APP_SIGNAL_AFTER_MS)])]);
    if (!signals.received) signals.deliverStop(settings.killSignal);
  }
  const plan = planCloses(performance.now() - startedAt, settings.wsCloseWindow, settings.killTimeout);
  const stopClosing = closeWebSocketsSpread(tracker, closeCode(origin), plan, startedAt);
  await Promise.all([drain.done, drain.closed, hooks, answered]);
  stopClosing();
  // Every request is answered: these counts are final (the app's metrics are bounded by a timeout).
  await lastCounts().catch(() => undefined);
  channel.send({ type: 'drained', report: drain.report });
  clearInterval(hold);
  if (signals.handledByApp) {
    // The app's handler ends the process (process.exit, or nothing left to run).
    process.channel?.unref();
    return;
  }
  process.exit(0);
}

/** The close code WebSocket clients get: come back soon (a reload, restart, scale), or the server goes away. */
function closeCode(origin: ShutdownOrigin): number {
  return origin.by === 'supervisor' && origin.reason !== 'stop' ? CLOSE_SERVICE_RESTART : CLOSE_GOING_AWAY;
}

/** An unref'd delay: it never keeps the worker alive by itself. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
