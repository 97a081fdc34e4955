// The messages drover's supervisor and worker runtime exchange over the worker's IPC
// channel. The app shares that channel (process.send, process.on('message')), so
// drover's messages travel as Node's internal messages, as node:cluster's own do:
// a `cmd` starting with `NODE_` makes Node emit them as 'internalMessage' on both
// sides, never as 'message'. The app never sees drover's protocol, and nothing the
// app sends is ever read as drover's (apart from PM2's 'ready', which is meant for us).

/** The `cmd` of every drover message; Node reserves the NODE_ prefix for internal messages. */
export const PROTOCOL_CMD = 'NODE_DROVER';
export const PROTOCOL_VERSION = 1;

/** The longest store key, in UTF-8 bytes (Redis allows more; a longer key is better hashed). */
export const MAX_KEY_BYTES = 1024;
/** The largest value a store holds or the bus carries, serialized: the embedded store lives in the supervisor that every worker shares. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** The longest bus topic or store channel name, in characters. */
export const MAX_TOPIC_LENGTH = 256;

/**
 * Set by the supervisor in each worker's environment: the runtime's settings as JSON.
 * The worker runtime reads and removes it at once, so the app's own children never
 * inherit it.
 */
export const RUNTIME_VARIABLE = 'DROVER_RUNTIME';

/** What the worker runtime is told at start. */
export interface RuntimeSettings {
  /** How often to report figures (the heartbeat), ms; 0 turns reports off. */
  statsInterval: number;
  /**
   * The app's kill_timeout: how long a worker whose supervisor is gone may drain, and
   * what its WebSocket closes must finish well before.
   */
  killTimeout: number;
  /** The signal the app hears when drover stops it (kill_signal); undefined: the one it listens for. */
  killSignal: string | undefined;
  /**
   * The supervisor balances connections itself (balance other than round-robin): the
   * app's TCP servers do not bind; the supervisor hands them each connection.
   */
  balanced?: boolean;
  /** The worker's slot, where Socket.IO session ids are tagged with it (sticky_key: sid). */
  sidSlot?: number;
  /** Time every HTTP request for the request duration histogram (request_metrics; on unless false). */
  requestMetrics?: boolean;
  /** ws_close_window: how long a drain spreads its WebSocket closes over, ms; undefined: half of killTimeout. */
  wsCloseWindow?: number;
}

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
export type ListenAddress =
  /** `tls`: the server terminates TLS itself (an https or tls server), so what it reads is encrypted on the wire. */
  | { address: string; family: string; port: number; tls?: boolean }
  | { path: string };

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
  health: HealthVerdict;
  /** How long the requests counted in requestsServed took, since the worker started; absent with request_metrics off. */
  requestDurations?: DurationCounts;
}

/**
 * A request duration histogram as counted in a worker since it started: `counts[i]`
 * requests took at most REQUEST_BUCKETS[i] seconds and more than the bucket before it;
 * the last count is those above every bucket. `sum` is in seconds.
 */
export interface DurationCounts {
  counts: number[];
  sum: number;
}

/**
 * One metric of the app's own prom-client registry, as `register.getMetricsAsJSON()`
 * gives it: what prom-client's AggregatorRegistry.aggregate() takes.
 */
export interface AppMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/**
 * The upper bounds, in seconds, of the request duration histogram the runtime keeps
 * (Prometheus' client libraries' default buckets, which suit web requests).
 */
export const REQUEST_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A worker's counters of the moment: the requests its runtime counted, and the app's own prom-client metrics. */
export interface MetricsReport {
  requestsServed: number;
  requestDurations?: DurationCounts;
  /** The app's prom-client default registry; absent when the app has not loaded prom-client. */
  app?: AppMetric[];
  /** Why the app's metrics could not be read (a collect function threw). */
  appError?: string;
}

/** What the app's health check said; undefined: the app registered none. */
export type HealthVerdict = { ok: true } | { ok: false; reason: string } | undefined;

