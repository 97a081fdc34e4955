import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DroverProcess, example, isAlive, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// Chaos through the supervisor's balancer: clients open a new connection per request
// while a worker is SIGKILLed again and again, so that connections are on their way to
// it, or just taken by it, when it dies. A connection the worker had not taken is given
// to the other one; one it had taken ends with a connection error the client can retry.
// None may hang, and the supervisor may keep no socket the client has closed (CLOSE-WAIT,
// which node:cluster's primary leaves behind for a worker that died holding a handle).

const KILLS = 4;
const CLIENTS = 12;
/** A client gives a request this long before it counts it as hanging. */
const REQUEST_TIMEOUT_MS = 5000;
const RETRIES = 5;

interface Tally {
  ok: number;
  /** Attempts that ended in a connection error (retried). */
  errors: string[];
  /** Attempts that got no answer within REQUEST_TIMEOUT_MS. */
  hung: number;
  /** Requests that failed every retry. */
  gaveUp: number;
  /** The most tries one request took. */
  mostTries: number;
}

type Attempt = { pid: number } | { error: string; hung: boolean };

function attempt(port: number, client: number, style: Style): Promise<Attempt> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { connection: 'close', ...(style === 'cookie' ? { cookie: `session=c${client}` } : {}) };
    const localAddress = style === 'ip' ? `127.0.0.${2 + (client % 8)}` : '127.0.0.1';
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? { pid: (JSON.parse(body) as { pid: number }).pid } : { error: `status ${res.statusCode}`, hung: false }));
      res.on('error', (error) => resolve({ error: error.message, hung: false }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('hung')));
    req.on('error', (error) => resolve({ error: error.message, hung: error.message === 'hung' }));
  });
}

type Style = 'plain' | 'ip' | 'cookie';

/** Sockets `pid` holds in TCP CLOSE-WAIT (the client closed, the process never did), from its descriptors and /proc/net/tcp{,6}. */
function closeWaitSockets(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed while we looked.
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    // Columns: sl local remote state queues timer retransmits uid timeout inode ...; state 08 is CLOSE_WAIT.
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '08' && inodes.has(fields[9]!)) count += 1;
    }
  }
  return count;
}

async function chaos(policy: string[], style: Style) {
  const port = await freePort();
  const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '2', '--name', `chaos-${style}`, ...policy], { env: { PORT: String(port) } });
  try {
    await underChaos(drover, port, style);
  } finally {
    drover.killGroup();
  }
}

async function underChaos(drover: DroverProcess, port: number, style: Style) {
  await drover.waitUntilListening();
  const tally: Tally = { ok: 0, errors: [], hung: 0, gaveUp: 0, mostTries: 0 };
  // When each pid first answered: only a worker that has served past min_uptime (1 s) is
  // killed, so that its death is not counted toward a crash loop.
  const firstAnswer = new Map<number, number>();
  let running = true;
  const client = async (id: number) => {
    while (running) {
      for (let tries = 1; ; tries++) {
        const result = await attempt(port, id, style);
        tally.mostTries = Math.max(tally.mostTries, tries);
        if ('pid' in result) {
          tally.ok += 1;
          if (!firstAnswer.has(result.pid)) firstAnswer.set(result.pid, Date.now());
          break;
        }
        if (result.hung) tally.hung += 1;
        tally.errors.push(result.error);
        if (tries === RETRIES) {
          tally.gaveUp += 1;
          break;
        }
        await sleep(20);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, id) => client(id));
  let kills = 0;
  try {
    while (kills < KILLS) {
      await sleep(50);
      // One worker at a time: the other serves, and the next kill waits until the replacement has answered for a while.
      const serving = [...firstAnswer].filter(([pid]) => isAlive(pid));
      const settled = serving.length === 2 && serving.every(([, since]) => Date.now() - since > 500);
      const victim = settled ? serving.find(([, since]) => Date.now() - since > 1100)?.[0] : undefined;
      if (victim === undefined) continue;
      firstAnswer.delete(victim);
      process.kill(victim, 'SIGKILL');
      kills += 1;
    }
    // Served by the replacements too, after the last kill.
    await waitFor(() => firstAnswer.size >= 2, 10_000, 'both slots to serve again');
  } finally {
    running = false;
    await Promise.all(clients);
  }
  assert.equal(tally.hung, 0, `no request hangs; errors: ${tally.errors.slice(0, 5).join('; ')}`);
  assert.equal(tally.gaveUp, 0, `every request is answered within ${RETRIES} tries; errors: ${tally.errors.slice(0, 5).join('; ')}`);
  // Only a connection the killed worker had taken fails; its retry, a new connection, is answered.
  assert.ok(tally.mostTries <= 2, `a retried request is answered on its first retry (most tries: ${tally.mostTries}; ${tally.errors.length} connection errors)`);
  assert.ok(tally.ok > 100, `requests answered: ${tally.ok}`);
  // A socket whose client is gone, still open in the supervisor, would stay in CLOSE-WAIT for good.
  await waitFor(() => closeWaitSockets(drover.pid) === 0, 5000, 'no CLOSE-WAIT socket in the supervisor');
  drover.signal('SIGTERM');
  assert.equal((await drover.exited).code, 0);
}

describe('balance: chaos, workers SIGKILLed while connections are handed to them', () => {
  it('least-connections: no request hangs, every one is answered within a few tries, no CLOSE-WAIT left in the supervisor', async () => {
    await chaos(['--balance', 'least-connections'], 'plain');
  });

  it('sticky by client address: the same', async () => {
    await chaos(['--balance', 'sticky'], 'ip');
  });

  it('sticky by cookie (each head read in the supervisor first): the same', async () => {
    await chaos(['--balance', 'sticky', '--sticky-key', 'cookie:session'], 'cookie');
  });
});
