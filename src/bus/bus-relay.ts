import type { BusSender, CodedError, WireValue } from '../ipc/messages.js';
import { decodeValue, encodeValue, toCodedError } from '../ipc/values.js';
import type { WorkerView } from '../supervisor/worker-handle.js';
import type { WorkerPool } from '../supervisor/worker-pool.js';

// The supervisor's side of the app's message bus: it passes workers' messages on to the
// other workers (or one slot's), routes a request to one worker that listens on its
// topic (or answers it itself), and sends the answer back. What it keeps per request is
// dropped when the answer comes, when the request's time is up, or when either worker
// exits: a worker that dies with requests pending leaves nothing behind.

/** A topic the supervisor answers itself: the answer, or a promise of it. */
export type SupervisorResponder = (data: unknown, from: BusSender) => unknown;

interface Pending {
  from: WorkerView;
  /** The request's seq in the asking worker's channel: the answer names it. */
  seq: number;
  to: WorkerView;
  topic: string;
  timer: NodeJS.Timeout;
}

/** Past the asker's own timeout, the supervisor forgets a request (the asker has given up by then). */
const FORGET_MARGIN_MS = 1000;

export class BusRelay {
  readonly #pool: WorkerPool;
  /** The topics each worker answers requests on. */
  readonly #listening = new Map<WorkerView, Set<string>>();
  readonly #pending = new Map<number, Pending>();
  readonly #responders = new Map<string, SupervisorResponder>();
  #nextId = 0;
  // Requests on one topic go round the workers that answer it.
  #turn = 0;

  constructor(pool: WorkerPool) {
    this.#pool = pool;
    pool.on('bus', (worker, message) => this.#post(message.to === 'others' ? this.#others(worker) : this.#slot(message.to), message.topic, message.data, worker.slot));
    pool.on('bus-listen', (worker, topic, on) => {
      const topics = this.#listening.get(worker) ?? new Set();
      if (on) topics.add(topic);
      else topics.delete(topic);
      this.#listening.set(worker, topics);
    });
    pool.on('bus-request', (worker, topic, data, timeoutMs, seq) => void this.#route(worker, topic, data, timeoutMs, seq));
    pool.on('bus-answer', (worker, id, answer) => this.#settle(worker, id, answer));
    pool.on('exit', (worker) => this.#forget(worker));
  }

  /** Requests routed to a worker and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Answer requests on `topic` in the supervisor (before any worker); returns the undo. */
  answer(topic: string, responder: SupervisorResponder): () => void {
    this.#responders.set(topic, responder);
    return () => this.#responders.delete(topic);
  }

  /** A message from the supervisor or the control API to every live worker; how many it went to. Throws DROVER_E_MESSAGE_VALUE. */
  broadcast(topic: string, data: unknown, from: 'supervisor' | 'control' = 'supervisor'): number {
    return this.#post(this.#online(), topic, encodeValue(data, `broadcast('${topic}')`), from);
  }

  #post(workers: WorkerView[], topic: string, data: WireValue, from: BusSender): number {
    for (const worker of workers) this.#pool.sendToRuntime(worker, { type: 'bus', topic, data, from });
    return workers.length;
  }

  // Every live worker whose runtime listens: the current ones, a reload's new ones, and
  // those still draining (their in-flight requests may read what a message invalidates).
  #online(): WorkerView[] {
    return this.#pool.live().filter((worker) => worker.online);
  }

  #others(sender: WorkerView): WorkerView[] {
    return this.#online().filter((worker) => worker !== sender);
  }

  #slot(slot: number): WorkerView[] {
    const worker = this.#pool.current(slot);
    return worker?.live && worker.online ? [worker] : [];
  }

  async #route(from: WorkerView, topic: string, data: WireValue, timeoutMs: number, seq: number): Promise<void> {
    const responder = this.#responders.get(topic);
    if (responder) {
      try {
        const answer = await responder(decodeValue(data), from.slot);
        this.#reply(from, seq, { ok: true, data: encodeValue(answer, `the supervisor's answer on '${topic}'`) });
      } catch (error) {
        this.#reply(from, seq, { ok: false, error: toCodedError(error, 'DROVER_E_REQUEST_FAILED') });
      }
      return;
    }
    const candidates = this.#others(from).filter((worker) => this.#listening.get(worker)?.has(topic) && worker.intent === undefined);
    if (candidates.length === 0) {
      const message = `request('${topic}'): no other worker of the app listens on '${topic}' (on('${topic}', handler)), and the supervisor does not answer it`;
      this.#reply(from, seq, { ok: false, error: { code: 'DROVER_E_NO_RESPONDER', message } });
      return;
    }
    const to = candidates[this.#turn++ % candidates.length]!;
    const id = ++this.#nextId;
    const timer = setTimeout(() => this.#pending.delete(id), timeoutMs + FORGET_MARGIN_MS).unref();
    this.#pending.set(id, { from, seq, to, topic, timer });
    this.#pool.sendToRuntime(to, { type: 'bus-ask', id, topic, data, from: from.slot });
  }

  #settle(worker: WorkerView, id: number, answer: { ok: true; data: WireValue } | { ok: false; error: CodedError }): void {
    const pending = this.#pending.get(id);
    // Only the worker asked may answer; a late answer (the asker gave up) is dropped.
    if (!pending || pending.to !== worker) return;
    this.#drop(id, pending);
    this.#reply(pending.from, pending.seq, answer);
  }

  #reply(to: WorkerView, seq: number, answer: { ok: true; data: WireValue } | { ok: false; error: CodedError }): void {
    this.#pool.sendToRuntime(to, answer.ok ? { type: 'result', ok: true, value: answer.data } : { type: 'result', ok: false, error: answer.error }, seq);
  }

  #forget(worker: WorkerView): void {
    this.#listening.delete(worker);
    for (const [id, pending] of this.#pending) {
      if (pending.from === worker) this.#drop(id, pending);
      else if (pending.to === worker) {
        this.#drop(id, pending);
        const message = `request('${pending.topic}'): worker ${worker.slot} (pid ${worker.pid}) exited before answering; retry the request`;
        this.#reply(pending.from, pending.seq, { ok: false, error: { code: 'DROVER_E_REQUEST_FAILED', message } });
      }
    }
  }

  #drop(id: number, pending: Pending): void {
    clearTimeout(pending.timer);
    this.#pending.delete(id);
  }
}
