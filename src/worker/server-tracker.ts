import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { RequestDurations } from './request-durations.js';

// Finds every server the app creates, with no change to the app: `listen()` on any
// net.Server (http, https, express, fastify all end there) registers the server, and
// the tracker then follows its connections. That is what lets a drain close
// keep-alive connections only when no request can be on them.
//
// The tracker sees a server's connections, requests and upgrades by wrapping that
// server's `emit`, not by adding listeners: a listener changes what Node does (an
// 'upgrade' listener makes Node hand upgrades to the app) and can be removed by the
// app (engine.io's attach() takes every 'request' listener off the server), while a
// wrapped emit sees every event whenever the app's own listeners were added.
//
// Requests cost one counter increment while serving, plus the duration histogram's
// stamp (request-durations.ts) unless request_metrics is off; the per-response
// bookkeeping a drain needs is attached only once the drain has begun.

/** What the tracker knows about one connection. */
export interface ConnectionState {
  readonly socket: net.Socket;
  /** Accepted by an HTTP(S) server; raw TCP connections are never "idle" to drover. */
  readonly http: boolean;
  /** Handed over to the app by an HTTP upgrade (WebSocket): the app owns it now. */
  upgraded: boolean;
  /** Upgraded to WebSocket (`Upgrade: websocket`): a drain closes it if the app does not. */
  webSocket: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

/** Called during a drain when a connection has nothing in flight. */
export type IdleListener = (connection: ConnectionState) => void;

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

export class ServerTracker {
  /** Servers listening now, or asked to. */
  readonly servers = new Set<net.Server>();
  readonly connections = new Map<net.Socket, ConnectionState>();
  requestsServed = 0;
  /** The request duration histogram, unless request_metrics is off. */
  durations: RequestDurations | undefined;
  draining = false;
  /** Called with the number of listening (or about to listen) servers whenever it changes. */
  onListeningChange: (listening: number) => void = () => undefined;
  /** Called when one of the app's servers starts listening. */
  onListening: (server: net.Server) => void = () => undefined;
  readonly #known = new WeakSet<net.Server>();
  #onIdle: IdleListener | undefined;
  #onChange: (() => void) | undefined;

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
    // A TLS server's requests run on the TLS socket, which 'secureConnection' gives.
    const connectionEvent = isTlsServer(server) ? 'secureConnection' : 'connection';
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tracker = this;
    const ownEmit = Object.hasOwn(server, 'emit') ? (server.emit as Emit) : undefined;
    server.emit = function emit(this: net.Server, event: string | symbol): boolean {
      // Ours runs before the app's listeners, so that a response started while
      // draining is sent with `Connection: close` even when the app answers at once.
      // `arguments`, not a rest parameter: this runs for every request.
      // eslint-disable-next-line prefer-rest-params
      const args = arguments;
      if (event === 'request') tracker.#onRequest(args[2] as ServerResponse);
      else if (event === connectionEvent) tracker.#onConnection(args[1] as net.Socket, http);
      else if (event === 'upgrade') tracker.#onUpgrade(args[1] as IncomingMessage, args[2] as net.Socket);
      // The prototype's emit, looked up now: instrumentation that patches it later still runs.
      return Reflect.apply(ownEmit ?? (Object.getPrototypeOf(this) as { emit: Emit }).emit, this, args) as boolean;
    } as Emit;
    this.#holdClose(server);
  }

  /** Requests being answered now: connections with a response in progress. */
  get inFlight(): number {
    let count = 0;
    for (const socket of this.connections.keys()) if (currentResponse(socket)) count += 1;
    return count;
  }

  /** HTTP connections the app has not taken over by an upgrade. */
  get httpConnections(): number {
    let count = 0;
    for (const state of this.connections.values()) if (state.http && !state.upgraded) count += 1;
    return count;
  }

  /**
   * Enter draining: every response not yet started will carry `Connection: close`, and
   * `onIdle` hears of each HTTP connection with nothing in flight, now and whenever
   * one becomes so; `onChange` hears of every connection that closes or is upgraded.
   */
  startDraining(onIdle: IdleListener, onChange: () => void): void {
    this.draining = true;
    this.#onIdle = onIdle;
    this.#onChange = onChange;
    for (const state of this.connections.values()) {
      const res = currentResponse(state.socket);
      if (res) this.#drainResponse(res);
      else onIdle(state);
    }
  }

  #onConnection(socket: net.Socket, http: boolean): void {
    const state: ConnectionState = { socket, http, upgraded: false, webSocket: false, idleTimer: undefined };
    this.connections.set(socket, state);
    socket.once('close', () => {
      clearTimeout(state.idleTimer);
      this.connections.delete(socket);
      this.#onChange?.();
    });
    // A connection that arrives as the drain starts is idle until it sends something.
    if (this.draining) this.#onIdle?.(state);
  }

  #onRequest(res: ServerResponse): void {
    this.requestsServed += 1;
    this.durations?.time(res);
    if (this.draining) this.#drainResponse(res);
  }

  #onUpgrade(req: IncomingMessage, socket: net.Socket): void {
    const state = this.connections.get(socket);
    if (!state) return;
    state.upgraded = true;
    state.webSocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    clearTimeout(state.idleTimer);
    this.#onChange?.();
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

  // While draining, the app's own shutdown code (its SIGTERM handler, Fastify's or
  // Nest's close) may call `server.close()` as it would under plain node. Two things
  // would go wrong: since Node 19 close() also destroys idle keep-alive connections at
  // once (and frameworks call `closeIdleConnections()` themselves), which loses a
  // request already on its way over one, the very race a drain avoids; and the drain
  // has closed the listener already, so close(cb) would call back with
  // ERR_SERVER_NOT_RUNNING. So while draining, idle connections are left to the drain
  // (closed after their idle grace), and close(cb) calls back, without an error, once
  // the server has closed, as it would have.
  #holdClose(server: net.Server): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tracker = this;
    type Closable = net.Server & { closeIdleConnections?(): void };
    const proto = Object.getPrototypeOf(server) as Closable;
    const ownClose = Object.hasOwn(server, 'close') ? server.close : undefined;
    server.close = function close(this: net.Server, callback?: (error?: Error) => void) {
      if (!tracker.draining || this.listening) return Reflect.apply(ownClose ?? proto.close, this, [callback]) as net.Server;
      if (typeof callback === 'function') {
        if (tracker.servers.has(this)) this.once('close', () => callback());
        else process.nextTick(callback);
      }
      return this;
    };
    if (typeof proto.closeIdleConnections !== 'function') return;
    const ownCloseIdle = Object.hasOwn(server, 'closeIdleConnections') ? (server as Closable).closeIdleConnections : undefined;
    (server as Closable).closeIdleConnections = function closeIdleConnections(this: Closable) {
      if (!tracker.draining) (ownCloseIdle ?? proto.closeIdleConnections)!.call(this);
    };
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

// tls.Server (and https.Server) without loading node:tls into every worker.
function isTlsServer(server: net.Server): boolean {
  return typeof (server as net.Server & { setSecureContext?: unknown }).setSecureContext === 'function';
}
