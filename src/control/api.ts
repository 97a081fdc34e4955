import type { AppOptions } from '../config/index.js';
import type { LogFiles } from '../log/app-output.js';
import type { AppSnapshot, ProbeReadiness, Readiness, ReloadResult, TimelineEvent } from '../supervisor/index.js';

// The control API's routes and what each answers: one place that the supervisor's
// route table and the CLI's client both type against.

/**
 * Who may call a route. `owner`: the owner's Unix socket only. `token`: also a TCP
 * admin listener, with its bearer token. `probe`: also a TCP admin listener, to anyone
 * (health probes).
 */
export type Exposure = 'owner' | 'token' | 'probe';

/** The supervisor process itself: its pid, start and memory. */
export interface SupervisorFacts {
  supervisorPid: number;
  startedAt: number;
}

export interface StatusResponse extends AppSnapshot, SupervisorFacts {
  /** The supervisor's own memory, to watch it as PM2 users watch their daemon. */
  supervisorMemory: { rss: number; heapTotal: number; heapUsed: number; external: number };
  script: string;
  execMode: string;
}

export interface DescribeResponse extends SupervisorFacts {
  socket: string;
  logFiles: LogFiles;
  /** The config in effect, secrets masked. */
  app: AppOptions;
  snapshot: AppSnapshot;
  events: TimelineEvent[];
}


/** How the app was started: arguments, folder and environment (secrets masked). */
export interface CommandResponse {
  name: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface RouteResponses {
  'GET /healthz': { ok: true; app: string; supervisorPid: number; uptimeMs: number };
  /** 503 (with this body) when not ready. */
  'GET /readyz': ProbeReadiness;
  /** Text, not JSON: the Prometheus text format. */
  'GET /metrics': string;
  'GET /v1/ping': { ok: true };
  'GET /v1/status': StatusResponse;
  'GET /v1/ready': Readiness;
  'GET /v1/timeline': { name: string; events: TimelineEvent[] };
  'GET /v1/describe': DescribeResponse;
  'GET /v1/command': CommandResponse;
  'POST /v1/reload': ReloadResult;
  'POST /v1/update': ReloadResult & { changed: string[] };
  'POST /v1/restart': { restarting: number; notUp: number[] };
  'POST /v1/scale': { from: number; to: number };
  'POST /v1/stop': { stopping: true; killTimeoutMs: number };
  'GET /v1/env': WorkerEnvResponse;
  'POST /v1/reset': { reset: number };
  'POST /v1/signal': { signal: string; pids: number[] };
  'POST /v1/send': { topic: string; workers: number };
}

/** The environment one worker was started with (`drover env`), secrets masked. */
export interface WorkerEnvResponse {
  slot: number;
  pid: number;
  env: Record<string, string>;
}

/** "GET /v1/status": a route that answers (JSON, but for GET /metrics; GET /v1/logs streams NDJSON instead). */
export type RouteKey = keyof RouteResponses;

/** What a refused request answers, with a status of 400 or more. */
export interface ErrorResponse {
  error: string;
}