export type WorkerMessage =
  /**
   * The runtime is listening for drover's messages. Messages that arrive before a
   * listener is attached are lost (Node does not keep them), and the runtime loads
   * while the worker's event loop already runs: the supervisor sends nothing before this.
   */
  | { type: 'online' }
  /** Figures for the last interval: also the heartbeat. */
  | { type: 'stats'; stats: WorkerStats }
  /** One of the app's servers is listening. */
  | { type: 'listening'; address: ListenAddress }
  /** An exception is about to kill the worker; sent before Node prints it. */
  | { type: 'fatal'; error: SerializedError }
  /**
   * The drain began: the worker's listeners are closed, and this is what is still
   * open. A request: the supervisor's `ack` comes after everything node:cluster had
   * already sent this worker, so from then on no connection can be on its way to it.
   */
  | { type: 'draining'; report: DrainReport }
  /** Everything closed; the worker exits next. */
  | { type: 'drained'; report: DrainReport }
  /** A balanced connection (`conn` with its handle) was taken by the app's server, or refused (no server on that port any more). */
  | {
      type: 'took';
      id: number;
      accepted: boolean;
      /** Balanced connections closed since the last report, carried here to save a `closed` message. */
      closed?: number;
    }
  /** This many balanced connections closed since the last report (least-connections counts them). */
  | { type: 'closed'; count: number }
  /** The answer to `check`: what the app's health check says now. */
  | { type: 'health'; health: HealthVerdict }
  /** The app's bus: a message for every other worker of the app (`to: 'others'`) or for the worker of one slot. */
  | { type: 'bus'; to: 'others' | number; topic: string; data: WireValue }
  /** The app's bus: a request, answered (`result`) by one other worker that listens on the topic, or by the supervisor. */
  | { type: 'bus-request'; topic: string; data: WireValue; timeoutMs: number }
  /** The app's bus: this worker answers requests on `topic` (`on`), or no longer does. */
  | { type: 'bus-listen'; topic: string; on: boolean }
  /** The app's bus: this worker's answer to `bus-ask` number `id`. */
  | { type: 'bus-answer'; id: number; ok: true; data: WireValue }
  | { type: 'bus-answer'; id: number; ok: false; error: CodedError }
  /** A store operation (a request): the supervisor answers `result`. */
  | { type: 'store'; call: StoreCall }
  /**
   * The answer to `metrics`; also sent unasked once a drain has ended, just before
   * `drained`, so that the last counts of a worker that leaves are known.
   */
  | { type: 'metrics'; report: MetricsReport };

/**
 * A value as it crosses the channel and sits in the embedded store: a safe integer as
 * itself (what `incr` counts), anything else serialized with v8.serialize (the
 * structured clone algorithm), in base64, so that it travels in Node's JSON IPC.
 */
export type WireValue = number | string;

/** An error with a stable code, as it crosses the channel. */
export interface CodedError {
  code: string;
  message: string;
}

/** One store operation. Keys and channels are checked by the worker, and again by the guard. */
export type StoreCall =
  | { op: 'get'; key: string }
  | { op: 'set'; key: string; value: WireValue; ttl?: number }
  | { op: 'del'; key: string }
  | { op: 'incr'; key: string; by: number }
  | { op: 'expire'; key: string; ttl: number }
  | { op: 'keys'; prefix: string }
  | { op: 'publish'; channel: string; data: WireValue }
  | { op: 'subscribe'; channel: string }
  | { op: 'unsubscribe'; channel: string };

/** What a store operation answers: a value, a flag, a count, a key list, or nothing. */
export type StoreAnswer = WireValue | boolean | string[] | undefined;

/**
 * A balanced connection for the app's server on `port`: sent by the supervisor with the
 * client's socket handle, outside the channel (a handle travels as the second argument
 * of Node's send). The runtime answers `took`.
 */
export interface ConnectionMessage {
  cmd: typeof PROTOCOL_CMD;
  v: typeof PROTOCOL_VERSION;
  type: 'conn';
  id: number;
  port: number;
  /** The bytes the supervisor read to find a sticky key (latin1): the app's server reads them first. */
  head?: string;
}

/** What a drain is for, as the worker is told. */
export type DrainReason = 'stop' | 'reload' | 'scale' | 'restart';

export type SupervisorMessage =
  /**
   * Stop accepting connections, finish what is in flight, then exit. With
   * `notifyApp` the app also receives the message 'shutdown' (PM2's
   * shutdown_with_message). The reason picks the close code WebSocket clients get.
   */
  | { type: 'shutdown'; reason: DrainReason; notifyApp: boolean }
  /** The answer to a request (its `seq` in `ack`). */
  | { type: 'ack' }
  /**
   * Run the app's health check now, allowing it `timeoutMs`, and answer `health`: a
   * surge reload asks each new worker before any traffic moves to it.
   */
  | { type: 'check'; timeoutMs: number }
  /** The answer to a `store` or `bus-request` request (its `seq` in `ack`): a value, or a coded error. */
  | { type: 'result'; ok: true; value?: StoreAnswer }
  | { type: 'result'; ok: false; error: CodedError }
  /** The app's bus: a message for this worker, from another worker's slot, the supervisor, or `drover send`. */
  | { type: 'bus'; topic: string; data: WireValue; from: BusSender }
  /** The app's bus: a request for this worker to answer with `bus-answer` and the same `id`. */
  | { type: 'bus-ask'; id: number; topic: string; data: WireValue; from: BusSender }
  /** The store: a message published on a channel this worker subscribed to. */
  | { type: 'store-message'; channel: string; data: WireValue }
  /** Answer `metrics` with the worker's counters and the app's prom-client metrics (a scrape of /metrics). */
  | { type: 'metrics' };

/** Who sent a bus message: a worker's slot, the supervisor itself, or the control API (`drover send`). */
export type BusSender = number | 'supervisor' | 'control';

/** Either side's message on the wire: the internal `cmd`, the version and a sequence number. */
export type Envelope<M> = M & {
  cmd: typeof PROTOCOL_CMD;
  v: typeof PROTOCOL_VERSION;
  seq: number;
  /** The `seq` of the message this one answers. */
  ack?: number;
};

/** Whether a raw internal message is drover's (its payload still unchecked). */
export function isDroverMessage(value: unknown): value is { cmd: typeof PROTOCOL_CMD } & Record<string, unknown> {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).cmd === PROTOCOL_CMD;
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
