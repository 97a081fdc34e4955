import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { io as ioClient } from 'socket.io-client';
import { DroverProcess, ROOT, example, fixture, runDrover, sleep } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';
import { connected } from '../helpers/socketio.js';

// The supervisor's own balancer on the connection path (balance: least-connections,
// sticky by client address), with the hello example unchanged: each connection taken
// by the supervisor and handed to the worker the policy picks.

const HELLO = example('hello/server.js');
const framework = (name: string) => `${ROOT}test/fixtures/frameworks/${name}`;

/** One request on a new connection, from `localAddress`; resolves with the pid that answered. */
function pidFrom(port: number, path = '/', localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, localAddress, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve((JSON.parse(body) as { pid: number }).pid));
    });
    req.on('error', reject);
  });
}

async function balanced(policy: string, extra: string[] = []) {
  const port = await freePort();
  const drover = new DroverProcess(['run', HELLO, '-i', '2', '--balance', policy, ...extra], { env: { PORT: String(port) } });
  await drover.waitUntilListening();
  return { drover, port };
}

describe('balance', () => {
  it('least-connections: while one worker holds a slow request, new connections go to the other', async () => {
    const { drover, port } = await balanced('least-connections');
    const first = await pidFrom(port);
    const slow = pidFrom(port, '/slow?ms=3000');
    // The slow request went to the other worker (least connections, after `first` closed); the next ones avoid it.
    // A worker reports a closed connection after its client has read the answer, so
    // each request waits a moment for the last one's close to be counted: otherwise the
    // two workers look tied, with one open each, and a tie goes either way.
    const next: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      next.push(await pidFrom(port));
    }
    const slowPid = await slow;
    assert.notEqual(slowPid, undefined);
    assert.ok(next.every((pid) => pid !== slowPid), `connections avoided the busy worker ${slowPid}: ${next} (first ${first})`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('sticky by ip: 50 source addresses each always land on the same pid across 10 requests, and both workers get clients', async () => {
    const { drover, port } = await balanced('sticky');
    // 127.0.0.2 to 127.0.0.51, all at once, each 10 requests in turn, every one on a new connection.
    const addresses = Array.from({ length: 50 }, (_, i) => `127.0.0.${i + 2}`);
    const byAddress = new Map<string, Set<number>>();
    await Promise.all(
      addresses.map(async (address) => {
        const pids = new Set<number>();
        for (let j = 0; j < 10; j++) pids.add(await pidFrom(port, '/', address));
        byAddress.set(address, pids);
      }),
    );
    const moved = [...byAddress].filter(([, pids]) => pids.size !== 1);
    assert.deepEqual(moved.map(([address, pids]) => `${address}=${[...pids]}`), [], 'one worker per address');
    assert.equal(new Set([...byAddress.values()].map((pids) => [...pids][0])).size, 2, 'both workers have clients');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a rolling reload under keep-alive load loses no request', async () => {
    const { drover, port } = await balanced('least-connections');
    const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 8);
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload done|reloaded/, 15_000);
    // Connections opened after the reload reach the new workers.
    const tally = await load.stop();
    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.ok(tally.ok > 0);
    assert.equal((await get(`http://127.0.0.1:${port}/`, { agent: new http.Agent({ keepAlive: false }) })).status, 200);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('sticky by cookie: the same cookie, the same worker, on new connections', async () => {
    const { drover, port } = await balanced('sticky', ['--sticky-key', 'cookie:session']);
    const withCookie = (value: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close', cookie: `theme=dark; session=${value}` } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve((JSON.parse(body) as { pid: number }).pid));
          })
          .on('error', reject);
      });
    const owners = new Map<string, Set<number>>();
    for (let i = 0; i < 12; i++) {
      const pids = new Set<number>();
      for (let j = 0; j < 3; j++) pids.add(await withCookie(`s${i}`));
      owners.set(`s${i}`, pids);
    }
    assert.ok([...owners.values()].every((pids) => pids.size === 1), 'one worker per session cookie');
    assert.equal(new Set([...owners.values()].map((pids) => [...pids][0])).size, 2, 'both workers have sessions');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  for (const key of ['sid', 'ip']) {
    it(`Socket.IO with its default transports (long-polling first) on 2 workers, sticky by ${key}: 20 of 20 connect, every emit answered, a broadcast reaches 20 of 20`, async () => {
      const port = await freePort();
      const drover = new DroverProcess(['run', framework('socketio-cluster-adapter.cjs'), '-i', '2', '--balance', 'sticky', '--sticky-key', key], { env: { PORT: String(port) } });
      await drover.waitUntilListening(15_000);
      const clients: ReturnType<typeof ioClient>[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          // By ip, the clients come from 10 addresses (127.0.0.2 to .11), for both polling and the WebSocket upgrade.
          const localAddress = `127.0.0.${2 + (i % 10)}`;
          // (engine.io-client hands `agent` to Node's http in polling; its types only know a browser's.)
          const from: Record<string, unknown> = key === 'ip' ? { localAddress, agent: new http.Agent({ localAddress } as http.AgentOptions) } : {};
          clients.push(ioClient(`http://127.0.0.1:${port}`, { reconnection: false, ...from } as Parameters<typeof ioClient>[1]));
        }
        await connected(clients);
        const pids = await Promise.all(clients.map((client) => client.timeout(5000).emitWithAck('pid') as Promise<number>));
        assert.equal(new Set(pids).size, 2, 'sessions on both workers');
        const heard = clients.map((client) => new Promise((resolve) => client.once('news', resolve)));
        await clients[3]!.timeout(5000).emitWithAck('shout', 'hello');
        assert.equal((await Promise.all(heard)).length, 20);
        // A polling answer closes its connection, so a browser's next request (of any session) comes through the supervisor.
        const polling = await new Promise<string | undefined>((resolve, reject) =>
          http
            .get({ host: '127.0.0.1', port, path: '/socket.io/?EIO=4&transport=polling', agent: new http.Agent({ keepAlive: true }) }, (res) => {
              res.resume();
              resolve(res.headers.connection);
            })
            .on('error', reject),
        );
        if (key === 'sid') assert.equal(polling, 'close');
      } finally {
        for (const client of clients) client.close();
      }
      drover.signal('SIGTERM');
      assert.equal((await drover.exited).code, 0);
    });
  }

  it('a worker that can no longer take a connection (its server closed) refuses it, and it goes to the other: none left hanging', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('closes-server-in-slot-0.cjs'), '-i', '2', '--balance', 'least-connections'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await get(`http://127.0.0.1:${port}/`, { agent: new http.Agent({ keepAlive: false }), timeoutMs: 3000 }));
    assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(200));
    assert.equal(new Set(answers.map((answer) => answer.body)).size, 1, 'all answered by the worker still serving');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('bad input names the choices', async () => {
    const unknown = await runDrover(['run', HELLO, '--balance', 'random']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--balance: expected 'round-robin', 'least-connections' or 'sticky', got 'random'/);
    const fork = await runDrover(['run', HELLO, '--balance', 'sticky', '--exec-mode', 'fork']);
    assert.match(fork.stderr, /--balance: 'sticky' balances the workers of cluster mode/);
    const key = await runDrover(['run', HELLO, '--balance', 'sticky', '--sticky-key', 'hash']);
    assert.match(key.stderr, /--sticky-key: expected 'ip', 'header:<name>', 'cookie:<name>' or 'sid', got 'hash'/);
  });
});
