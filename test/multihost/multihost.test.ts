import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/drover-process.js';
import { killOneHost, login, rollingDeploy, sessionLoad, sleep, startMultihost, whoIs, type Multihost } from '../helpers/multihost.js';

// Many hosts, for real, on loopback (README: "Many machines: behind nginx with
// Redis"): three `drover run`s of an express-session app, each with its own
// DROVER_HOME on its own address (127.0.0.2, .3, .4) and the same port, sharing one
// redis-server for the store and the sessions, behind a real nginx on 127.0.0.1 with
// the upstream block `drover init compose` writes. Under keep-alive load through nginx
// (every request reads the session made before the deploy), each deploy the README
// describes loses 0 requests, and the session is valid on every host afterwards;
// SIGKILL of one host's supervisor costs what the README states: 0.

const APP = `${ROOT}test/fixtures/frameworks/express-session-host.cjs`;
const CONNECTIONS = 8;

describe('three drover hosts behind nginx, sharing Redis', () => {
  let cluster: Multihost;
  let cookie: string;

  before(async () => {
    cluster = await startMultihost({ script: APP, shutdownDelayMs: 1000 });
    cookie = await login(cluster.url);
  });
  after(async () => {
    await cluster?.stop();
  });

  async function sessionValidOnEveryHost() {
    for (const host of cluster.hosts) {
      // Straight to the host, not through nginx: each one reads the session from Redis.
      assert.deepEqual(await whoIs(host.url, cookie), { host: host.address, user: 'ada' }, `the session on ${host.address}`);
    }
  }

  /** Load through nginx while `deploy` runs, 0.5 s either side; the tally. */
  async function underLoad(deploy: () => Promise<unknown>) {
    const load = sessionLoad(cluster.url, cookie, CONNECTIONS);
    await sleep(500);
    await deploy();
    await sleep(500);
    return load.stop();
  }

  it('the session made through nginx is valid on every host', async () => {
    await sessionValidOnEveryHost();
  });

  it('a rolling reload host by host (drover reload on each) loses 0 requests through nginx, and the session stays valid on every host', async () => {
    const tally = await underLoad(() => rollingDeploy(cluster, 'reload'));
    assert.deepEqual(tally.failures, [], 'no request failed');
    assert.ok(tally.ok > 0);
    for (const host of cluster.hosts) assert.ok((tally.byHost[host.address] ?? 0) > 0, `${host.address} served some: ${JSON.stringify(tally.byHost)}`);
    await sessionValidOnEveryHost();
  });

  it('a stop and start host by host (SIGTERM: /readyz 503, shutdown_delay, drain) loses 0 requests through nginx, and the session stays valid on every host', async () => {
    let deploys: Awaited<ReturnType<typeof rollingDeploy>> = [];
    const tally = await underLoad(async () => (deploys = await rollingDeploy(cluster, 'restart')));
    assert.deepEqual(tally.failures, [], 'no request failed');
    assert.ok(tally.ok > 0);
    for (const deploy of deploys) {
      assert.ok(deploy.readyzWhileStopping.includes(503), `${deploy.address}: /readyz was 503 while it stopped (${deploy.readyzWhileStopping.join(',')})`);
      assert.equal(deploy.exitCode, 0, `${deploy.address} drained and exited 0`);
    }
    await sessionValidOnEveryHost();
  });

  it("SIGKILL of one host's supervisor under load: its orphaned workers exit, nginx retries on the other hosts, 0 requests fail", async () => {
    const victim = cluster.hosts[1]!;
    const load = sessionLoad(cluster.url, cookie, CONNECTIONS);
    await killOneHost(cluster, load, victim);
    await sleep(1000);
    const tally = await load.stop();
    // The README's figure: 0 failed, with the app answering 503 when the store is out
    // of reach (its drover is gone), which nginx retries on another host.
    assert.deepEqual(tally.failures, [], 'no request failed');
    assert.deepEqual(victim.leftovers(), [], 'nothing left of the killed host');
    for (const host of cluster.hosts.filter((host) => host !== victim)) assert.deepEqual(await whoIs(host.url, cookie), { host: host.address, user: 'ada' });
  });

  it('leaves no process behind', async () => {
    const hosts = cluster.hosts;
    await cluster.stop();
    for (const host of hosts) assert.deepEqual(host.leftovers(), [], `nothing left of ${host.address}`);
  });
});
