import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { describe, it } from 'node:test';
import { DroverProcess, ROOT, fixture, sleep } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// An HTTPS app drains like an HTTP one: its requests run on TLS sockets, which the
// runtime follows (not the raw TCP sockets under them), so a request in flight is
// never taken for an idle connection.

const ca = readFileSync(`${ROOT}test/fixtures/tls/cert.pem`);

function getTls(url: string, agent: https.Agent): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, ca }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

describe('HTTPS', () => {
  it('a 1.5 s request in flight over TLS when a reload starts completes; keep-alive load over TLS loses nothing', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('https-server.cjs'), '-i', '2', '--name', 'secure'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const url = `https://127.0.0.1:${port}`;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 10 });
    const slow = getTls(`${url}/slow?ms=1500`, new https.Agent({ keepAlive: true }));
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const clients = Array.from({ length: 10 }, async () => {
      while (running) {
        await getTls(`${url}/`, agent).then(
          (reply) => (reply.status === 200 ? (ok += 1) : failures.push(`status ${reply.status}`)),
          (error: Error) => failures.push(error.message),
        );
      }
    });
    await sleep(200);
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload done/, 15_000);
    const reply = await slow;
    await sleep(300);
    running = false;
    await Promise.all(clients);
    agent.destroy();
    assert.equal(reply.status, 200);
    assert.equal(reply.connection, 'close');
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(ok > 50, `requests served: ${ok}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it("sticky by cookie with TLS terminated in the app: drover says at start that the head is encrypted, goes by address, and every request over TLS answers", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('https-server.cjs'), '-i', '2', '--name', 'secure-sticky', '--balance', 'sticky', '--sticky-key', 'cookie:sid'], {
      env: { PORT: String(port) },
    });
    await drover.waitUntilListening();
    assert.match(
      drover.stderr,
      /balancer: sticky_key 'cookie:sid' is read from the request head, but the app terminates TLS itself, so the head is encrypted: connections go by client address, as sticky_key: ip\. Set sticky_key: ip, or terminate TLS in a proxy/,
    );
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await getTls(`https://127.0.0.1:${port}/`, new https.Agent({ keepAlive: false })));
    assert.deepEqual(answers.map((answer) => answer.status), Array(10).fill(200));
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
