import net from 'node:net';
import type { DrainReport } from '../ipc/messages.js';
import { currentResponse, type ConnectionState, type ServerTracker } from './server-tracker.js';

/** How long an idle keep-alive connection may stay open during a drain, waiting for one last request. */
export const IDLE_GRACE_MS = 500;

/** A drain under way: what was open when it began, and the moments that matter. */
export interface Drain {
  readonly report: DrainReport;
  /** No HTTP connection is left (upgraded and raw TCP ones may still be open). */
  readonly http: Promise<void>;
  /** No connection is left. */
  readonly done: Promise<void>;
  /** Every server the drain closed has emitted 'close', and the work its async 'close' listeners returned has settled. */
  readonly closed: Promise<void>;
}

/**
 * Drain every tracked server: stop accepting at once, let in-flight requests finish
 * with `Connection: close`, answer a request that arrives on a kept-alive connection
 * (also with `Connection: close`), and close a connection only after it has been idle
 * for the grace. Upgraded (WebSocket) and raw TCP connections belong to the app: they
 * end when the app ends them (its onShutdown hooks, its SIGTERM handler), or at the
 * supervisor's kill_timeout; the shutdown sequence then closes the WebSockets still
 * open, spread out (websocket-drain.ts).
 */
export function drainServers(tracker: ServerTracker, idleGraceMs = IDLE_GRACE_MS): Drain {
  const report: DrainReport = {
    inFlightAtStart: tracker.inFlight,
    connectionsAtStart: tracker.connections.size,
    idleClosed: 0,
  };
  let httpDrained!: () => void;
  let allDrained!: () => void;
  const http = new Promise<void>((resolve) => (httpDrained = resolve));
  const done = new Promise<void>((resolve) => (allDrained = resolve));
  const check = () => {
    if (tracker.httpConnections === 0) httpDrained();
    if (tracker.connections.size === 0) allDrained();
  };
  const closeWhenStillIdle = (connection: ConnectionState) => {
    if (connection.upgraded || !connection.http) return;
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (connection.upgraded || currentResponse(connection.socket)) return;
      report.idleClosed += 1;
      connection.socket.destroy();
    }, idleGraceMs);
  };

  const closing = [...tracker.servers].filter((server) => server.listening).map(closeServer);
  tracker.startDraining(closeWhenStillIdle, check);
  check();
  return { report, http, done, closed: Promise.all(closing).then(() => undefined) };
}

// Close the listener (net's close, not http's: since Node 19 http's close() also drops
// idle keep-alive connections at once, which is exactly the race that loses
// requests), and resolve once the server has closed and whatever its async 'close'
// listeners returned (`server.on('close', async () => await db.end())`) has settled:
// the worker must not exit under that work.
function closeServer(server: net.Server): Promise<void> {
  const work: unknown[] = [];
  const listeners = server.rawListeners('close') as ((...args: unknown[]) => unknown)[];
  server.removeAllListeners('close');
  for (const listener of listeners) {
    server.on('close', function onClose(this: net.Server, ...args: unknown[]) {
      const result = Reflect.apply(listener, this, args);
      if (isThenable(result)) work.push(result);
    });
  }
  const closed = new Promise<void>((resolve) => server.once('close', () => void Promise.allSettled(work).then(() => resolve())));
  net.Server.prototype.close.call(server);
  return closed;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
