import { isEnvelope, PROTOCOL_TAG, PROTOCOL_VERSION, type Envelope } from './messages.js';

/** One handler per message type: the dispatch table both sides use. */
export type Handlers<In extends { type: string }> = {
  [K in In['type']]: (message: Envelope<Extract<In, { type: K }>>) => void;
};

type SendFn = (message: unknown) => boolean | void;

/**
 * A typed channel over a process's IPC: stamps outgoing messages with a sequence
 * number, routes incoming ones through the handler table, and ignores the app's own
 * messages.
 */
export class Channel<Out extends { type: string }, In extends { type: string }> {
  #seq = 0;
  readonly #send: SendFn;
  readonly #handlers: Handlers<In>;

  constructor(send: SendFn, handlers: Handlers<In>) {
    this.#send = send;
    this.#handlers = handlers;
  }

  /** Send a message; `ack` names the message it answers. Returns false when the channel is gone. */
  send(message: Out, ack?: number): boolean {
    const envelope = { ...message, [PROTOCOL_TAG]: PROTOCOL_VERSION, seq: ++this.#seq, ...(ack === undefined ? {} : { ack }) };
    try {
      return this.#send(envelope) !== false;
    } catch {
      // The peer is gone (ERR_IPC_CHANNEL_CLOSED): the exit handlers deal with that.
      return false;
    }
  }

  /** Feed one raw IPC message; returns true when it was one of ours. */
  receive(raw: unknown): boolean {
    if (!isEnvelope<In>(raw)) return false;
    const handler = this.#handlers[raw.type as In['type']] as ((message: Envelope<In>) => void) | undefined;
    handler?.(raw);
    return true;
  }
}
