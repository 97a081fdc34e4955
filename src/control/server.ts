import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DroverError } from '../errors/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { maskEnv } from '../config/mask-env.js';
import { probe } from './client.js';
import { socketPath } from './paths.js';

/**
 * One app's control API (JSON, under /v1) on a Unix socket in $DROVER_HOME, mode 0600
 * so that only its owner (and root) can reach it. The CLI finds supervisors by these
 * sockets; the same routes can be served on TCP later.
 */
/** How a supervisor's apps were started, so that `drover save` can start them again. */
export interface StartCommand {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

export async function serveControlApi(supervisor: Supervisor, command: StartCommand, onStale: () => void): Promise<http.Server> {
  const socket = socketPath(supervisor.app.name);
  mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
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
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
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
        try {
          return reply(200, supervisor.scale(Number(url.searchParams.get('to'))));
        } catch (error) {
          return reply(400, { error: (error as Error).message });
        }
      }
      case 'GET /v1/command':
        // How to start this app again (drover save): the arguments, folder and
        // environment this supervisor was started with. The socket is the owner's only.
        return reply(200, { name: supervisor.app.name, ...command });
      case 'GET /v1/logs': {
        const unfollow = followLogs(supervisor, res);
        followers.set(res, unfollow);
        return void res.on('close', () => {
          unfollow();
          followers.delete(res);
        });
      }
      case 'POST /v1/restart':
        return reply(202, supervisor.restart());
      case 'POST /v1/reload':
        // 200 either way: the result says whether the reload finished, and why not.
        return void supervisor.reload().then((result) => reply(200, result));
      case 'POST /v1/stop':
        reply(202, { stopping: true });
        return supervisor.stop('stop requested through the control API');
      default:
        return reply(404, { error: `no route ${route}` });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  chmodSync(socket, 0o600);
  supervisor.once('exit', () => {
    rmSync(socket, { force: true });
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
