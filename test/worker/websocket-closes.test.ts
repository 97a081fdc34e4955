import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { DroverProcess, ROOT, isAlive, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';
import { connected } from '../helpers/socketio.js';

// A draining worker's WebSocket clients, with real clients and unchanged apps: each
// gets a clean close (1012 on a reload, 1001 on a stop), at its own moment over
// ws_close_window, and comes back to a new worker.

const framework = (name: string) => `${ROOT}test/fixtures/frameworks/${name}`;

/** A ws client as a browser app writes one: it learns its worker's pid, and reconnects shortly after every close. */
class ReconnectingClient {
  readonly closes: { code: number; at: number; pid: number | undefined }[] = [];
  pid: number | undefined;
  #socket: WebSocket | undefined;
  #stopped = false;

  constructor(readonly url: string) {}

  /** Open (again) and learn the pid of the worker that took the connection. */
  async connect(): Promise<void> {
    const socket = new WebSocket(this.url);
    this.#socket = socket;
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.once('close', (code) => {
      this.closes.push({ code, at: performance.now(), pid: this.pid });
      this.pid = undefined;
      // A real client waits a little, with some jitter, before it comes back.
      if (!this.#stopped) setTimeout(() => void this.connect().catch(() => undefined), 50 + Math.random() * 100);
    });
    this.pid = await this.ask();
  }

  /** The pid of the worker that echoes a message now. */
  ask(): Promise<number> {
    const socket = this.#socket!;
    return new Promise((resolve, reject) => {
      socket.once('message', (data) => resolve(Number(String(data).split(':')[0])));
      socket.once('close', (code) => reject(new Error(`closed with ${code} before the echo`)));
      socket.send('who');
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#socket?.terminate();
  }
}

/** Waits until every pid in `pids` has exited. */
const gone = (pids: Iterable<number>, what: string) => waitFor(() => [...pids].every((pid) => !isAlive(pid)), 10_000, what);

describe('WebSocket clients of a draining worker', () => {
  it('Express + ws, 40 clients on 2 workers, a rolling reload: every client closed with 1012, spread over the window, and back on a new worker', async () => {
    const port = await freePort();
    const windowMs = 1500;
    const drover = new DroverProcess(['run', framework('express-ws.cjs'), '-i', '2', '--name', 'chat', '--ws-close-window', String(windowMs)], { env: { PORT: String(port) } });
    const clients = Array.from({ length: 40 }, () => new ReconnectingClient(`ws://127.0.0.1:${port}/`));
    try {
      await drover.waitUntilListening(15_000);
      await Promise.all(clients.map((client) => client.connect()));
      const oldPids = new Set(clients.map((client) => client.pid!));
      assert.equal(oldPids.size, 2, 'clients on both workers');

      drover.signal('SIGUSR2');
      await drover.waitForOutput(/reload done/, 15_000);
      await gone(oldPids, 'the old workers to exit');
      await waitFor(() => clients.every((client) => client.pid !== undefined), 10_000, 'every client to be back');

      for (const client of clients) {
        assert.ok(client.closes.length >= 1, 'every client was closed');
        assert.deepEqual(new Set(client.closes.map((close) => close.code)), new Set([1012]), 'a clean close: Service Restart, never 1006');
        assert.ok(!oldPids.has(await client.ask()), 'back on a new worker');
      }
      // Each old worker's clients were closed one after another across the window, not at
      // once. node:cluster's round-robin hands a connection to whichever worker is free
      // first, so on a busy machine 40 clients may split 32 to 8: a handful is enough here.
      for (const pid of oldPids) {
        const times = clients.map((client) => client.closes.find((close) => close.pid === pid)?.at).filter((at) => at !== undefined).sort((a, b) => a - b);
        assert.ok(times.length >= 5, `worker ${pid} had ${times.length} clients`);
        const spread = times.at(-1)! - times[0]!;
        assert.ok(spread >= windowMs / 2, `worker ${pid}: closes spread over ${Math.round(spread)} ms of a ${windowMs} ms window`);
        assert.ok(new Set(times.map(Math.round)).size >= times.length / 2, `worker ${pid}: distinct close moments`);
      }
      assert.doesNotMatch(drover.output, /killed/);
    } finally {
      for (const client of clients) client.stop();
    }
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a stop closes every client with 1001 (Going Away), and the workers exit by themselves, not at kill_timeout', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('express-ws.cjs'), '-i', '2', '--name', 'chat', '--ws-close-window', '300'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const sockets: WebSocket[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
        sockets.push(socket);
        await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      }
      const codes = Promise.all(sockets.map((socket) => new Promise<number>((resolve) => socket.once('close', resolve))));
      drover.signal('SIGTERM');
      assert.deepEqual(await codes, Array(6).fill(1001));
      const exit = await drover.exited;
      assert.equal(exit.code, 0, drover.output);
      assert.doesNotMatch(drover.output, /killed/);
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  });

  it('Socket.IO, default transports, sticky by sid, cluster adapter, 20 clients: across a rolling reload each reconnects by itself, and every emit after that is acknowledged', async () => {
    const port = await freePort();
    const drover = new DroverProcess(
      ['run', framework('socketio-cluster-adapter.cjs'), '-i', '2', '--name', 'io', '--balance', 'sticky', '--sticky-key', 'sid', '--ws-close-window', '1000'],
      { env: { PORT: String(port) } },
    );
    const clients: Socket[] = [];
    try {
      await drover.waitUntilListening(15_000);
      const closeCodes: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const client = ioClient(`http://127.0.0.1:${port}`);
        // The WebSocket close the client saw, under Socket.IO's "transport close".
        client.on('disconnect', (_reason, details) => closeCodes.push((details as { context?: { code?: number } } | undefined)?.context?.code));
        clients.push(client);
      }
      await connected(clients);
      // Long-polling first, then the upgrade: the drain closes WebSockets.
      await waitFor(() => clients.every((client) => client.io.engine.transport.name === 'websocket'), 10_000, 'every client to upgrade to WebSocket');
      const oldPids = new Set(await Promise.all(clients.map((client) => client.timeout(5000).emitWithAck('pid') as Promise<number>)));
      assert.equal(oldPids.size, 2, 'sessions on both workers');

      drover.signal('SIGUSR2');
      await drover.waitForOutput(/reload done/, 15_000);
      await gone(oldPids, 'the old workers to exit');
      // socket.io-client's own reconnection (1 s ± 50 % after the close) brings every client back.
      await waitFor(() => clients.every((client) => client.connected), 15_000, 'every client to reconnect');
      await sleep(100);

      assert.ok(closeCodes.length >= 20, `every client was disconnected (${closeCodes.length})`);
      assert.deepEqual(new Set(closeCodes), new Set([1012]), 'every WebSocket closed cleanly with 1012');
      const acks = await Promise.all(clients.flatMap((client) => [1, 2, 3].map(() => client.timeout(5000).emitWithAck('pid') as Promise<number>)));
      assert.equal(acks.length, 60, 'every emit acknowledged');
      assert.ok(acks.every((pid) => !oldPids.has(pid)), 'answered by the new workers');
      // The adapter relays between the new workers too: one broadcast reaches 20 of 20.
      const heard = clients.map((client) => new Promise((resolve) => client.once('news', resolve)));
      await clients[0]!.timeout(5000).emitWithAck('shout', 'after the reload');
      assert.equal((await Promise.all(heard)).length, 20);
    } finally {
      for (const client of clients) client.close();
    }
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
