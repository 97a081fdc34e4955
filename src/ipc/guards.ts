import { MAX_KEY_BYTES, MAX_TOPIC_LENGTH, MAX_VALUE_BYTES, PROTOCOL_VERSION, REQUEST_BUCKETS, type Envelope, type SupervisorMessage, type WorkerMessage } from './messages.js';

// One guard per message type: a message whose envelope or payload does not have the
// documented shape is dropped (and recorded by the receiver), never dispatched. The
// supervisor must survive anything a worker process sends, buggy or hostile.

type Fields = Record<string, unknown>;
type Guard = (message: Fields) => string | undefined;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isString = (value: unknown): value is string => typeof value === 'string';

/** The first of `fields` in `object` that is not a finite number. */
function notNumbers(object: unknown, fields: readonly string[], where: string): string | undefined {
  if (!isObject(object)) return `${where} is missing`;
  const bad = fields.find((field) => !isNumber(object[field]));
  return bad === undefined ? undefined : `${where}.${bad} is not a number`;
}

// Strings are measured in UTF-16 units here (a UTF-8 byte count is at least that); the worker checks bytes exactly.
const isName = (value: unknown, max: number): value is string => isString(value) && value.length > 0 && value.length <= max;
const isTopic = (value: unknown) => isName(value, MAX_TOPIC_LENGTH);
const isKey = (value: unknown) => isName(value, MAX_KEY_BYTES);
// A safe integer, or base64 of at most MAX_VALUE_BYTES.
const isWireValue = (value: unknown) => Number.isSafeInteger(value) || (isString(value) && value.length <= Math.ceil(MAX_VALUE_BYTES / 3) * 4);
const isTtl = (value: unknown) => Number.isSafeInteger(value) && (value as number) > 0;
const isSender = (value: unknown) => value === 'supervisor' || value === 'control' || (Number.isInteger(value) && (value as number) >= 0);
const isCodedError = (value: unknown) => isObject(value) && isString(value.code) && isString(value.message);

const STORE_CALLS: Record<string, (call: Fields) => boolean> = {
  get: (c) => isKey(c.key),
  set: (c) => isKey(c.key) && isWireValue(c.value) && (c.ttl === undefined || isTtl(c.ttl)),
  del: (c) => isKey(c.key),
  incr: (c) => isKey(c.key) && Number.isSafeInteger(c.by),
  expire: (c) => isKey(c.key) && isTtl(c.ttl),
  keys: (c) => isString(c.prefix) && c.prefix.length <= MAX_KEY_BYTES,
  publish: (c) => isTopic(c.channel) && isWireValue(c.data),
  subscribe: (c) => isTopic(c.channel),
  unsubscribe: (c) => isTopic(c.channel),
};

const drainReport: Guard = (m) => notNumbers(m.report, ['inFlightAtStart', 'connectionsAtStart', 'idleClosed'], 'report');

// undefined (the app has no health check), { ok: true }, or { ok: false, reason }.
function badHealth(health: unknown, where: string): string | undefined {
  if (health === undefined) return undefined;
  if (!isObject(health) || typeof health.ok !== 'boolean' || (health.ok === false && !isString(health.reason))) return `${where} is malformed`;
  return undefined;
}

// counts per bucket (and one above them all), and their sum in seconds; absent with request_metrics off.
function badDurations(durations: unknown, where: string): string | undefined {
  if (durations === undefined) return undefined;
  if (!isObject(durations) || !isNumber(durations.sum) || durations.sum < 0) return `${where} is malformed`;
  const { counts } = durations;
  if (!Array.isArray(counts) || counts.length !== REQUEST_BUCKETS.length + 1 || !counts.every((n) => isNumber(n) && n >= 0)) return `${where}.counts is malformed`;
  return undefined;
}

const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary'];
/** More than this many of the app's metrics (or values of one) is not a registry, it is a flood. */
const MAX_APP_METRICS = 100_000;

// The app's prom-client metrics, as getMetricsAsJSON() gives them. A value may be null:
// NaN and Infinity cross a JSON channel as null (the collector leaves those out).
function badAppMetrics(metrics: unknown): string | undefined {
  if (metrics === undefined) return undefined;
  if (!Array.isArray(metrics) || metrics.length > MAX_APP_METRICS) return 'report.app is malformed';
  for (const metric of metrics as unknown[]) {
    if (!isObject(metric) || !isString(metric.name) || !isString(metric.help) || !isString(metric.aggregator)) return 'report.app has a malformed metric';
    if (!METRIC_TYPES.includes(metric.type as string)) return `report.app: ${metric.name} has an unknown type`;
    const { values } = metric;
    if (!Array.isArray(values) || values.length > MAX_APP_METRICS) return `report.app: ${metric.name} has malformed values`;
    for (const value of values as unknown[]) {
      if (!isObject(value) || !(isNumber(value.value) || value.value === null) || !isObject(value.labels)) return `report.app: ${metric.name} has a malformed value`;
      if (value.metricName !== undefined && !isString(value.metricName)) return `report.app: ${metric.name} has a malformed value`;
      if (!Object.values(value.labels).every((label) => isString(label) || isNumber(label))) return `report.app: ${metric.name} has a malformed label`;
    }
  }
  return undefined;
}

