import { chmodSync, rmSync } from 'node:fs';
import http from 'node:http';
import { DroverError } from '../errors/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { socketPath, socketsDir, startRecordPath } from '../home/paths.js';
import { privateDir } from '../home/private-files.js';
import { removeAppRecord, writeAppRecord, type AppRecord, type StartCommand } from '../home/registry.js';
import { probe } from './client.js';
import { controlContext, IDLE_TIMEOUT_MS, routeRequests, SERVER_OPTIONS } from './dispatch.js';
import { ROUTES } from './routes.js';

// One app's control API (JSON, under /v1) on a Unix socket in $DROVER_HOME, mode 0600
// so that only its owner (and root) can reach it. The CLI finds supervisors by these
// sockets. The TCP admin listener (src/admin) serves the same table, filtered.

export type { StartCommand } from '../home/registry.js';

export async function serveControlApi(supervisor: Supervisor, command: StartCommand, onStale: () => void): Promise<http.Server> {
  const socket = socketPath(supervisor.app.name);
  privateDir(socketsDir());
  if ((await probe(socket)) !== 'gone') {
    throw new DroverError('DROVER_E_APP_RUNNING', `an app named '${supervisor.app.name}' is already running (its control socket ${socket} is in use)`);
  }
  // A socket file nobody answers on was left by a supervisor that was killed.
  try {
    rmSync(socket);
    onStale();
  } catch {
    // There was none.
  }

  // Every route: the socket is the owner's alone (mode 0600).
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer(SERVER_OPTIONS, routeRequests({ routes: ROUTES, context: controlContext(supervisor, command), streams }));
  server.setTimeout(IDLE_TIMEOUT_MS, (connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  chmodSync(socket, 0o600);
  // The app's record in the registry: how to start it again (for `save`, and `start
  // <app>` once stopped), private like dump.json.
  const record: AppRecord = { name: supervisor.app.name, ...command };
  const writeRecord = () => {
    try {
      writeAppRecord(record);
    } catch (error) {
      supervisor.warn(`cannot write the app record ${startRecordPath(record.name)} (${(error as Error).message}); drover save and ls will not see this app once stopped`);
    }
  };
  writeRecord();
  supervisor.on('scaled', (_from, to) => {
    record.scaledTo = to;
    writeRecord();
  });
  let stopReason: string | undefined;
  supervisor.on('stopping', (reason) => (stopReason = reason));
  supervisor.once('exit', (result) => {
    // A background app stays listed, stopped or errored, until `drover delete`.
    if (command.background) {
      // Asked to stop, it is stopped even if a worker had to be killed at kill_timeout.
      const errored = result.error !== undefined && result.error.code !== 'DROVER_E_SHUTDOWN_FORCED';
      record.ended = {
        status: errored ? 'errored' : 'stopped',
        at: Date.now(),
        exitCode: result.exitCode,
        reason: errored ? result.error!.message : (stopReason ?? 'stopped'),
        code: result.error?.code,
      };
      writeRecord();
    } else {
      removeAppRecord(record.name);
    }
    // Last: once the socket is gone the app is no longer running, and its record says how it ended.
    rmSync(socket, { force: true });
    // After the other 'exit' listeners, so that followers of the log stream get the
    // supervisor's last line; then their streams end, and the server closes.
    setImmediate(() => {
      for (const res of streams) res.end();
      server.close();
      // A follower that reads nothing (a paused pager) must not keep this process alive:
      // close() drops connections whose response has ended; this covers any other.
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    });
  });
  return server;
}

/** Close a control API that never served an app (start-up failed): its socket goes too. */
export function closeControlApi(server: http.Server, name: string): Promise<void> {
  removeControlFiles(name);
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// An app's socket and start record go together: both say it is running.
function removeControlFiles(name: string): void {
  rmSync(socketPath(name), { force: true });
  rmSync(startRecordPath(name), { force: true });
}
