import net from 'node:net';
import type { DrainReport } from '../ipc/messages.js';
import { currentResponse, type ConnectionState, type ServerTracker } from './server-tracker.js';

/** How long an idle keep-alive connection may stay open during a drain, waiting for one last request. */
export const IDLE_GRACE_MS = 500;

/**
 * Drain every tracked server: stop accepting at once, let in-flight requests finish
 * with `Connection: close`, answer a request that arrives on a kept-alive connection
 * (also with `Connection: close`), and close a connection only after it has been idle
 * for the grace. Resolves when no connection is left; the supervisor's kill_timeout
 * bounds how long that may take.
 */
export function drainServers(
  tracker: ServerTracker,
  onStart: (report: DrainReport) => void,
  idleGraceMs = IDLE_GRACE_MS,
): Promise<DrainReport> {
  const report: DrainReport = {
    inFlightAtStart: tracker.inFlight,
    connectionsAtStart: tracker.connections.size,
    idleClosed: 0,
  };

  return new Promise((resolve) => {
    const finishIfEmpty = () => {
      if (tracker.connections.size === 0) resolve(report);
    };
    const closeWhenStillIdle = (connection: ConnectionState) => {
      // Raw TCP and upgraded (WebSocket) connections belong to the app: they end
      // when the app ends them, or at kill_timeout.
      if (connection.upgraded || !connection.http) return;
      clearTimeout(connection.idleTimer);
      connection.idleTimer = setTimeout(() => {
        if (connection.upgraded || currentResponse(connection.socket)) return;
        report.idleClosed += 1;
        connection.socket.destroy();
      }, idleGraceMs);
    };

    for (const server of tracker.servers) {
      // net's close, not http's: since Node 19 http's close() also drops idle keep-alive
      // connections at once, which is exactly the race that loses requests.
      if (server.listening) net.Server.prototype.close.call(server);
    }
    tracker.startDraining(closeWhenStillIdle, finishIfEmpty);
    onStart(report);
    finishIfEmpty();
  });
}