const WORKER_GUARDS: Record<WorkerMessage['type'], Guard> = {
  online: () => undefined,
  stats: ({ stats }) => {
    const figures = notNumbers(stats, ['rss', 'heapUsed', 'heapTotal', 'cpuPercent', 'requestsServed', 'requestsInFlight', 'connections', 'uptimeMs'], 'stats');
    if (figures) return figures;
    const { eventLoopDelay, health } = stats as Fields;
    const delay = notNumbers(eventLoopDelay, ['p50', 'p99', 'max'], 'stats.eventLoopDelay');
    return delay ?? badHealth(health, 'stats.health') ?? badDurations((stats as Fields).requestDurations, 'stats.requestDurations');
  },
  listening: ({ address }) => {
    if (!isObject(address)) return 'address is missing';
    if (isString(address.path)) return undefined;
    const tls = address.tls === undefined || typeof address.tls === 'boolean';
    return isString(address.address) && isString(address.family) && isNumber(address.port) && tls ? undefined : 'address is malformed';
  },
  fatal: ({ error }) => (isObject(error) && isString(error.name) && isString(error.message) ? undefined : 'error is malformed'),
  draining: drainReport,
  drained: drainReport,
  took: ({ id, accepted, closed }) => (isNumber(id) && typeof accepted === 'boolean' && (closed === undefined || isNumber(closed)) ? undefined : 'id, accepted or closed is malformed'),
  closed: ({ count }) => (isNumber(count) && count >= 0 ? undefined : 'count is malformed'),
  health: ({ health }) => badHealth(health, 'health'),
  bus: ({ to, topic, data }) => ((to === 'others' || (Number.isInteger(to) && (to as number) >= 0)) && isTopic(topic) && isWireValue(data) ? undefined : 'to, topic or data is malformed'),
  'bus-request': ({ topic, data, timeoutMs }) => (isTopic(topic) && isWireValue(data) && isTtl(timeoutMs) ? undefined : 'topic, data or timeoutMs is malformed'),
  'bus-listen': ({ topic, on }) => (isTopic(topic) && typeof on === 'boolean' ? undefined : 'topic or on is malformed'),
  'bus-answer': ({ id, ok, data, error }) => (isNumber(id) && (ok === true ? isWireValue(data) : ok === false && isCodedError(error)) ? undefined : 'id, ok, data or error is malformed'),
  store: ({ call }) => (isObject(call) && isString(call.op) && STORE_CALLS[call.op]?.(call) === true ? undefined : `call is malformed (${isObject(call) ? String(call.op) : 'missing'})`),
  metrics: ({ report }) => {
    if (!isObject(report) || !isNumber(report.requestsServed)) return 'report is malformed';
    if (report.appError !== undefined && !isString(report.appError)) return 'report.appError is malformed';
    return badDurations(report.requestDurations, 'report.requestDurations') ?? badAppMetrics(report.app);
  },
};

const SUPERVISOR_GUARDS: Record<SupervisorMessage['type'], Guard> = {
  shutdown: ({ reason, notifyApp }) =>
    ['stop', 'reload', 'scale', 'restart'].includes(reason as string) && typeof notifyApp === 'boolean' ? undefined : 'reason or notifyApp is malformed',
  ack: () => undefined,
  check: ({ timeoutMs }) => (isNumber(timeoutMs) && timeoutMs > 0 ? undefined : 'timeoutMs is malformed'),
  result: ({ ok, error }) => (ok === true || (ok === false && isCodedError(error)) ? undefined : 'ok or error is malformed'),
  bus: ({ topic, data, from }) => (isTopic(topic) && isWireValue(data) && isSender(from) ? undefined : 'topic, data or from is malformed'),
  'bus-ask': ({ id, topic, data, from }) => (isNumber(id) && isTopic(topic) && isWireValue(data) && isSender(from) ? undefined : 'id, topic, data or from is malformed'),
  'store-message': ({ channel, data }) => (isTopic(channel) && isWireValue(data) ? undefined : 'channel or data is malformed'),
  metrics: () => undefined,
};

/** A message that passed its guard, or why it did not. */
export type Checked<M> = { ok: true; message: Envelope<M> } | { ok: false; why: string };

function check<M extends { type: string }>(raw: Fields, guards: Record<string, Guard>): Checked<M> {
  if (raw.v !== PROTOCOL_VERSION) return { ok: false, why: `protocol version ${String(raw.v)}, expected ${PROTOCOL_VERSION}` };
  if (!isNumber(raw.seq) || (raw.ack !== undefined && !isNumber(raw.ack))) return { ok: false, why: 'no sequence number' };
  const guard = isString(raw.type) ? guards[raw.type] : undefined;
  if (!guard) return { ok: false, why: `unknown type ${JSON.stringify(raw.type)}` };
  const why = guard(raw);
  return why === undefined ? { ok: true, message: raw as unknown as Envelope<M> } : { ok: false, why: `${raw.type}: ${why}` };
}

/** Check a message that came from a worker. */
export const checkWorkerMessage = (raw: Fields): Checked<WorkerMessage> => check<WorkerMessage>(raw, WORKER_GUARDS);

/** Check a message that came from the supervisor. */
export const checkSupervisorMessage = (raw: Fields): Checked<SupervisorMessage> => check<SupervisorMessage>(raw, SUPERVISOR_GUARDS);
