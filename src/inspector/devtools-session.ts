import { WebSocketClient } from './websocket.js';

// One DevTools protocol session over a WebSocket: commands with ids and their replies,
// events by name. Every wait is bounded by the caller's deadline.

interface Reply {
  id: number;
  result?: unknown;
  error?: { message: string };
}

interface Event {
  method: string;
  params: unknown;
}

export class DevToolsSession {
  readonly #ws: WebSocketClient;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Map<string, (params: unknown) => void>();
  #nextId = 1;
  #closedWhy: string | undefined;

  private constructor(ws: WebSocketClient) {
    this.#ws = ws;
    ws.onMessage((text) => this.#receive(text));
    ws.onClose((why) => {
      this.#closedWhy = why;
      for (const { reject } of this.#pending.values()) reject(new Error(`the inspector connection ended: ${why}`));
      this.#pending.clear();
    });
  }

  static async open(url: string, timeoutMs: number): Promise<DevToolsSession> {
    return new DevToolsSession(await WebSocketClient.connect(url, timeoutMs));
  }

  /** Send a command; resolves with its result, rejects with its error or when the connection ends. */
  call(method: string, params: object = {}): Promise<unknown> {
    if (this.#closedWhy !== undefined) return Promise.reject(new Error(`the inspector connection ended: ${this.#closedWhy}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Listen to one event by name (one listener each: the capture needs no more). */
  on(method: string, listener: (params: unknown) => void): void {
    this.#listeners.set(method, listener);
  }

  close(): void {
    this.#ws.close();
  }

  #receive(text: string): void {
    let message: Reply | Event;
    try {
      message = JSON.parse(text) as Reply | Event;
    } catch {
      return; // Not the protocol: nothing waits for it.
    }
    if ('id' in message && typeof message.id === 'number') {
      const waiter = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    } else if ('method' in message) {
      this.#listeners.get(message.method)?.(message.params);
    }
  }
}
