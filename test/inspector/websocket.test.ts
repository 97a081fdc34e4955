import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { WebSocketClient } from '../../src/inspector/websocket.js';
import { usesOwnInspector } from '../../src/inspector/inspect-flags.js';

// drover's own WebSocket client (the hung-worker capture's link to Node's inspector)
// against `ws`'s server, which checks what a client must do (masking) and sends every
// frame length the protocol has, fragments and pings.

async function withServer(onConnection: (socket: import('ws').WebSocket) => void, test: (url: string) => Promise<void>): Promise<void> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', onConnection);
  try {
    await test(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/session`);
  } finally {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('WebSocket client', () => {
  it('reads short, 16-bit and 64-bit lengths and fragmented messages, answers pings, and sends masked frames a server accepts', async () => {
    const long = 'x'.repeat(70_000);
    let ponged = false;
    const echoed: string[] = [];
    await withServer(
      (socket) => {
        socket.on('pong', () => (ponged = true));
        socket.on('message', (data) => echoed.push(String(data)));
        socket.ping();
        socket.send('short');
        socket.send('m'.repeat(300));
        socket.send(long);
        socket.send('frag', { fin: false });
        socket.send('mented', { fin: true });
      },
      async (url) => {
        const client = await WebSocketClient.connect(url, 2000);
        const received: string[] = [];
        await new Promise<void>((resolve) =>
          client.onMessage((text) => {
            received.push(text);
            if (received.length === 4) resolve();
          }),
        );
        assert.deepEqual(received, ['short', 'm'.repeat(300), long, 'fragmented']);
        client.send('{"id":1}');
        client.send('y'.repeat(70_000));
        for (let i = 0; i < 100 && (echoed.length < 2 || !ponged); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.deepEqual(echoed, ['{"id":1}', 'y'.repeat(70_000)]);
        assert.ok(ponged, 'the ping was answered');
        const closed = new Promise((resolve) => client.onClose(resolve));
        client.close();
        assert.equal(await closed, 'closed');
      },
    );
  });

  it('reports a server that closes the connection', async () => {
    await withServer(
      (socket) => socket.close(),
      async (url) => {
        const client = await WebSocketClient.connect(url, 2000);
        assert.match(await new Promise<string>((resolve) => client.onClose(resolve)), /closed by the inspector|the connection closed/);
      },
    );
  });
});

describe('inspect flags', () => {
  it("tells an app that sets up Node's inspector itself, in node_args or NODE_OPTIONS", () => {
    for (const args of [['--inspect'], ['--inspect=0.0.0.0:9229'], ['--inspect-brk'], ['--inspect-port=9300'], ['--debug-port=9300'], ['--inspect-wait']]) {
      assert.equal(usesOwnInspector(args, undefined), true, args.join(' '));
    }
    assert.equal(usesOwnInspector([], '--max-old-space-size=100 --inspect'), true);
    assert.equal(usesOwnInspector(['--max-old-space-size=100', '--enable-source-maps'], '--require ./x.js'), false);
    assert.equal(usesOwnInspector(['--inspect-publish-uid=http'], undefined), false);
  });
});
