import http from 'node:http';
import net from 'node:net';

/** A port that was free a moment ago, on loopback (see freePortRange for where it is taken). */
export function freePort(): Promise<number> {
  return freePortRange([0]);
}

/**
 * A base port such that base + each offset is free: for apps that listen on several
 * ports (increment_var). Taken below Linux's ephemeral range (32768+), so that client
 * connections made meanwhile cannot be holding one of them.
 */
export async function freePortRange(offsets: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await Promise.all(offsets.map((offset) => canListen(base + offset)))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** GET a URL on loopback, with optional headers; rejects on socket errors, or after `timeoutMs` (10 s). */
export function get(url: string, options: { agent?: http.Agent; timeoutMs?: number; headers?: http.OutgoingHttpHeaders } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: options.agent ?? new http.Agent({ keepAlive: false }), headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) }));
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

/** What a keep-alive load saw: answers, and failures (non-200 answers and socket errors). */
export interface LoadTally {
  ok: number;
  failed: number;
  failures: string[];
}

/**
 * GET `url` in a loop from `connections` keep-alive clients until `stop()`, which
 * resolves with the tally once every client has finished its last request. With
 * `keepAlive: false` each request opens a new connection; `onAnswer` sees each 200.
 */
export function keepAliveLoad(
  url: string,
  connections: number,
  options: { keepAlive?: boolean; onAnswer?: (reply: Reply) => void } = {},
): { tally: LoadTally; stop(): Promise<LoadTally> } {
  const agent = new http.Agent({ keepAlive: options.keepAlive ?? true, maxSockets: connections });
  return loadLoop({ ok: 0, failed: 0, failures: [] }, connections, agent, async () => {
    const reply = await get(url, { agent });
    if (reply.status !== 200) return `status ${reply.status}`;
    options.onAnswer?.(reply);
    return undefined;
  });
}

/**
 * `connections` clients, each running `attempt` in a loop until `stop()`, which
 * resolves with the tally once every client has finished its last one. An attempt
 * resolves with undefined for an answer that counts, or with why it failed; one that
 * throws (a socket error) failed with its message. `agent` is destroyed at the end.
 */
export function loadLoop<T extends LoadTally>(tally: T, connections: number, agent: http.Agent, attempt: () => Promise<string | undefined>): { tally: T; stop(): Promise<T> } {
  let running = true;
  const client = async () => {
    while (running) {
      const failure = await attempt().catch((error: Error) => error.message);
      if (failure === undefined) tally.ok += 1;
      else {
        tally.failed += 1;
        tally.failures.push(failure);
      }
    }
  };
  const clients = Array.from({ length: connections }, client);
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
      return tally;
    },
  };
}
