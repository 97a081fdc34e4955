import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';

// Finds every server the app creates, with no change to the app: `listen()` on any
// net.Server (http, https, express, fastify all end there) registers the server, and
// the tracker then follows its connections. That is what lets a drain close
// keep-alive connections only when no request can be on them.
//
// Requests cost one counter increment while serving; the per-response bookkeeping a
// drain needs is attached only once the drain has begun.

/** What the tracker knows about one connection. */
export interface ConnectionState {
  readonly socket: net.Socket;
  /** Accepted by an HTTP(S) server; raw TCP connections are never "idle" to drover. */
  readonly http: boolean;
  /** Handed over to the app by an HTTP upgrade (WebSocket): the app owns it now. */
  upgraded: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Called during a drain when a connection has nothing in flight. */
export type IdleListener = (connection: ConnectionState) => void;

export class ServerTracker {
  /** Servers listening now, or asked to. */
  readonly servers = new Set<net.Server>();
  readonly connections = new Map<net.Socket, ConnectionState>();
  requestsServed = 0;
  draining = false;
  /** Called with the number of listening (or about to listen) servers whenever it changes. */
  onListeningChange: (listening: number) => void = () => undefined;
  /** Called when one of the app's servers starts listening. */
  onListening: (server: net.Server) => void = () => undefined;
  readonly #known = new WeakSet<net.Server>();
  #onIdle: IdleListener | undefined;
  #onConnectionClosed: (() => void) | undefined;

  /** Patch `net.Server.prototype.listen` so that every server the app starts is tracked. */
  install(): void {
    const originalListen = net.Server.prototype.listen;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tracker = this;
    net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
      tracker.track(this);
      tracker.onListeningChange(tracker.servers.size);
      return (originalListen as (...a: unknown[]) => net.Server).apply(this, args);
    } as typeof originalListen;
  }

  /** Start following a server's connections and requests; a server may listen again after closing. */
  track(server: net.Server): void {
    this.servers.add(server);
    if (this.#known.has(server)) return;
    this.#known.add(server);
    server.on('listening', () => this.onListening(server));
    server.on('close', () => {
      this.servers.delete(server);
      this.onListeningChange(this.servers.size);
    });
    const http = isHttpServer(server);
    server.on('connection', (socket: net.Socket) => this.#onConnection(socket, http));
    // Ours runs before the app's handler, so that a response started while draining
    // is sent with `Connection: close` even when the handler answers synchronously.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.requestsServed += 1;
      if (this.draining) this.#drainResponse(res);
    });
    // Listening for 'upgrade' changes how Node treats upgrade requests, so only join
    // once the app itself listens for them.
    const onUpgrade = (_req: IncomingMessage, socket: net.Socket) => {
      const state = this.connections.get(socket);
      if (state) state.upgraded = true;
    };
    server.on('newListener', (event: string | symbol) => {
      if (event === 'upgrade' && !server.listeners('upgrade').includes(onUpgrade)) server.prependListener('upgrade', onUpgrade);
    });
  }

  /** Requests being answered now: connections with a response in progress. */
  get inFlight(): number {
    let count = 0;
    for (const socket of this.connections.keys()) if (currentResponse(socket)) count += 1;
    return count;
  }

  /**
   * Enter draining: every response not yet started will carry `Connection: close`, and
   * `onIdle` hears of each HTTP connection with nothing in flight, now and whenever
   * one becomes so; `onConnectionClosed` hears of every connection that closes.
   */
  startDraining(onIdle: IdleListener, onConnectionClosed: () => void): void {
    this.draining = true;
    this.#onIdle = onIdle;
    this.#onConnectionClosed = onConnectionClosed;
    for (const state of this.connections.values()) {
      const res = currentResponse(state.socket);
      if (res) this.#drainResponse(res);
      else onIdle(state);
    }
  }

  #onConnection(socket: net.Socket, http: boolean): void {
    const state: ConnectionState = { socket, http, upgraded: false, idleTimer: undefined };
    this.connections.set(socket, state);
    socket.once('close', () => {
      clearTimeout(state.idleTimer);
      this.connections.delete(socket);
      this.#onConnectionClosed?.();
    });
    // A connection that arrives as the drain starts is idle until it sends something.
    if (this.draining) this.#onIdle?.(state);
  }

  #drainResponse(res: ServerResponse): void {
    if (!res.headersSent) res.shouldKeepAlive = false;
    const state = this.connections.get(res.socket as net.Socket);
    if (!state) return;
    clearTimeout(state.idleTimer);
    // If the headers had already gone out with keep-alive, the connection outlives
    // this response and is idle once it ends.
    res.once('close', () => {
      if (!currentResponse(state.socket) && !state.socket.destroyed) this.#onIdle?.(state);
    });
  }
}

// Node's HTTP server keeps the response being written on `socket._httpMessage` and
// clears it when the response ends: the one reliable, cost-free "busy" flag. It has
// been there since Node 0.x; tools such as http-terminator rely on it too.
export function currentResponse(socket: net.Socket): ServerResponse | undefined {
  return ((socket as net.Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined) || undefined;
}

// http.Server and https.Server share no prototype but both can close idle connections.
function isHttpServer(server: net.Server): boolean {
  return typeof (server as net.Server & { closeIdleConnections?: unknown }).closeIdleConnections === 'function';
}
