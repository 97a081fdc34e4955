import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DroverProcess, fixture } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// Sticky keys read from the request head (cookie here; header: and sid take the same
// path): the supervisor reads each new connection's first bytes to pick a worker and
// sends them along. Whatever way the client writes its request, the app must see every
// byte, once, in order.

interface Echo {
  pid: number;
  method: string;
  url: string;
  cookie?: string;
  pad?: number;
  bytes: number;
  sha256: string;
}

/** Write `parts` on one new connection, a pause between each; resolves with every answer's JSON body, in order. */
function exchange(port: number, parts: (string | Buffer)[], pauseMs = 30): Promise<Echo[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const bodies = [...text.matchAll(/content-length: (\d+)\r\n(?:.*\r\n)*?\r\n/gi)].map((m) => JSON.parse(text.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]))) as Echo);
      resolve(bodies);
    });
    socket.once('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((wait) => setTimeout(wait, pauseMs));
        socket.write(part);
      }
    });
  });
}

const request = (path: string, session: string, extra = '', body?: Buffer, close = true) =>
  `${body ? 'POST' : 'GET'} ${path} HTTP/1.1\r\nHost: x\r\n${extra}Cookie: theme=dark; session=${session}\r\n${body ? `Content-Length: ${body.length}\r\n` : ''}${close ? 'Connection: close\r\n' : ''}\r\n`;

describe('balance: sticky keys read from the request head', () => {
  let drover: DroverProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    drover = new DroverProcess(['run', fixture('echo-request.cjs'), '-i', '2', '--balance', 'sticky', '--sticky-key', 'cookie:session'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
  });
  after(async () => {
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a head split across several writes arrives whole, and goes where the same cookie in one write goes', async () => {
    const whole = request('/split', 's1');
    const [one] = await exchange(port, [whole]);
    const cuts = [5, 20, whole.indexOf('session=') + 3, whole.length - 1];
    const parts = cuts.map((cut, i) => whole.slice(i === 0 ? 0 : cuts[i - 1], cut)).concat(whole.slice(cuts.at(-1)));
    const [split] = await exchange(port, parts);
    assert.equal(split!.url, '/split');
    assert.equal(split!.cookie, 'theme=dark; session=s1');
    assert.equal(split!.pid, one!.pid);
  });

  it('a 1 MiB body, written with its head, arrives intact', async () => {
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const [echo] = await exchange(port, [Buffer.concat([Buffer.from(request('/upload', 's2', '', body)), body])]);
    assert.equal(echo!.bytes, body.length);
    assert.equal(echo!.sha256, createHash('sha256').update(body).digest('hex'));
  });

  it('pipelined requests in one write all arrive, in order, on one worker', async () => {
    const body = Buffer.from('x'.repeat(3000));
    const pipelined = request('/1', 's3', '', undefined, false) + request('/2', 's3', '', body, false) + body.toString() + request('/3', 's3');
    const echoes = await exchange(port, [pipelined]);
    assert.deepEqual(
      echoes.map((echo) => [echo.url, echo.bytes]),
      [
        ['/1', 0],
        ['/2', 3000],
        ['/3', 0],
      ],
    );
    assert.equal(new Set(echoes.map((echo) => echo.pid)).size, 1);
  });

  it('a head past the 16 KiB the supervisor reads still reaches the app whole', async () => {
    const pad = 'p'.repeat(20 * 1024);
    const [echo] = await exchange(port, [request('/big', 's4', `X-Pad: ${pad}\r\n`)]);
    assert.equal(echo!.url, '/big');
    assert.equal(echo!.pad, pad.length);
  });

  it('a client that goes before sending its head leaves nothing behind: the next ones are served', async () => {
    for (let i = 0; i < 5; i++) {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      if (i % 2) socket.write('GET / HT');
      socket.destroy();
    }
    const echoes = await Promise.all(Array.from({ length: 10 }, (_, i) => exchange(port, [request(`/after/${i}`, `s${i}`)])));
    assert.deepEqual(
      echoes.map(([echo]) => echo!.url),
      Array.from({ length: 10 }, (_, i) => `/after/${i}`),
    );
  });
});

describe('balance: sticky by a header', () => {
  it('the same header value lands on the same worker on new connections, and values spread over both', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('echo-request.cjs'), '-i', '2', '--balance', 'sticky', '--sticky-key', 'header:x-user'], { env: { PORT: String(port) } });
    try {
      await drover.waitUntilListening();
      const owners = new Map<string, Set<number>>();
      for (let user = 0; user < 12; user++) {
        const pids = new Set<number>();
        for (let j = 0; j < 3; j++) {
          const [echo] = await exchange(port, [`GET /u HTTP/1.1\r\nHost: x\r\nX-User: u${user}\r\nConnection: close\r\n\r\n`]);
          pids.add(echo!.pid);
        }
        owners.set(`u${user}`, pids);
      }
      assert.ok([...owners.values()].every((pids) => pids.size === 1), 'one worker per header value');
      assert.equal(new Set([...owners.values()].map((pids) => [...pids][0])).size, 2, 'both workers have users');
      drover.signal('SIGTERM');
      assert.equal((await drover.exited).code, 0);
    } finally {
      drover.killGroup();
    }
  });
});
