import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { DroverProcess, ROOT, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';
import { connected } from '../helpers/socketio.js';

// WebSocket servers as their users write them, under drover: the `ws` package and
// Socket.IO, attached before or after listen(), through a reload and a stop. How a
// drain closes their clients: websocket-closes.test.ts.

const framework = (name: string) => `${ROOT}test/fixtures/frameworks/${name}`;

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data) => resolve(String(data)));
    socket.once('close', (code) => reject(new Error(`closed with ${code} before a message came`)));
  });
}

describe('WebSocket servers', () => {
  it("Express + ws, the WebSocket server attached to app.listen()'s server: both workers serve, no crash loop", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('express-ws.cjs'), '-i', '2', '--name', 'chat'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const pids = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const socket = await openSocket(`ws://127.0.0.1:${port}/`);
      socket.send(`hello ${i}`);
      const [pid, text] = (await nextMessage(socket)).split(':');
      assert.equal(text, `hello ${i}`);
      pids.add(Number(pid));
      socket.close();
    }
    assert.equal(pids.size, 2, 'both workers answered WebSocket connections');
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    assert.doesNotMatch(drover.output, /Maximum call stack|crashed/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('Socket.IO attached after listen(): polling and WebSocket clients connect, plain routes still answer', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('socketio.cjs'), '-i', '2', '--name', 'io'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const clients = [];
    try {
      // Long-polling needs every request of a session at one worker (the balancer
      // issue); WebSocket-only clients, Socket.IO's documented alternative, do not.
      for (let i = 0; i < 6; i++) clients.push(ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false }));
      const pids = await Promise.all(clients.map((client) => client.timeout(5000).emitWithAck('ping') as Promise<number>));
      assert.equal(new Set(pids).size, 2, 'both workers took Socket.IO clients');
      assert.equal((await get(`http://127.0.0.1:${port}/plain`)).status, 200);
      assert.doesNotMatch(drover.output, /Maximum call stack|crashed/);
    } finally {
      for (const client of clients) client.close();
    }
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('@socket.io/cluster-adapter with no primary code: a broadcast from one worker reaches 20 of 20 clients, fetchSockets counts every worker\'s', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('socketio-cluster-adapter.cjs'), '-i', '2', '--name', 'adapter'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const clients: ReturnType<typeof ioClient>[] = [];
    try {
      for (let i = 0; i < 20; i++) clients.push(ioClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false }));
      await connected(clients);
      const heard = clients.map((client) => new Promise<{ from: number }>((resolve) => client.once('news', resolve)));
      const from = (await clients[0]!.timeout(5000).emitWithAck('shout', 'hello')) as number;
      const news = await Promise.all(heard);
      assert.equal(news.length, 20);
      assert.ok(news.every((item) => item.from === from), 'all 20 heard the one broadcast');
      // Clients on both workers, and each worker counts all 20 through the relay.
      const pids = await Promise.all(clients.map((client) => client.timeout(5000).emitWithAck('pid') as Promise<number>));
      assert.equal(new Set(pids).size, 2, 'clients on both workers');
      const counts = await Promise.all(clients.slice(0, 4).map((client) => client.timeout(5000).emitWithAck('count') as Promise<number>));
      assert.deepEqual(counts, [20, 20, 20, 20]);
    } finally {
      for (const client of clients) client.close();
    }
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('Socket.IO with its default transports (long-polling first) on one worker', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('socketio.cjs'), '-i', '1', '--name', 'io'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const client = ioClient(`http://127.0.0.1:${port}`, { reconnection: false });
    try {
      const pid = (await client.timeout(5000).emitWithAck('ping')) as number;
      assert.ok(pid > 0);
      // The upgrade from polling to WebSocket happens after the first exchange.
      await waitFor(() => client.io.engine.transport.name === 'websocket', 5000, 'the upgrade to WebSocket');
      assert.equal(await client.timeout(5000).emitWithAck('ping'), pid);
    } finally {
      client.close();
    }
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it("an 'upgrade' listener added by the first request (as Next.js's custom server does): every first request answers", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('lazy-upgrade.cjs'), '-i', '2', '--name', 'lazy'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add((await get(`http://127.0.0.1:${port}/`, { timeoutMs: 3000 })).json<{ pid: number }>().pid);
    assert.equal(pids.size, 2, 'the first request of each worker was answered');
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
      req.on('upgrade', (_res, socket) => {
        socket.once('data', (data) => {
          resolve(String(data));
          socket.destroy();
        });
        socket.write('ping');
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(echoed, 'ping');
    assert.doesNotMatch(drover.output, /Maximum call stack|crashed/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it("ws attached before listen(): a message answered 2 s into a reload drain still reaches the client, before drover's clean close", async () => {
    const port = await freePort();
    // One connection closes in the middle of its window: 3 s after the drain opens it.
    const drover = new DroverProcess(['run', framework('ws-slow-reply.cjs'), '-i', '1', '--name', 'ws', '--kill-timeout', '8000', '--ws-close-window', '6000'], {
      env: { PORT: String(port) },
    });
    await drover.waitUntilListening(15_000);
    const socket = await openSocket(`ws://127.0.0.1:${port}/`);
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    let closeCode: number | undefined;
    socket.on('close', (code) => (closeCode = code));
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload: worker 0 is pid \d+ .*replacing pid \d+, now draining/, 5000);
    const answer = nextMessage(socket);
    socket.send('slow');
    assert.match(await answer, /^slow answer from \d+$/);
    assert.equal(closeCode, undefined, 'the upgraded connection was not cut when the drain began');
    // Then the connection the app left open gets drover's clean close: Service Restart.
    assert.equal(await closed, 1012);
    await drover.waitForOutput(/reload done/, 5000);
    drover.signal('SIGTERM');
    await drover.exited;
  });
});
