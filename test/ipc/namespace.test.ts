import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, runDrover, sleep } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// drover's protocol and the app's own IPC messages never mix: the app's
// process.on('message') hears nothing of drover's, and nothing the app sends is taken
// for drover's. The fixture is the guides' worker code, which closes its server and
// exits on any message of type 'shutdown'.

describe('IPC namespace', () => {
  it("the app's process.on('message') hears none of drover's messages: 3 reloads under keep-alive load lose no request", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('reads-messages.cjs'), '-i', '2', '--name', 'guide', '--stats-interval', '200'], {
      env: { PORT: String(port) },
    });
    await drover.waitUntilListening();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const client = async () => {
      while (running) {
        await get(`http://127.0.0.1:${port}/`, { agent }).then(
          (reply) => (reply.status === 200 ? (ok += 1) : failures.push(`status ${reply.status}`)),
          (error: Error) => failures.push(error.message),
        );
      }
    };
    const clients = Array.from({ length: 20 }, client);
    try {
      await sleep(300);
      for (let i = 1; i <= 3; i++) {
        drover.signal('SIGUSR2');
        await drover.waitForOutput(new RegExp(`(reload done[^]*){${i}}`), 15_000);
        await sleep(300);
      }
    } finally {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    }
    assert.deepEqual(failures.slice(0, 5), []);
    assert.ok(ok > 200, `requests served: ${ok}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.doesNotMatch(drover.stdout, /app got message/);
  });

  it("messages from the app shaped like drover's are not taken for drover's; malformed ones are dropped and recorded", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('reads-messages.cjs'), '-i', '1', '--name', 'forger'], { env: { PORT: String(port), FORGE: '1' } });
    await drover.waitUntilListening();
    const described = await waitForInvalid('forger', 4);
    const details = described.map((event) => event.detail);
    assert.match(details.join('\n'), /stats: stats is missing/);
    assert.match(details.join('\n'), /listening: address is missing|listening: address is malformed/);
    assert.match(details.join('\n'), /unknown type "no-such-type"/);
    assert.match(details.join('\n'), /no sequence number/);
    // The supervisor is still there and the worker still serves.
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});

async function waitForInvalid(app: string, count: number): Promise<{ kind: string; detail: string }[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const result = await runDrover(['describe', app, '--json']);
    const events = result.code === 0 ? (JSON.parse(result.stdout) as { events: { kind: string; detail: string }[] }).events : [];
    const invalid = events.filter((event) => event.kind === 'ipc-invalid');
    if (invalid.length >= count) return invalid;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} dropped messages; timeline: ${JSON.stringify(events)}`);
    await sleep(200);
  }
}
