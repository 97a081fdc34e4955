import { DroverError } from '../errors/index.js';
import type { BusSender, CodedError, WireValue } from '../ipc/messages.js';
import { checkDuration, checkInteger, checkTopic, decodeValue, encodeValue, toCodedError } from '../ipc/values.js';

// The worker's side of the app's message bus (drover/worker's broadcast, send, request
// and on). Data is checked and serialized here, in the caller's worker, so that a value
// that cannot be sent is an error at the caller's line.

/** What a handler is told besides the data: the topic, and who sent it. */
export interface BusMessageInfo {
  topic: string;
  /** The sender's slot (NODE_APP_INSTANCE), 'supervisor', or 'control' (`drover send`). */
  from: BusSender;
}

/** A handler for a topic; for a request, what it returns (or its promise resolves to) is the answer. */
export type BusHandler = (data: unknown, info: BusMessageInfo) => unknown;

export interface RequestOptions {
  /** How long to wait for the answer: ms or "2s"; 5 s if not given. */
  timeout?: number | string;
}

/** How the bus reaches the other workers: the supervisor's channel, or nothing outside drover. */
export interface BusTransport {
  post(to: 'others' | number, topic: string, data: WireValue): void;
  /** Resolves with the answer; rejects with a DroverError. */
  request(topic: string, data: WireValue, timeoutMs: number): Promise<WireValue>;
  listen(topic: string, on: boolean): void;
  answer(id: number, answer: { ok: true; data: WireValue } | { ok: false; error: CodedError }): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export class Bus {
  readonly #transport: BusTransport;
  readonly #handlers = new Map<string, Set<BusHandler>>();

  constructor(transport: BusTransport) {
    this.#transport = transport;
  }

  /** Run `handler` for every message and request on `topic`; returns the function that stops it. */
  on(topic: string, handler: BusHandler): () => void {
    checkTopic(topic, 'on()');
    if (typeof handler !== 'function') throw new DroverError('DROVER_E_INVALID_ARGUMENT', `on('${topic}'): expected a handler function, got ${typeof handler}`);
    const handlers = this.#handlers.get(topic) ?? new Set();
    if (handlers.size === 0) this.#transport.listen(topic, true);
    handlers.add(handler);
    this.#handlers.set(topic, handlers);
    return () => {
      if (handlers.delete(handler) && handlers.size === 0) {
        this.#handlers.delete(topic);
        this.#transport.listen(topic, false);
      }
    };
  }

  /** Send `data` to every other live worker of the app. */
  broadcast(topic: string, data?: unknown): void {
    checkTopic(topic, 'broadcast()');
    this.#transport.post('others', topic, encodeValue(data, `broadcast('${topic}')`));
  }

  /** Send `data` to the worker of one slot (NODE_APP_INSTANCE); dropped if that slot has no live worker. */
  send(slot: number, topic: string, data?: unknown): void {
    checkInteger(slot, 'send()', "a worker's slot (its NODE_APP_INSTANCE, 0 or more)", 0);
    checkTopic(topic, `send(${slot})`);
    this.#transport.post(slot, topic, encodeValue(data, `send(${slot}, '${topic}')`));
  }

  /** Ask one other worker that listens on `topic` (or the supervisor) and resolve with its answer. */
  async request(topic: string, data?: unknown, options: RequestOptions = {}): Promise<unknown> {
    checkTopic(topic, 'request()');
    const timeoutMs = options.timeout === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : checkDuration(options.timeout, `request('${topic}')`, 'a timeout');
    return decodeValue(await this.#transport.request(topic, encodeValue(data, `request('${topic}')`), timeoutMs));
  }

  /** A message for this worker: every handler of its topic runs; one that throws is reported, never fatal. */
  deliver(topic: string, data: WireValue, from: BusSender): void {
    const handlers = this.#handlers.get(topic);
    if (!handlers) return;
    const value = decodeValue(data);
    for (const handler of handlers) {
      try {
        void Promise.resolve(handler(value, { topic, from })).catch((error: unknown) => reportHandlerError(topic, error));
      } catch (error) {
        reportHandlerError(topic, error);
      }
    }
  }

  /** A request for this worker: the first handler of its topic answers. */
  async ask(id: number, topic: string, data: WireValue, from: BusSender): Promise<void> {
    const handler = this.#handlers.get(topic)?.values().next().value;
    if (!handler) {
      this.#transport.answer(id, { ok: false, error: { code: 'DROVER_E_NO_RESPONDER', message: `request('${topic}'): worker ${process.env.NODE_APP_INSTANCE ?? '?'} no longer listens on it` } });
      return;
    }
    try {
      const answer = await handler(decodeValue(data), { topic, from });
      this.#transport.answer(id, { ok: true, data: encodeValue(answer, `the answer to request('${topic}')`) });
    } catch (error) {
      const coded = toCodedError(error, 'DROVER_E_REQUEST_FAILED');
      const message = coded.code === 'DROVER_E_REQUEST_FAILED' ? `request('${topic}'): the handler in worker ${process.env.NODE_APP_INSTANCE ?? '?'} threw: ${coded.message}` : coded.message;
      this.#transport.answer(id, { ok: false, error: { code: coded.code, message } });
    }
  }
}

function reportHandlerError(topic: string, error: unknown): void {
  process.stderr.write(`drover: a handler of '${topic}' failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}
