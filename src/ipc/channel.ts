import type { Checked } from './guards.js';
import { PROTOCOL_CMD, PROTOCOL_VERSION, type Envelope } from './messages.js';

/** One handler per message type: the dispatch table both sides use. */
export type Handlers<In extends { type: string }> = {
  [K in In['type']]: (message: Envelope<Extract<In, { type: K }>>) => void;
};

/** The IPC end a channel writes to: a ChildProcess in the supervisor, `process` in a worker. */
export interface Port {
  send(message: unknown): boolean | void;
  readonly connected: boolean;
}

/** Why a request got no answer. */
export class ChannelError extends Error {
  readonly reason: 'timeout' | 'closed';

  constructor(reason: 'timeout' | 'closed', message: string) {
    super(message);
    this.name = 'ChannelError';
    this.reason = reason;
  }
}

interface Pending<In> {
  resolve: (reply: Envelope<In>) => void;
  reject: (error: ChannelError) => void;
  timer: NodeJS.Timeout;
}

/**
 * A typed channel over a process's IPC: stamps outgoing messages with drover's
 * internal `cmd` and a sequence number, matches replies to requests by that number,
 * checks every incoming message against its type's guard, and routes it through the
 * handler table. A message that fails its guard is dropped and reported to `onInvalid`.
 */
export class Channel<Out extends { type: string }, In extends { type: string }> {
  #seq = 0;
  readonly #port: Port;
  readonly #check: (raw: Record<string, unknown>) => Checked<In>;
  readonly #handlers: Handlers<In>;
  readonly #onInvalid: (why: string) => void;
  readonly #pending = new Map<number, Pending<In>>();

  constructor(port: Port, check: (raw: Record<string, unknown>) => Checked<In>, handlers: Handlers<In>, onInvalid: (why: string) => void = () => undefined) {
    this.#port = port;
    this.#check = check;
    this.#handlers = handlers;
    this.#onInvalid = onInvalid;
  }

  /**
   * Send a message; `ack` names the message it answers. Returns false only when the
   * channel is closed. Node's own `send()` also returns false when it queues the
   * message behind a backlog, which still delivers it: that is backpressure, not loss.
   */
  send(message: Out, ack?: number): boolean {
    return this.#write(message, ++this.#seq, ack);
  }

  /** Send a message and resolve with the reply that names it; reject on timeout or when the channel closes. */
  request(message: Out, timeoutMs: number): Promise<Envelope<In>> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new ChannelError('timeout', `no reply to '${message.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(seq, { resolve, reject, timer });
      if (!this.#write(message, seq, undefined)) this.#settle(seq)?.reject(new ChannelError('closed', `the channel closed before '${message.type}' was sent`));
    });
  }

  /** Feed one raw drover message (its `cmd` already matched). */
  receive(raw: Record<string, unknown>): void {
    const checked = this.#check(raw);
    if (!checked.ok) {
      this.#onInvalid(checked.why);
      return;
    }
    const { message } = checked;
    const pending = message.ack === undefined ? undefined : this.#settle(message.ack);
    if (pending) {
      pending.resolve(message);
      return;
    }
    const handler = this.#handlers[message.type as In['type']] as ((m: Envelope<In>) => void) | undefined;
    handler?.(message);
  }

  /** The channel is gone: every request waiting for a reply fails. */
  close(): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq)?.reject(new ChannelError('closed', 'the channel closed'));
  }

  #write(message: Out, seq: number, ack: number | undefined): boolean {
    if (!this.#port.connected) return false;
    const envelope = { ...message, cmd: PROTOCOL_CMD, v: PROTOCOL_VERSION, seq, ...(ack === undefined ? {} : { ack }) };
    try {
      this.#port.send(envelope);
      return true;
    } catch {
      // Closed between the check and the write (ERR_IPC_CHANNEL_CLOSED): the exit handlers deal with that.
      return false;
    }
  }

  #settle(seq: number): Pending<In> | undefined {
    const pending = this.#pending.get(seq);
    if (!pending) return undefined;
    clearTimeout(pending.timer);
    this.#pending.delete(seq);
    return pending;
  }
}
