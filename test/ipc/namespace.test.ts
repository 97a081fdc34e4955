import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, sleep, waitForEvents } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

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
    const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 20);
    try {
      await sleep(300);
      for (let i = 1; i <= 3; i++) {
        drover.signal('SIGUSR2');
        await drover.waitForOutput(new RegExp(`(reload done[^]*){${i}}`), 15_000);
        await sleep(300);
      }
    } finally {
      await load.stop();
    }
    assert.deepEqual(load.tally.failures.slice(0, 5), []);
    assert.ok(load.tally.ok > 200, `requests served: ${load.tally.ok}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.doesNotMatch(drover.stdout, /app got message/);
  });

  it("messages from the app shaped like drover's are not taken for drover's; malformed ones are dropped and recorded", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('reads-messages.cjs'), '-i', '1', '--name', 'forger'], { env: { PORT: String(port), FORGE: '1' } });
    await drover.waitUntilListening();
    const described = await waitForEvents('forger', 'ipc-invalid', /./, 4);
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
