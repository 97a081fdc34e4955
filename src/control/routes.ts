import type http from 'node:http';
import { DASHBOARD_FILES, DASHBOARD_HEADERS, dashboardFile, streamLive } from '../admin/dashboard.js';
import type { AppOptions } from '../config/index.js';
import { maskApp, maskEnv } from '../config/mask-env.js';
import { DroverError } from '../errors/index.js';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/exposition.js';
import { parseSignalName } from './signal-name.js';
import { checkTopic } from '../ipc/values.js';
import type { Supervisor } from '../supervisor/index.js';
import type { CommandResponse, Exposure, RouteKey, RouteResponses } from './api.js';

// The control API as data: each route's method and path, who may call it, what it
// does, and its handler. The Unix socket serves them all; a TCP admin listener serves
// the same table, filtered by exposure.

/** What a handler gets: the supervisor, the request, and facts about this control API. */
export interface RouteContext {
  readonly supervisor: Supervisor;
  readonly query: URLSearchParams;
  /** The request's JSON body, for the one route that takes one; undefined without. */
  readonly body: unknown;
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** When the control API started (the supervisor's start), its socket, and how the app was started. */
  readonly startedAt: number;
  readonly socket: string;
  readonly command: CommandResponse;
}

export interface Route {
  /** "GET /v1/status" */
  readonly key: string;
  readonly exposure: Exposure;
  /** What it does, in a line (the README's API table says the same). */
  readonly summary: string;
  /** Success status; 200 unless said. */
  readonly status: number;
  /** The JSON body to answer with; undefined when the handler writes the response itself (a stream). */
  readonly handle: (ctx: RouteContext) => unknown;
}

// A route that answers JSON, typed against what the client expects of it.
function json<K extends RouteKey>(
  key: K,
  exposure: Exposure,
  summary: string,
  handle: (ctx: RouteContext) => RouteResponses[K] | Promise<RouteResponses[K]>,
  status = 200,
): Route {
  return { key, exposure, summary, status, handle };
}

/** An answer that is not the route's JSON with its status: text (/metrics), or a status of its own (/readyz's 503). */
export class RawReply {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** How long GET /v1/ready?wait= may hold a request. */
const MAX_WAIT_MS = 120_000;

export const ROUTES: readonly Route[] = [
  // Probes and metrics, at the paths Kubernetes and Prometheus use by default.
  json('GET /healthz', 'probe', "200 while the supervisor's event loop and control path answer (a liveness probe)", ({ supervisor }) => ({
    ok: true,
    app: supervisor.app.name,
    supervisorPid: process.pid,
    uptimeMs: Math.round(process.uptime() * 1000),
  })),
  {
    key: 'GET /readyz',
    exposure: 'probe',
    summary: '200 while at least min_ready workers are ready; 503 once a stop begins (before any drain) or while too few are; the JSON body says why',
    status: 200,
    handle: ({ supervisor }) => {
      const readiness: RouteResponses['GET /readyz'] = supervisor.probeReadiness();
      return new RawReply(readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
    },
  },
  {
    key: 'GET /metrics',
    exposure: 'token',
    summary: "Prometheus text format: drover's own metrics and the app's prom-client metrics aggregated across workers (`drover metrics`)",
    status: 200,
    handle: async ({ supervisor }) => new RawReply(200, PROMETHEUS_CONTENT_TYPE, await supervisor.metrics()),
  },
  // The web dashboard (src/admin/dashboard.ts): the page, its files, and its live feed.
  ...Object.keys(DASHBOARD_FILES).map(
    (path): Route => ({
      key: `GET ${path}`,
      exposure: 'token',
      summary: path === '/' ? 'the web dashboard: per-worker charts of the last 15 minutes and the timeline, live' : "a file of the dashboard's page",
      status: 200,
      handle: () => {
        const file = dashboardFile(path);
        return new RawReply(200, file.contentType, file.body, DASHBOARD_HEADERS);
      },
    }),
  ),
  {
    key: 'GET /v1/events',
    exposure: 'token',
    summary: "the dashboard's live feed, as Server-Sent Events: the last 15 minutes' samples and timeline first, then each as it comes",
    status: 200,
    handle: ({ supervisor, req, res }) => {
      streamLive(supervisor, req, res);
      return undefined;
    },
  },
  json('GET /v1/ping', 'probe', 'whether the supervisor answers', () => ({ ok: true })),
  json('GET /v1/ready', 'probe', "where the app is: starting, up, degraded or stopping; ?wait=ms holds the answer until it is no longer starting", ({ supervisor, query }) =>
    supervisor.readiness(Math.min(MAX_WAIT_MS, Number(query.get('wait') ?? 0) || 0)),
  ),
  json('GET /v1/status', 'token', "every worker's state and figures, the app's totals, the supervisor's own memory", ({ supervisor, startedAt }) => ({
    supervisorPid: process.pid,
    startedAt,
    supervisorMemory: supervisorMemory(),
    script: supervisor.app.script,
    execMode: supervisor.app.exec_mode,
    ...supervisor.snapshot(),
  })),
  json('GET /v1/timeline', 'token', "the app's lifecycle events, oldest first; ?last=N: only the latest N", ({ supervisor, query }) => {
    const events = supervisor.timeline();
    // A live view asks every second: the latest few, not all 500.
    const last = Number(query.get('last'));
    return { name: supervisor.app.name, events: Number.isInteger(last) && last > 0 ? events.slice(-last) : events };
  }),
  json('GET /v1/describe', 'token', 'the config in effect (secrets masked), log files, workers and timeline', ({ supervisor, startedAt, socket }) => ({
    supervisorPid: process.pid,
    startedAt,
    socket,
    logFiles: supervisor.output.files(),
    // Secrets stay in the supervisor: values of KEY/SECRET/TOKEN/PASSWORD variables are masked.
    app: maskApp(supervisor.app),
    snapshot: supervisor.snapshot(),
    events: supervisor.timeline(),
  })),
  // How this app was started, secrets masked as describe masks them. `drover save`
  // reads the unmasked record from $DROVER_HOME/apps instead, a 0600 file: secrets never
  // cross the API. Owner only: an environment has no business on a network.
  json('GET /v1/command', 'owner', 'how the app was started: arguments, folder, environment (secrets masked)', ({ command }) => ({
    ...command,
    env: maskEnv(command.env),
  })),
  {
    key: 'GET /v1/logs',
    exposure: 'token',
    summary: "the app's lines, live, as NDJSON records, until the client goes or the supervisor stops",
    status: 200,
    handle: ({ supervisor, req, res }) => {
      // A log stream may be quiet for long: it is not an idle connection.
      req.socket.setTimeout(0);
      const unfollow = followLogs(supervisor, res);
      res.on('close', unfollow);
      return undefined;
    },
  },
  // 200 either way: the result says whether the reload finished, and why not.
  json('POST /v1/reload', 'token', 'a rolling reload; answers when it is done or stopped', ({ supervisor }) => supervisor.reload()),
  // Owner only: the body says which script to run and with what environment.
  json('POST /v1/update', 'owner', 'apply a changed config (JSON body: {app, baseEnv?}), then a rolling reload; answers when it is done', ({ supervisor, body }) => {
    const { app, baseEnv } = (body ?? {}) as { app?: AppOptions; baseEnv?: Record<string, string> };
    if (typeof app !== 'object' || app === null || app.name !== supervisor.app.name || typeof app.script !== 'string') {
      throw new DroverError('DROVER_E_INVALID_OPTION', `update: expected a body {"app": <the options of '${supervisor.app.name}'>}`);
    }
    return supervisor.update(app, baseEnv);
  }),
  json('POST /v1/restart', 'token', 'every worker drains and starts afresh; answers once every slot is up again', ({ supervisor }) => supervisor.restart()),
  json('POST /v1/scale', 'token', '?to=N workers, or ?by=+N/-N; answers once the new workers are up', ({ supervisor, query }) => {
    const by = query.get('by');
    return supervisor.scale(by !== null ? { by: Number(by) } : Number(query.get('to')));
  }),
  // PM2's env, reset and sendSignal. The environment is the owner's business only, as in GET /v1/command.
  json('GET /v1/env', 'owner', "?slot=N: the environment that worker was started with (secrets masked)", ({ supervisor, query }) => slotEnv(supervisor, query.get('slot') ?? '0')),
  json('POST /v1/reset', 'token', "every worker's restart count back to 0", ({ supervisor }) => {
    supervisor.resetRestarts();
    return { reset: supervisor.workers.length };
  }),
  json('POST /v1/signal', 'token', '?signal=SIGUSR2 to the worker of every slot; answers with the pids', ({ supervisor, query }) => {
    const signal = parseSignalName(query.get('signal') ?? '');
    return { signal, pids: supervisor.signal(signal) };
  }),
  // The app's message bus from outside (drover send): a config update, a cache flush.
  json('POST /v1/send', 'token', "?topic=name, JSON body: a message to every worker's on(topic) handlers; answers with how many workers it reached", ({ supervisor, query, body }) => {
    const topic = checkTopic(query.get('topic') ?? undefined, 'send', 'topic (?topic=name)');
    return { topic, workers: supervisor.bus.broadcast(topic, body ?? null, 'control') };
  }),
  json(
    'POST /v1/stop',
    'token',
    'a graceful stop, as on SIGTERM; answers at once',
    ({ supervisor }) => {
      setImmediate(() => supervisor.stop('stop requested through the control API'));
      return { stopping: true, killTimeoutMs: supervisor.app.kill_timeout };
    },
    202,
  ),
];

// What the worker in `slot` was given on top of the supervisor's own environment
// (which node:cluster and fork pass on too), secrets masked as describe masks them.
function slotEnv(supervisor: Supervisor, asked: string) {
  const worker = supervisor.workers.find((candidate) => String(candidate.slot) === asked);
  if (!worker) {
    const slots = supervisor.workers.map((candidate) => candidate.slot).join(', ') || 'none';
    throw new DroverError('DROVER_E_INVALID_OPTION', `${supervisor.app.name} has no worker in slot '${asked}'; its slots: ${slots}`);
  }
  const env = supervisor.workerEnv(worker.slot);
  return { slot: worker.slot, pid: worker.pid, env: maskEnv(env) };
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
// Ends with the supervisor: its output closes after its last line.
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
