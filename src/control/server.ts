import { chmodSync, rmSync } from 'node:fs';
import http from 'node:http';
import { DroverError, isDroverError } from '../errors/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { socketPath, socketsDir, startRecordPath } from '../home/paths.js';
import { privateDir } from '../home/private-files.js';
import { removeAppRecord, writeAppRecord, type AppRecord, type StartCommand } from '../home/registry.js';
import { probe } from './client.js';
import { ROUTES, type Route } from './routes.js';

// One app's control API (JSON, under /v1) on a Unix socket in $DROVER_HOME, mode 0600
// so that only its owner (and root) can reach it. The CLI finds supervisors by these
// sockets; the same routes can be served on TCP later.

/** Only a config update takes a body, and a small one: a request that sends more than this is refused (413). */
const MAX_BODY_BYTES = 64 * 1024;
/** A client must send its request head within this, and the whole request within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A connection that carries nothing for this long is closed (a log stream excepted). */
const IDLE_TIMEOUT_MS = 30_000;

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

  const routes = new Map(ROUTES.map((route) => [route.key, route]));
  const startedAt = Date.now();
  const context = { supervisor, startedAt, socket, command: { name: supervisor.app.name, ...command } };
  // Responses that stream (the log feed): ended when the supervisor is.
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // No route reads a body: one that is large (or of unknown length) is not read at all.
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      return reply(413, { error: `request bodies are limited to ${MAX_BODY_BYTES} bytes, with a content-length` });
    }
    const url = new URL(req.url ?? '/', 'http://drover');
    const key = `${req.method} ${url.pathname}`;
    const route = routes.get(key);
    if (!route) return reply(404, { error: `no route ${key}` });
    if (length === 0) return dispatch(route, undefined);
    // A route that takes a body (a config update) gets it parsed; it is small (see above).
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'the request body is not JSON' });
      }
      dispatch(route, body);
    });

    function dispatch(route: Route, body: unknown) {
      // A reload, restart, scale or update answers when it is done, which may take minutes:
      // the idle timeout is for silent clients, not for answers on their way.
      if (req.method === 'POST') req.socket.setTimeout(0);
      let answer: unknown;
      try {
        answer = route.handle({ ...context, query: url.searchParams, body, req, res });
      } catch (error) {
        return refuse(error);
      }
      if (answer === undefined) {
        streams.add(res);
        return void res.on('close', () => streams.delete(res));
      }
      void Promise.resolve(answer).then((result) => reply(route.status, result), refuse);
    }

    // A request drover refuses (a bad scale) is a 400 with its message; anything else is a bug.
    function refuse(error: unknown) {
      reply(isDroverError(error) && error.code === 'DROVER_E_INVALID_OPTION' ? 400 : 500, { error: (error as Error).message });
    }
  });
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
