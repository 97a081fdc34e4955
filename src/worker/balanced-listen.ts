import cluster from 'node:cluster';
import Module from 'node:module';
import type net from 'node:net';
import { PROTOCOL_CMD, type ConnectionMessage } from '../ipc/messages.js';

// When the supervisor balances connections itself (least-connections, sticky), the
// app's TCP servers do not bind, nor ask node:cluster's primary for its shared handle:
// net's listen in a cluster worker goes through cluster._getServer, which here answers
// with a stand-in handle at once, as node:cluster's own round-robin workers get one.
// Node then runs its usual listen path on it (the app's callback, 'listening',
// server.address() all as ever). Each connection arrives from the supervisor with its
// socket handle, and enters the server through Node's own accept path (onconnection),
// so connection limits, counting and close() draining apply unchanged.
// See docs/balancer-design.md.

interface StandIn {
  onconnection?: (error: number, handle: unknown) => void;
  listen(): number;
  getsockname(out: Record<string, unknown>): number;
  close(callback?: () => void): void;
  ref(): void;
  unref(): void;
  [key: string]: unknown;
}

type GetServer = (server: net.Server, query: { address?: string | null; port?: number; addressType?: number; fd?: number }, callback: (error: number, handle: unknown) => void) => void;

/** What the runtime reports of balanced connections. */
export interface BalancedReports {
  /** `closed`: connections closed since the last report, told along (0: none). */
  took(id: number, accepted: boolean, closed: number): void;
  closed(count: number): void;
}

/** Install the stand-in listen and the connection handler; `report` goes to the supervisor. */
export function installBalancedListen(report: BalancedReports): void {
  const clusterInternals = cluster as unknown as { _getServer: GetServer };
  const original = clusterInternals._getServer.bind(cluster);
  // The port each listening stand-in serves, and its server.
  const byPort = new Map<number, { handle: StandIn; server: net.Server }>();

  clusterInternals._getServer = (server, query, callback) => {
    // A TCP port: ours to balance. A pipe, a descriptor or port 0 (a random port each
    // worker would get its own of): node:cluster's way, unchanged.
    if (query.fd !== undefined && query.fd >= 0) return original(server, query, callback);
    if (typeof query.port !== 'number' || query.port <= 0) return original(server, query, callback);
    const port = query.port;
    const ipv6 = query.addressType === 6;
    const address = query.address ?? (ipv6 ? '::' : '0.0.0.0');
    const handle: StandIn = {
      listen: () => 0,
      getsockname(out) {
        Object.assign(out, { address, family: ipv6 ? 'IPv6' : 'IPv4', port });
        return 0;
      },
      close(done) {
        byPort.delete(port);
        if (done) process.nextTick(done);
      },
      ref: () => undefined,
      unref: () => undefined,
    };
    byPort.set(port, { handle, server });
    process.nextTick(() => callback(0, handle));
  };

  // Closed connections are told with the next `took`, or else in one message at the
  // end of the event loop's turn: with a new connection per request, most ride along.
  let closedSince = 0;
  let flushing = false;
  const noteClosed = () => {
    closedSince += 1;
    if (flushing) return;
    flushing = true;
    setImmediate(() => {
      flushing = false;
      if (closedSince > 0) report.closed(takeClosed());
    });
  };
  const takeClosed = () => {
    const count = closedSince;
    closedSince = 0;
    return count;
  };

  process.on('internalMessage', (message: unknown, handle: unknown) => {
    if (!isConnection(message)) return;
    const target = byPort.get(message.port);
    if (!target?.handle.onconnection || handle === undefined) {
      // No server on that port any more (closed for a drain): the supervisor gives it to another worker.
      report.took(message.id, false, takeClosed());
      return;
    }
    target.server.prependOnceListener('connection', (socket: net.Socket) => {
      // What the supervisor read to find the sticky key comes first, as if never read.
      if (message.head) socket.unshift(Buffer.from(message.head, 'latin1'));
      socket.once('close', noteClosed);
    });
    target.handle.onconnection(0, handle);
    report.took(message.id, true, takeClosed());
  });
}

/**
 * Socket.IO sessions by worker (sticky_key: sid): every Engine.IO session id this
 * worker makes starts with `w<slot>_`, through engine.io's own override point
 * (generateId), so that the supervisor sends each later request of the session here;
 * and a long-polling response closes its connection, so that every request of a
 * session comes through the supervisor.
 */
export function tagEngineIoSessions(slot: number): void {
  const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const load = loader._load;
  const tagged = new WeakSet<object>();
  loader._load = function (request, parent, isMain) {
    type Servers = Record<string, { prototype?: { generateId?: (req: unknown) => unknown; handleRequest?: (req: { url?: string }, res: { shouldKeepAlive: boolean }) => unknown } } | undefined>;
    const exports = load.call(this, request, parent, isMain) as Servers;
    if (request !== 'engine.io') return exports;
    // Server (and uServer, for uWebSockets.js) inherit generateId from BaseServer: each gets its own wrapper.
    for (const proto of [exports.Server?.prototype, exports.uServer?.prototype]) {
      const generate = proto?.generateId;
      if (!proto || !generate || tagged.has(proto)) continue;
      tagged.add(proto);
      proto.generateId = function (this: unknown, req: unknown) {
        const id = generate.call(this, req);
        const tag = (value: unknown) => (typeof value === 'string' ? `w${slot}_${value}` : value);
        return id instanceof Promise ? id.then(tag) : tag(id);
      };
      // A polling response closes its connection: a browser must not send the next
      // request of another session (another worker's) on a connection this worker holds.
      const handle = proto.handleRequest;
      if (handle) {
        proto.handleRequest = function (this: unknown, req, res) {
          if (req.url?.includes('transport=polling')) res.shouldKeepAlive = false;
          return handle.call(this, req, res);
        };
      }
    }
    return exports;
  };
}

function isConnection(message: unknown): message is ConnectionMessage {
  const fields = message as Partial<ConnectionMessage> | null;
  return typeof fields === 'object' && fields !== null && fields.cmd === PROTOCOL_CMD && fields.type === 'conn' && typeof fields.id === 'number' && typeof fields.port === 'number';
}
