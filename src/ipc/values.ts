import v8 from 'node:v8';
import { parseDuration } from '../config/units.js';
import { DroverError, isDroverError } from '../errors/index.js';
import type { ErrorCode } from '../errors/catalog.js';
import { MAX_KEY_BYTES, MAX_TOPIC_LENGTH, MAX_VALUE_BYTES, type CodedError, type WireValue } from './messages.js';

// What the worker API lets cross the channel: values (bus messages, store values) and
// the names that go with them, checked in the worker that sends them, so that a bad
// one is a clear error at the caller's line and never reaches the supervisor.

/**
 * Encode a value for the channel and the store: a safe integer as itself (what
 * `incr` counts, and what Redis keeps as a number), anything else with v8.serialize,
 * the structured clone algorithm, in base64. Throws DROVER_E_MESSAGE_VALUE for what
 * cannot be cloned (a function, a symbol) or is over MAX_VALUE_BYTES.
 */
export function encodeValue(value: unknown, where: string): WireValue {
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return value;
  let bytes: Buffer;
  try {
    bytes = v8.serialize(value);
  } catch (error) {
    throw new DroverError(
      'DROVER_E_MESSAGE_VALUE',
      `${where}: expected structured-clone-able data (objects, arrays, strings, numbers, booleans, null, Date, Map, Set, Buffer), got ${describeUncloneable(value)} (${(error as Error).message}); send plain data (not a function, a symbol or a class with methods)`,
    );
  }
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new DroverError('DROVER_E_MESSAGE_VALUE', `${where}: the value is ${bytes.length} bytes serialized; at most ${MAX_VALUE_BYTES} (1 MiB): keep large data in a file or a database and send its name`);
  }
  return bytes.toString('base64');
}

/** The value a WireValue stands for (a fresh copy each time). */
export function decodeValue(wire: WireValue): unknown {
  return typeof wire === 'number' ? wire : v8.deserialize(Buffer.from(wire, 'base64'));
}

/** Whether raw bytes are a v8-serialized value: they start with its version tag, never a digit or text. */
export function isSerialized(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff;
}

// "a function", or "an object holding a function at .user.save", to find the culprit.
function describeUncloneable(value: unknown, path = ''): string {
  const kind = (v: unknown) => (typeof v === 'function' ? 'a function' : typeof v === 'symbol' ? 'a symbol' : undefined);
  const found = (function walk(v: unknown, at: string, depth: number): string | undefined {
    const own = kind(v);
    if (own) return at ? `${own} at ${at}` : own;
    if (typeof v !== 'object' || v === null || depth > 8) return undefined;
    for (const [key, child] of Object.entries(v)) {
      const inner = walk(child, `${at}.${key}`, depth + 1);
      if (inner) return inner;
    }
    return undefined;
  })(value, path, 0);
  return found ?? `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
}

/** A store key: a non-empty string of at most MAX_KEY_BYTES in UTF-8, else DROVER_E_STORE_KEY. */
export function checkKey(key: unknown, where: string): string {
  if (typeof key === 'string' && key.length > 0 && Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  const got = typeof key === 'string' ? (key.length === 0 ? 'an empty string' : `a string of ${Buffer.byteLength(key)} bytes`) : describeArgument(key);
  throw new DroverError('DROVER_E_STORE_KEY', `${where}: expected a key, a non-empty string of at most ${MAX_KEY_BYTES} bytes, got ${got}; hash a longer one (crypto.createHash('sha1'))`);
}

/** A bus topic or store channel: a non-empty string of at most MAX_TOPIC_LENGTH characters. */
export function checkTopic(topic: unknown, where: string, what = 'topic'): string {
  if (typeof topic === 'string' && topic.length > 0 && topic.length <= MAX_TOPIC_LENGTH) return topic;
  throw new DroverError('DROVER_E_INVALID_ARGUMENT', `${where}: expected a ${what}, a non-empty string of at most ${MAX_TOPIC_LENGTH} characters, got ${describeArgument(topic)}`);
}

/** A time to live or timeout: milliseconds (a positive integer) or a duration like "10m". */
export function checkDuration(value: unknown, where: string, what: string): number {
  const ms = parseDuration(value);
  if (ms !== undefined && ms >= 1 && Number.isSafeInteger(ms)) return ms;
  throw new DroverError('DROVER_E_INVALID_ARGUMENT', `${where}: expected ${what} in milliseconds (a positive integer) or like "10m", got ${describeArgument(value)}`);
}

/** An integer argument (a slot, an increment). */
export function checkInteger(value: unknown, where: string, what: string, min = Number.MIN_SAFE_INTEGER): number {
  if (Number.isSafeInteger(value) && (value as number) >= min) return value as number;
  throw new DroverError('DROVER_E_INVALID_ARGUMENT', `${where}: expected ${what}, got ${describeArgument(value)}`);
}

/** "'abc' (string)", "undefined", "[object Object]"-free descriptions for messages. */
export function describeArgument(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}' (string)`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value} (${typeof value})`;
  return typeof value === 'function' ? 'a function' : `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
}

/** An error as it crosses the channel: our coded ones as they are, anything else under `fallback`. */
export function toCodedError(error: unknown, fallback: ErrorCode): CodedError {
  if (isDroverError(error)) return { code: error.code, message: error.message };
  return { code: fallback, message: error instanceof Error ? error.message : String(error) };
}

/** The error a coded error stands for, rethrown on the caller's side. */
export function fromCodedError(error: CodedError): DroverError {
  return new DroverError(error.code as ErrorCode, error.message);
}
