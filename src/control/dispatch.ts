import type http from 'node:http';
import { isDroverError } from '../errors/index.js';
import { socketPath } from '../home/paths.js';
import type { StartCommand } from '../home/registry.js';
import type { Supervisor } from '../supervisor/index.js';
import { RawReply, type Route, type RouteContext } from './routes.js';

// The HTTP side of the route table, shared by every listener that serves it: the
// owner's Unix socket (server.ts) and the TCP admin listener (src/admin). Each says
// which routes it serves and who may call them; the limits on requests, the parsing
// and the answers are the same.

/** Only a config update takes a body, and a small one: a request that sends more than this is refused (413). */
export const MAX_BODY_BYTES = 64 * 1024;
/** A client must send its request head within this, and the whole request within REQUEST_TIMEOUT_MS. */
export const HEADERS_TIMEOUT_MS = 5000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** A connection that carries nothing for this long is closed (a log stream excepted). */
export const IDLE_TIMEOUT_MS = 30_000;

/** The options of an HTTP server that serves routes: request head and body time limits. */
export const SERVER_OPTIONS: http.ServerOptions = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 };

/** What every route's handler is given besides its request. */
export type ControlContext = Omit<RouteContext, 'query' | 'body' | 'req' | 'res'>;

// One start time per supervisor, whichever listener asks first: both serve the same facts.
const startTimes = new WeakMap<Supervisor, number>();

/** The facts every listener of this supervisor hands its routes. */
export function controlContext(supervisor: Supervisor, command: StartCommand): ControlContext {
  if (!startTimes.has(supervisor)) startTimes.set(supervisor, Date.now());
  return { supervisor, startedAt: startTimes.get(supervisor)!, socket: socketPath(supervisor.app.name), command: { name: supervisor.app.name, ...command } };
}

/** A request a listener refuses before its route runs (no token, a wrong one). */
export interface Refusal {
  status: number;
  error: string;
  headers?: Record<string, string>;
}

export interface DispatchOptions {
  /** The routes this listener serves; any other path is a 404. */
  routes: readonly Route[];
  context: ControlContext;
  /** Responses that stream (the log feed), for the listener to end when the supervisor exits. */
  streams: Set<http.ServerResponse>;
  /** Whether this request may call this route; a refusal answers instead. */
  admit?: (route: Route, req: http.IncomingMessage) => Refusal | undefined;
}

/** The request listener that serves `routes`: limits, parsing, the handler, and its answer. */
export function routeRequests({ routes, context, streams, admit }: DispatchOptions): http.RequestListener {
  const byKey = new Map(routes.map((route) => [route.key, route]));
  return (req, res) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    // No route reads a body: one that is large (or of unknown length) is not read at all.
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_BODY_BYTES || req.headers['transfer-encoding'] !== undefined) {
      res.shouldKeepAlive = false;
      return reply(413, { error: `request bodies are limited to ${MAX_BODY_BYTES} bytes, with a content-length` });
    }
    const url = new URL(req.url ?? '/', 'http://drover');
    const key = `${req.method} ${url.pathname}`;
    const route = byKey.get(key);
    if (!route) return reply(404, { error: `no route ${key}` });
    const refusal = admit?.(route, req);
    if (refusal) return reply(refusal.status, { error: refusal.error }, refusal.headers);
    if (length === 0) return dispatch(route, undefined);
    // A route that takes a body (a config update) gets it parsed; it is small (see above).
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: 'the request body is not JSON' });
      }
      dispatch(route, body);
    });

    function dispatch(route: Route, body: unknown) {
      // A reload, restart, scale or update answers when it is done, which may take minutes:
      // the idle timeout is for silent clients, not for answers on their way.
      if (req.method === 'POST') req.socket.setTimeout(0);
      let answer: unknown;
      try {
        answer = route.handle({ ...context, query: url.searchParams, body, req, res });
      } catch (error) {
        return refuse(error);
      }
      if (answer === undefined) {
        streams.add(res);
        return void res.on('close', () => streams.delete(res));
      }
      void Promise.resolve(answer).then((result) => {
        if (!(result instanceof RawReply)) return reply(route.status, result);
        res.writeHead(result.status, { ...result.headers, 'content-type': result.contentType });
        res.end(result.body);
      }, refuse);
    }

    // A request drover refuses (a bad scale) is a 400 with its message; anything else is a bug.
    function refuse(error: unknown) {
      reply(isDroverError(error) && error.code === 'DROVER_E_INVALID_OPTION' ? 400 : 500, { error: (error as Error).message });
    }
  };
}
