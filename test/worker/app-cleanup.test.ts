import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DroverProcess, ROOT, fixture, runDrover, sleep, waitFor } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

// The app's own shutdown code runs under drover as it would under plain node: its
// SIGTERM handler (Fastify's close, NestJS's enableShutdownHooks, Koa's server.close)
// on stop, reload and scale-down, and async work in a server 'close' listener, while
// no request is lost.

const framework = (name: string) => `${ROOT}test/fixtures/frameworks/${name}`;

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

describe("the app's own cleanup", () => {
  it('Fastify: close() and its onClose hooks run on reload, scale-down and stop; no request fails across the reload', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('fastify.cjs'), '-i', '2', '--name', 'fast'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 10);
    await sleep(300);
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload done/, 15_000);
    await sleep(300);
    const tally = await load.stop();
    assert.equal(tally.failed, 0, `failed requests: ${tally.failures.slice(0, 5).join('; ')}`);
    assert.ok(tally.ok > 50, `requests served: ${tally.ok}`);
    await waitFor(() => count(drover.stdout, /fastify onClose ran in \d+/) === 2, 5000, 'onClose in both old workers');
    assert.equal(count(drover.stdout, /fastify heard SIGTERM/), 2);

    const scaled = await runDrover(['scale', 'fast', '1']);
    assert.equal(scaled.code, 0, scaled.output);
    await waitFor(() => count(drover.stdout, /fastify onClose ran in \d+/) === 3, 5000, 'onClose in the scaled-down worker');

    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.equal(count(drover.stdout, /fastify onClose ran in \d+/), 4);
    assert.doesNotMatch(drover.output, /killed|forced/);
  });

  it('Fastify: a 1 s request in flight when the stop begins completes', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('fastify.cjs'), '-i', '1', '--name', 'fast'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    const slow = get(`http://127.0.0.1:${port}/slow`);
    await sleep(200);
    drover.signal('SIGTERM');
    const reply = await slow;
    assert.equal(reply.status, 200);
    assert.equal(reply.json<{ slow: boolean }>().slow, true);
    assert.equal((await drover.exited).code, 0);
    assert.match(drover.stdout, /fastify onClose ran/);
  });

  it('NestJS with enableShutdownHooks(): onApplicationShutdown hears SIGTERM on stop, and the worker ends', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('nest.cjs'), '-i', '2', '--name', 'nest'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    drover.signal('SIGUSR2');
    await drover.waitForOutput(/reload done/, 15_000);
    await waitFor(() => count(drover.stdout, /nest onApplicationShutdown\(SIGTERM\)/) === 2, 5000, 'the hook in both old workers');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.equal(count(drover.stdout, /nest onApplicationShutdown\(SIGTERM\)/), 4);
    assert.doesNotMatch(drover.output, /killed|forced/);
  });

  it("Koa: server.close(cb) in the SIGTERM handler calls back without an error once the server has closed; the cleanup finishes", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', framework('koa.cjs'), '-i', '1', '--name', 'koa'], { env: { PORT: String(port) } });
    await drover.waitUntilListening(15_000);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.match(drover.stdout, /koa closed in \d+\n/);
  });

  it("async work in a server 'close' listener finishes before the worker exits", async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('async-close-listener.cjs'), '-i', '2', '--name', 'closer'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.equal(count(drover.stdout, /close work done in \d+/), 2);
  });

  it('a SIGTERM handler that closes the server and exits: 3 reloads under keep-alive load lose no request', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', fixture('sigterm-close-exit.cjs'), '-i', '2', '--name', 'closer'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const load = keepAliveLoad(`http://127.0.0.1:${port}/`, 20);
    await sleep(300);
    for (let i = 1; i <= 3; i++) {
      drover.signal('SIGUSR2');
      await drover.waitForOutput(new RegExp(`(reload done[^]*){${i}}`), 15_000);
      await sleep(300);
    }
    const tally = await load.stop();
    assert.equal(tally.failed, 0, `failed requests: ${tally.failures.slice(0, 5).join('; ')}`);
    assert.ok(tally.ok > 200, `requests served: ${tally.ok}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
