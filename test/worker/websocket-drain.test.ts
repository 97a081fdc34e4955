import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { waitFor } from '../helpers/drover-process.js';
import { ServerTracker } from '../../src/worker/server-tracker.js';
import { CLOSE_SERVICE_RESTART } from '../../src/worker/websocket-close.js';
import { closeMoments, closeWebSocketsSpread, planCloses, type ClosePlan } from '../../src/worker/websocket-drain.js';

// A drain's WebSocket closes, in one process: when they happen (the plan), and how one
// connection is closed: through ws when ws owns it, with a close frame of drover's own
// when nothing does, not at all for an upgrade that is not WebSocket.

const servers: http.Server[] = [];
const clients: WebSocket[] = [];
after(() => {
  for (const client of clients) client.terminate();
  for (const server of servers) server.close();
});

/** An HTTP server on loopback whose connections `tracker` follows. */
async function trackedServer(tracker: ServerTracker, onUpgrade?: (req: http.IncomingMessage, socket: net.Socket) => void): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  if (onUpgrade) server.on('upgrade', (req, socket) => onUpgrade(req, socket as net.Socket));
  servers.push(server);
  tracker.track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function open(port: number): Promise<WebSocket> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/`);
  clients.push(client);
  return new Promise((resolve, reject) => client.once('open', () => resolve(client)).once('error', reject));
}

const closeOf = (client: WebSocket) => new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));

/** A plan that closes at once, for one connection. */
const NOW: ClosePlan = { startMs: 0, endMs: 0, answerMs: 1000, cutByMs: 2000 };

describe('WebSocket closes in a drain', () => {
  it('the window: half of kill_timeout by default, never past three quarters of it; closes evenly inside it', () => {
    assert.deepEqual(planCloses(400, undefined, 5000), { startMs: 400, endMs: 2900, answerMs: 1000, cutByMs: 4375 });
    assert.equal(planCloses(400, 10_000, 5000).endMs, 3750, 'a window too long for kill_timeout is cut short');
    assert.equal(planCloses(1000, 0, 5000).endMs, 1000, 'ws_close_window 0: all at once');
    assert.equal(planCloses(1000, undefined, 1200).endMs, 1000, 'a window that cannot open closes all at once');
    const moments = closeMoments(4, planCloses(0, 2000, 5000));
    assert.deepEqual(moments, [250, 750, 1250, 1750]);
  });

  it('a ws connection closes through ws with the code: the client and the app both see a clean close', async () => {
    const tracker = new ServerTracker();
    const { server, port } = await trackedServer(tracker);
    const wss = new WebSocketServer({ server });
    const appSaw = new Promise<number>((resolve) => wss.on('connection', (socket) => socket.on('close', (code) => resolve(code))));
    const client = await open(port);
    const closed = closeOf(client);
    closeWebSocketsSpread(tracker, CLOSE_SERVICE_RESTART, NOW, performance.now());
    assert.equal(await closed, 1012);
    assert.equal(await appSaw, 1012, "the app's ws heard its client's answer to the close");
  });

  it('a WebSocket the app upgraded by hand (no ws object) gets a close frame from drover; a non-WebSocket upgrade is left alone', async () => {
    const tracker = new ServerTracker();
    const { port } = await trackedServer(tracker, (req, socket) => {
      if (req.headers.upgrade !== 'websocket') {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
        socket.pipe(socket);
        return;
      }
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      socket.resume();
    });
    const echo = await new Promise<net.Socket>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, headers: { Connection: 'Upgrade', Upgrade: 'echo' } });
      req.on('upgrade', (_res, socket) => resolve(socket as net.Socket)).on('error', reject).end();
    });
    const client = await open(port);
    const closed = closeOf(client);
    closeWebSocketsSpread(tracker, CLOSE_SERVICE_RESTART, NOW, performance.now());
    assert.equal(await closed, 1012);
    const echoed = new Promise<string>((resolve) => echo.once('data', (data) => resolve(String(data))));
    echo.write('still here');
    assert.equal(await echoed, 'still here', 'the echo upgrade is still the app\'s');
    echo.destroy();
  });

  it('a client that never answers its close is cut once answerMs has passed', async () => {
    const tracker = new ServerTracker();
    const { server, port } = await trackedServer(tracker);
    new WebSocketServer({ server });
    // A raw client that completes the handshake and then ignores everything.
    const raw = net.connect(port, '127.0.0.1');
    raw.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await new Promise((resolve) => raw.once('data', resolve));
    const ended = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('data', () => undefined);
    const started = performance.now();
    closeWebSocketsSpread(tracker, CLOSE_SERVICE_RESTART, { startMs: 0, endMs: 0, answerMs: 200, cutByMs: 10_000 }, started);
    await ended;
    assert.ok(performance.now() - started >= 150, 'not cut before the client had its time to answer');
    await waitFor(() => tracker.connections.size === 0, 2000, 'the server side of the connection to close');
  });

  it('spread: 10 connections close at distinct moments across the window, none before it opens', async () => {
    const tracker = new ServerTracker();
    const { server, port } = await trackedServer(tracker);
    new WebSocketServer({ server });
    const opened = await Promise.all(Array.from({ length: 10 }, () => open(port)));
    const started = performance.now();
    const times = Promise.all(opened.map((client) => closeOf(client).then(() => performance.now() - started)));
    closeWebSocketsSpread(tracker, CLOSE_SERVICE_RESTART, { startMs: 100, endMs: 600, answerMs: 1000, cutByMs: 2000 }, started);
    const sorted = (await times).sort((a, b) => a - b);
    assert.ok(sorted[0]! >= 100, `the first close came after the window opened (${sorted[0]} ms)`);
    assert.ok(sorted.at(-1)! - sorted[0]! >= 250, `spread over at least half the window: ${sorted.map(Math.round).join(', ')}`);
    assert.ok(new Set(sorted.map(Math.round)).size >= 5, `not all at the same moment: ${sorted.map(Math.round).join(', ')}`);
  });
});
