import http from 'node:http';
import { controlContext, IDLE_TIMEOUT_MS, routeRequests, SERVER_OPTIONS, type Refusal } from '../control/dispatch.js';
import { ROUTES, type Route } from '../control/routes.js';
import { DroverError } from '../errors/index.js';
import type { StartCommand } from '../home/registry.js';
import type { Supervisor } from '../supervisor/index.js';
import { hasCookieToken, hasToken, tokenCookieName, tokenMatches, type AdminAccess } from './access.js';

// The admin listener: the control API's route table over TCP, for what cannot reach
// the owner's Unix socket: Prometheus (/metrics), Kubernetes and load balancers
// (/healthz, /readyz), and a person with a browser (the dashboard at GET /, and its
// live feed over Server-Sent Events, GET /v1/events). It serves the `token` and `probe`
// routes, never the `owner` ones (the environment, config updates).
//
// A browser cannot send a bearer token: it opens /?token=<token> once, and gets the
// token back as an HttpOnly, SameSite=Strict cookie and a redirect to / (the token
// leaves the address bar). The cookie is taken for GET requests only, which read and
// change nothing: a POST (a reload, a stop) still needs the Authorization header.

/** Where an admin listener listens, and how it lets requests in, in one line. */
export function describeAdmin(access: AdminAccess): string {
  const host = access.host.includes(':') ? `[${access.host}]` : access.host;
  const auth = access.tokenDigest ? `bearer token${access.publicProbes ? ', probes public' : ', probes too'}` : 'no token: loopback only';
  return `admin listener on http://${host}:${access.port} (/metrics, /healthz, /readyz, dashboard at /; ${auth})`;
}

/**
 * Serve an app's admin listener until its supervisor exits. Rejects with
 * DROVER_E_ADMIN_LISTENER when it cannot listen (the port is in use, the host is not
 * this machine's).
 */
export async function serveAdmin(supervisor: Supervisor, command: StartCommand, access: AdminAccess): Promise<http.Server> {
  const streams = new Set<http.ServerResponse>();
  const admit = (route: Route, req: http.IncomingMessage): Refusal | undefined => {
    if (route.exposure === 'probe' && access.publicProbes) return undefined;
    if (access.tokenDigest === undefined || hasToken(req.headers.authorization, access.tokenDigest)) return undefined;
    if (req.method === 'GET' && hasCookieToken(req.headers.cookie, cookie, access.tokenDigest)) return undefined;
    const why = req.headers.authorization === undefined ? 'this route needs the admin token' : 'wrong admin token';
    return { status: 401, error: `${why}: send Authorization: Bearer <token> (in a browser, open /?token=<token> once)`, headers: { 'www-authenticate': 'Bearer realm="drover"' } };
  };
  const cookie = tokenCookieName(access.port);
  const routes = ROUTES.filter((route) => route.exposure !== 'owner');
  const routed = routeRequests({ routes, context: controlContext(supervisor, command), streams, admit });
  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://drover');
    const token = url.searchParams.get('token');
    if (req.method !== 'GET' || url.pathname !== '/' || token === null || access.tokenDigest === undefined) return routed(req, res);
    // The dashboard's way in for a browser: the token once in the address, then a cookie.
    if (!tokenMatches(token, access.tokenDigest)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="drover"', 'referrer-policy': 'no-referrer' });
      return void res.end(JSON.stringify({ error: 'wrong admin token' }));
    }
    res.writeHead(303, {
      location: '/',
      'set-cookie': `${cookie}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    res.end();
  });
  server.setTimeout(IDLE_TIMEOUT_MS, (connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(supervisor.app.name, access, error)));
    server.listen(access.port, access.host, resolve);
  });
  // Probes answer until the end, through the drain (/readyz says 503 meanwhile).
  supervisor.once('exit', () =>
    setImmediate(() => {
      for (const res of streams) res.end();
      server.close();
      server.closeAllConnections();
    }),
  );
  return server;
}

/** Close an admin listener of an app that never started. */
export function closeAdmin(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function listenError(app: string, access: AdminAccess, error: NodeJS.ErrnoException): DroverError {
  const where = `${access.host}:${access.port}`;
  const why =
    error.code === 'EADDRINUSE'
      ? `port ${access.port} is already in use (EADDRINUSE): stop what holds it (\`ss -ltnp 'sport = :${access.port}'\` shows it), or set another admin_port`
      : error.code === 'EACCES'
        ? `binding port ${access.port} needs privileges (EACCES): use a port above 1023`
        : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? `'${access.host}' is not an address of this machine (${error.code}): set admin_host to one, or 0.0.0.0 for every interface`
          : `${error.message}${error.code ? ` (${error.code})` : ''}`;
  return new DroverError('DROVER_E_ADMIN_LISTENER', `${app}: the admin listener cannot listen on ${where}: ${why}`, { cause: error });
}
