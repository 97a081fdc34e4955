// The messages drover's supervisor and worker runtime exchange over the cluster IPC
// channel. The app may use the same channel (process.send), so every message of ours
// carries the `drover` tag and everything else is left alone.

export const PROTOCOL_TAG = 'drover';

/** Set by the supervisor in each worker's environment; the worker runtime removes it at once. */
export const RUNTIME_MARKER = 'DROVER_RUNTIME';
/** The stats interval in ms, passed to the worker runtime the same way; 0 turns reports off. */
export const STATS_INTERVAL_VARIABLE = 'DROVER_STATS_INTERVAL';
export const PROTOCOL_VERSION = 1;

/** An error as it crosses the process boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** Set on listen errors (EADDRINUSE, EACCES). */
  port?: number;
  address?: string;
  stack?: string;
}

/** Figures a draining worker reports. */
export interface DrainReport {
  /** Requests that were still in flight when the drain began. */
  inFlightAtStart: number;
  /** Connections open when the drain began (HTTP, upgraded and raw TCP). */
  connectionsAtStart: number;
  /** Idle keep-alive connections closed by drover after the idle grace. */
  idleClosed: number;
}

/** Where a server listens: a TCP address, or a Unix socket / named pipe path. */
export type ListenAddress = { address: string; family: string; port: number } | { path: string };

/** What a worker reports every stats interval; it doubles as its heartbeat. */
export interface WorkerStats {
  /** Resident memory, bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** User + system CPU since the last report, as a percentage of one core. */
  cpuPercent: number;
  /** Event-loop delay since the last report, ms. */
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** Requests received by the app's HTTP servers since the worker started. */
  requestsServed: number;
  requestsInFlight: number;
  connections: number;
  uptimeMs: number;
  /** The app's own health check (drover/worker healthCheck), if it registered one. */
  health: { ok: true } | { ok: false; reason: string } | undefined;
}

export type WorkerMessage =
  /** Figures for the last interval: also the heartbeat. */
  | { type: 'stats'; stats: WorkerStats }
  /** One of the app's servers is listening. */
  | { type: 'listening'; address: ListenAddress }
  /** An exception is about to kill the worker; sent before Node prints it. */
  | { type: 'fatal'; error: SerializedError }
  /** The drain began: what is still open. */
  | { type: 'draining'; report: DrainReport }
  /** Everything closed; the worker exits next. Replies to `shutdown`. */
  | { type: 'drained'; report: DrainReport };

export type SupervisorMessage =
  /**
   * Stop accepting connections, finish what is in flight, then exit. With
   * `notifyApp` the app also receives the message 'shutdown' (PM2's
   * shutdown_with_message).
   */
  | { type: 'shutdown'; reason: 'stop' | 'reload' | 'scale' | 'restart'; notifyApp: boolean }
  /**
   * Answers `drained`: the worker may exit. Messages on the channel arrive in order,
   * so by now node:cluster has handled the worker's "server closed" and every
   * connection it had already sent the worker has reached it (and been handed back).
   */
  | { type: 'exit' };

/** The envelope around either side's messages: tag, version and a sequence number. */
export type Envelope<M> = M & {
  [PROTOCOL_TAG]: typeof PROTOCOL_VERSION;
  seq: number;
  /** The `seq` of the message this one answers. */
  ack?: number;
};

export function isEnvelope<M extends { type: string }>(value: unknown): value is Envelope<M> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>)[PROTOCOL_TAG] === PROTOCOL_VERSION &&
    typeof (value as Record<string, unknown>).type === 'string' &&
    typeof (value as Record<string, unknown>).seq === 'number'
  );
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as Error & { code?: unknown; port?: unknown; address?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(typeof fields.port === 'number' ? { port: fields.port } : {}),
    ...(typeof fields.address === 'string' ? { address: fields.address } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}
