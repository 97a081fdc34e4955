import { chmodSync, rmSync } from 'node:fs';
import http from 'node:http';
import { DroverError } from '../errors/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { maskEnv } from '../config/mask-env.js';
import { appsDir, socketPath, socketsDir, startRecordPath } from '../home/paths.js';
import { privateDir, writePrivateFile } from '../home/private-files.js';
import { probe } from './client.js';

// One app's control API (JSON, under /v1) on a Unix socket in $DROVER_HOME, mode 0600
// so that only its owner (and root) can reach it. The CLI finds supervisors by these
// sockets; the same routes can be served on TCP later.

/** No route takes a body: a request that sends more than this is refused (413). */
const MAX_BODY_BYTES = 64 * 1024;
/** A client must send its request head within this, and the whole request within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A connection that carries nothing for this long is closed (a log stream excepted). */
const IDLE_TIMEOUT_MS = 30_000;

/** How a supervisor's apps were started, so that `drover save` can start them again. */
export interface StartCommand {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

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

  const started = Date.now();
  // Each log stream's response, and how to unsubscribe it.
  const followers = new Map<http.ServerResponse, () => void>();
  const server = http.createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // No route reads a body: one that is large (or of unknown length) is not read at all.
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      return reply(413, { error: `request bodies are limited to ${MAX_BODY_BYTES} bytes, and no route takes one` });
    }
    const url = new URL(req.url ?? '/', 'http://drover');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /v1/ping':
        return reply(200, { ok: true });
      case 'GET /v1/status':
        return reply(200, {
          supervisorPid: process.pid,
          startedAt: started,
          // The supervisor's own memory, to watch it as PM2 users watch their daemon.
          supervisorMemory: supervisorMemory(),
          script: supervisor.app.script,
          execMode: supervisor.app.exec_mode,
          ...supervisor.snapshot(),
        });
      case 'GET /v1/timeline':
        return reply(200, { name: supervisor.app.name, events: supervisor.timeline() });
      case 'GET /v1/describe':
        return reply(200, {
          supervisorPid: process.pid,
          startedAt: started,
          socket,
          logFiles: supervisor.output.files(),
          // Secrets stay in the supervisor: values of KEY/SECRET/TOKEN/PASSWORD variables are masked.
          app: { ...supervisor.app, env: maskEnv(supervisor.app.env) },
          snapshot: supervisor.snapshot(),
          events: supervisor.timeline(),
        });
      case 'POST /v1/scale': {
        let scaling: Promise<{ from: number; to: number }>;
        try {
          scaling = supervisor.scale(Number(url.searchParams.get('to')));
        } catch (error) {
          return reply(400, { error: (error as Error).message });
        }
        // Answered once the new workers are up (or failed) and the removed ones drain.
        return void scaling.then((result) => reply(200, result));
      }
      case 'GET /v1/command':
        // How this app was started: the arguments, folder and environment, secrets
        // masked as describe masks them. `drover save` reads the unmasked record from
        // $DROVER_HOME/apps instead, a 0600 file: secrets never cross the API.
        return reply(200, { name: supervisor.app.name, ...command, env: maskEnv(command.env) });
      case 'GET /v1/logs': {
        // A log stream may be quiet for long: it is not an idle connection.
        req.socket.setTimeout(0);
        const unfollow = followLogs(supervisor, res);
        followers.set(res, unfollow);
        return void res.on('close', () => {
          unfollow();
          followers.delete(res);
        });
      }
      case 'POST /v1/restart':
        // Answered once every slot has a new worker up, or with the slots that have none.
        return void supervisor.restart().then((result) => reply(200, result));
      case 'POST /v1/reload':
        // 200 either way: the result says whether the reload finished, and why not.
        return void supervisor.reload().then((result) => reply(200, result));
      case 'POST /v1/stop':
        reply(202, { stopping: true, killTimeoutMs: supervisor.app.kill_timeout });
        return supervisor.stop('stop requested through the control API');
      default:
        return reply(404, { error: `no route ${route}` });
    }
  });
  server.setTimeout(IDLE_TIMEOUT_MS, (connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  chmodSync(socket, 0o600);
  // How to start this app again, for `drover save`: private, like dump.json.
  const record = startRecordPath(supervisor.app.name);
  try {
    privateDir(appsDir());
    writePrivateFile(record, `${JSON.stringify({ name: supervisor.app.name, ...command }, null, 2)}\n`);
  } catch (error) {
    supervisor.warn(`cannot write the start record ${record} (${(error as Error).message}); drover save will not see this app`);
  }
  supervisor.once('exit', () => {
    rmSync(socket, { force: true });
    rmSync(record, { force: true });
    // After the other 'exit' listeners, so that followers of the log stream get the
    // supervisor's last line; then their streams end, and the server closes.
    setImmediate(() => {
      for (const [res, unfollow] of followers) {
        unfollow();
        res.end();
      }
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
  rmSync(socketPath(name), { force: true });
  rmSync(startRecordPath(name), { force: true });
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function supervisorMemory() {
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  return { rss, heapTotal, heapUsed, external };
}

// A follower that reads slower than the app writes loses lines, not our memory: past
// this much unsent, lines are dropped and counted, and the count sent when it catches up.
const FOLLOWER_BUFFER_BYTES = 1024 * 1024;

// The app's lines as they come, one JSON record per line (NDJSON), until the client
// goes. Subscribed before the headers go out: a client that has them misses nothing.
function followLogs(supervisor: Supervisor, res: http.ServerResponse): () => void {
  let dropped = 0;
  const unfollow = supervisor.output.follow((record) => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > FOLLOWER_BUFFER_BYTES) {
      dropped += 1;
      return;
    }
    if (dropped > 0) {
      const note = { ...record, stream: 'drover', worker: null, pid: null, msg: `[drover] ${dropped} line(s) not sent: this reader fell behind` };
      res.write(`${JSON.stringify(note)}\n`);
      dropped = 0;
    }
    res.write(`${JSON.stringify(record)}\n`);
  });
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  return unfollow;
}
