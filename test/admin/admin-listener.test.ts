import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, runDrover, scratchDir, sleep } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';
import { adminGet, promtoolCheck, samples, which } from '../helpers/admin.js';

// The admin listener of a real supervisor: who may call what, probes, /metrics and
// `drover metrics`, readiness through a SIGTERM, and the settings it refuses.

const TOKEN = 'test-token-0123456789abcdef';
const PROMTOOL = which('promtool');

async function startApp(name: string, args: string[], env: Record<string, string> = {}) {
  const [port, admin] = [await freePort(), await freePort()];
  const drover = new DroverProcess(['run', fixture('prom-app.cjs'), '-i', '2', '--name', name, '--admin-port', String(admin), ...args], {
    env: { PORT: String(port), ...env },
  });
  await drover.waitUntilListening();
  return { drover, port, admin };
}

async function stop(drover: DroverProcess) {
  drover.signal('SIGTERM');
  const exit = await drover.exited;
  assert.equal(exit.code, 0, drover.output);
  assert.deepEqual(drover.groupPids(), []);
}

describe('admin listener', () => {
  it('asks for the token on every route but the probes, serves no owner route, and says where it listens', async () => {
    const { drover, port, admin } = await startApp('admin-token', [], { DROVER_ADMIN_TOKEN: TOKEN });
    assert.match(drover.output, new RegExp(`admin-token: admin listener on http://127\\.0\\.0\\.1:${admin} \\(/metrics, /healthz, /readyz, dashboard at /; bearer token, probes public\\)`));
    for (let i = 0; i < 6; i++) assert.equal((await get(`http://127.0.0.1:${port}/order`)).status, 200);

    for (const path of ['/metrics', '/v1/status', '/v1/timeline']) {
      const none = await adminGet(admin, path);
      assert.equal(none.status, 401, path);
      assert.match(none.headers['www-authenticate'] ?? '', /^Bearer/);
      assert.match(JSON.parse(none.body).error, /needs the admin token/);
      assert.equal((await adminGet(admin, path, 'wrong-token-0123456789abcdef')).status, 401, path);
      assert.equal((await adminGet(admin, path, TOKEN.slice(0, -1))).status, 401, path);
      assert.equal((await adminGet(admin, path, TOKEN)).status, 200, path);
    }
    // Probes are public by default: Kubernetes' httpGet probes send no token.
    const health = await adminGet(admin, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).ok, true);
    const ready = await adminGet(admin, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual({ ...JSON.parse(ready.body), reason: undefined }, { ready: true, readyWorkers: 2, minReady: 1, reason: undefined });
    // Owner routes (the environment, config updates) never leave the socket; unknown paths are 404 too.
    for (const path of ['/v1/command', '/v1/env', '/nothing', '/assets/nothing.js']) assert.equal((await adminGet(admin, path, TOKEN)).status, 404, path);

    const metrics = await adminGet(admin, '/metrics', TOKEN);
    assert.match(metrics.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    const got = samples(metrics.body);
    assert.equal(got.get('shop_orders_total{kind="book"}'), 6);
    assert.equal(got.get('drover_http_requests_total{app="admin-token"}'), 6);
    // Each finished response is in the duration histogram, counted once.
    assert.equal(got.get('drover_http_request_duration_seconds_count{app="admin-token"}'), 6);
    assert.equal(got.get('drover_http_request_duration_seconds_bucket{app="admin-token",le="+Inf"}'), 6);
    assert.equal(got.get('drover_workers{app="admin-token",state="ready"}'), 2);
    // The same text over the control socket, for a user without the port.
    const cli = await runDrover(['metrics', 'admin-token']);
    assert.equal(cli.code, 0, cli.output);
    assert.equal(samples(cli.stdout).get('shop_orders_total{kind="book"}'), 6);
    assert.deepEqual([...samples(cli.stdout).keys()].filter((key) => !key.startsWith('drover_')), [...got.keys()].filter((key) => !key.startsWith('drover_')));
    await stop(drover);
  });

  it('counts the requests of an HTTP/2 app (http2 compatibility API) in the request histogram too', async () => {
    const [port, admin] = [await freePort(), await freePort()];
    const drover = new DroverProcess(['run', fixture('h2c-server.cjs'), '-i', '1', '--name', 'h2c', '--admin-port', String(admin)], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 5; i++) {
        const status = await new Promise<number>((resolve, reject) => {
          const stream = session.request({ ':path': '/' });
          let answered = 0;
          stream.on('response', (headers) => (answered = Number(headers[':status'])));
          stream.on('error', reject);
          stream.resume().on('end', () => resolve(answered));
        });
        assert.equal(status, 200);
      }
    } finally {
      session.close();
    }
    const got = samples((await adminGet(admin, '/metrics')).body);
    assert.equal(got.get('drover_http_requests_total{app="h2c"}'), 5);
    assert.equal(got.get('drover_http_request_duration_seconds_count{app="h2c"}'), 5);
    await stop(drover);
  });

  it('/metrics passes promtool check metrics', { skip: PROMTOOL ? false : 'promtool is not installed (apt-get install prometheus)' }, async () => {
    const { drover, port, admin } = await startApp('admin-promtool', []);
    for (let i = 0; i < 4; i++) await get(`http://127.0.0.1:${port}/order`);
    const text = (await adminGet(admin, '/metrics')).body;
    assert.deepEqual(promtoolCheck(text), { code: 0, problems: [] });
    await stop(drover);
  });

  it("with prom-client's default metrics, promtool finds in drover's text only what it finds in the app's own", { skip: PROMTOOL ? false : 'promtool is not installed' }, async () => {
    const { drover, port, admin } = await startApp('admin-defaults', [], { DEFAULT_METRICS: '1' });
    const own = promtoolCheck((await get(`http://127.0.0.1:${port}/metrics`)).body);
    const aggregated = promtoolCheck((await adminGet(admin, '/metrics')).body);
    // prom-client names a few gauges *_total (nodejs_active_handles_total): promtool's lint says so for the app alone too.
    assert.ok(own.problems.length > 0);
    assert.deepEqual(aggregated.problems.sort(), own.problems.sort());
    await stop(drover);
  });

  it('probes can ask for the token too (admin_public_probes: false)', async () => {
    const dir = scratchDir('admin-probes');
    const [port, admin] = [await freePort(), await freePort()];
    const config = `${dir}/drover.config.cjs`;
    writeFileSync(
      config,
      `module.exports = { apps: [{ name: 'admin-private', script: ${JSON.stringify(fixture('prom-app.cjs'))}, instances: 1, env: { PORT: '${port}' }, admin_port: ${admin}, admin_token: '${TOKEN}', admin_public_probes: false, min_ready: 1 }] };\n`,
    );
    const drover = new DroverProcess(['run', config]);
    await drover.waitUntilListening();
    assert.match(drover.output, /bearer token, probes too/);
    for (const path of ['/healthz', '/readyz']) {
      assert.equal((await adminGet(admin, path)).status, 401, path);
      assert.equal((await adminGet(admin, path, TOKEN)).status, 200, path);
    }
    // The token never shows: not in describe, not in drover config.
    const described = await runDrover(['describe', 'admin-private', '--json']);
    assert.equal(JSON.parse(described.stdout).app.admin_token, '********');
    assert.doesNotMatch(described.stdout + (await runDrover(['config', config])).stdout + (await runDrover(['config', config, '--json'])).stdout, new RegExp(TOKEN));
    await stop(drover);
  });

  it('/readyz turns 503 when SIGTERM arrives, before any worker drains, while in-flight requests finish with 200', async () => {
    const { drover, port, admin } = await startApp('admin-ready', ['--kill-timeout', '10s']);
    // Slow requests in flight on both workers, each on its own connection.
    const slow = Array.from({ length: 4 }, () => get(`http://127.0.0.1:${port}/slow?ms=1500`));
    // A scrape asks each worker for its count of requests received: all 4 have arrived.
    let received = 0;
    for (let i = 0; i < 100 && received < 4; i++) {
      received = samples((await adminGet(admin, '/metrics')).body).get('drover_http_requests_total{app="admin-ready"}') ?? 0;
      if (received < 4) await sleep(50);
    }
    assert.equal(received, 4);
    assert.equal((await adminGet(admin, '/readyz')).status, 200);
    drover.signal('SIGTERM');
    let readyz = await adminGet(admin, '/readyz');
    for (let i = 0; i < 100 && readyz.status === 200; i++) readyz = await adminGet(admin, '/readyz');
    assert.equal(readyz.status, 503);
    const body = JSON.parse(readyz.body) as { ready: boolean; reason: string; stoppingSince: number };
    assert.equal(body.ready, false);
    assert.match(body.reason, /^stopping since .*: SIGTERM received$/);
    // Liveness stays good through the drain, and the timeline shows every drain began at or after the flip.
    assert.equal((await adminGet(admin, '/healthz')).status, 200);
    const events = (JSON.parse((await adminGet(admin, '/v1/timeline')).body) as { events: { at: number; kind: string }[] }).events;
    const drains = events.filter((event) => event.kind === 'draining');
    assert.equal(drains.length, 2, JSON.stringify(events));
    for (const drain of drains) assert.ok(drain.at >= body.stoppingSince, `drain at ${drain.at}, not ready since ${body.stoppingSince}`);
    for (const reply of await Promise.all(slow)) assert.equal(reply.status, 200);
    const exit = await drover.exited;
    assert.equal(exit.code, 0, drover.output);
    assert.deepEqual(drover.groupPids(), []);
  });

  it('refuses a host other than loopback without a token, before anything starts', async () => {
    const admin = await freePort();
    const result = await runDrover(['run', fixture('prom-app.cjs'), '-i', '1', '--name', 'admin-open', '--admin-port', String(admin), '--admin-host', '0.0.0.0'], { env: { PORT: String(await freePort()) } });
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /admin_host '0\.0\.0\.0' is not loopback, so the admin listener needs a token.*\[DROVER_E_ADMIN_LISTENER\]/s);
    assert.doesNotMatch(result.output, /listening/);
    assert.deepEqual(result.leftover, []);
  });

  it('a port in use is one clear error, and nothing is left running', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const admin = (holder.address() as net.AddressInfo).port;
    try {
      const result = await runDrover(['run', fixture('prom-app.cjs'), '-i', '1', '--name', 'admin-taken', '--admin-port', String(admin)], { env: { PORT: String(await freePort()) } });
      assert.equal(result.code, 2, result.output);
      assert.match(result.stderr, new RegExp(`the admin listener cannot listen on 127\\.0\\.0\\.1:${admin}: port ${admin} is already in use \\(EADDRINUSE\\).*\\[DROVER_E_ADMIN_LISTENER\\]`, 's'));
      assert.deepEqual(result.leftover, []);
    } finally {
      holder.close();
    }
  });

  it('refuses bad values of the options with their name and the form expected', async () => {
    for (const [args, message] of [
      [['--admin-port', '70000'], /--admin-port: expected a port number from 1 to 65535, got '70000'/],
      [['--admin-port', '9100', '--min-ready', '0'], /--min-ready: expected a positive integer/],
      [['--admin-port', '9100', '--admin-host', ''], /--admin-host: expected a host name or an IP address/],
    ] as const) {
      const result = await runDrover(['run', fixture('prom-app.cjs'), ...args]);
      assert.equal(result.code, 2, result.output);
      assert.match(result.stderr, message);
    }
    const result = await runDrover(['metrics', 'all']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /metrics: name one app/);
  });
});
