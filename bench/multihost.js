// Many hosts on loopback (README: "Many machines: behind nginx with Redis"): three
// `drover run`s of an express-session app on 127.0.0.2, .3 and .4 (same port, each with
// its own DROVER_HOME), one redis-server for the store and the sessions, a real nginx on
// 127.0.0.1 in front with the upstream `drover init compose` writes. Keep-alive clients
// GET /me through nginx with a session made before anything starts; a request fails on
// a socket error, a status other than 200, or a lost session. Prints requests, failed,
// p99 and the answers per host for: a rolling deploy by `drover reload` host by host,
// one by stop (SIGTERM) and start host by host, and a SIGKILL of one host's supervisor.
// The same harness as test/multihost (test/helpers/multihost.ts, loaded through tsx).
// Needs nginx and redis-server on PATH (apt-get install nginx-light redis-server).
//
//   npm run build && node bench/multihost.js [--connections 16] [--shutdown-delay 1000] [--rounds 1]
import { register } from 'tsx/esm/api';
import { option, ROOT } from './lib.js';

register();
const { killOneHost, login, percentile, rollingDeploy, sessionLoad, sleep, startMultihost } = await import('../test/helpers/multihost.ts');

const connections = option('connections', 16);
const shutdownDelayMs = option('shutdown-delay', 1000);
const rounds = option('rounds', 1);

const rows = [];
const row = (phase, tally, notes) => {
  const requests = tally.ok + tally.failed;
  const byHost = Object.entries(tally.byHost)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, count]) => `${host.slice(-2)}: ${Math.round((100 * count) / Math.max(1, tally.ok))}%`)
    .join(', ');
  rows.push([phase, String(requests), String(tally.failed), `${percentile(tally.latencies, 99).toFixed(1)} ms`, byHost, notes]);
  console.log(`${phase}: ${requests} requests, ${tally.failed} failed${tally.failures.length ? ` (${[...new Set(tally.failures.map((f) => f.slice(0, 120)))].join('; ')})` : ''}, p99 ${percentile(tally.latencies, 99).toFixed(1)} ms, ${byHost}; ${notes}`);
};

for (let round = 1; round <= rounds; round++) {
  const cluster = await startMultihost({ script: `${ROOT}test/fixtures/frameworks/express-session-host.cjs`, shutdownDelayMs });
  try {
    const cookie = await login(cluster.url);
    for (const how of ['reload', 'restart']) {
      const load = sessionLoad(cluster.url, cookie, connections);
      await sleep(1000);
      const deploys = await rollingDeploy(cluster, how);
      await sleep(1000);
      const tally = await load.stop();
      const took = deploys.map((deploy) => `${deploy.address.slice(-2)} ${(deploy.ms / 1000).toFixed(1)} s`).join(', ');
      row(how === 'reload' ? 'deploy: drover reload, host by host' : 'deploy: stop (SIGTERM) and start, host by host', tally, `per host: ${took}`);
    }
    const load = sessionLoad(cluster.url, cookie, connections);
    const { orphansGoneMs } = await killOneHost(cluster, load, cluster.hosts[1]);
    await sleep(2000);
    row('SIGKILL of one host supervisor', await load.stop(), `its orphaned workers gone after ${orphansGoneMs} ms`);
  } finally {
    await cluster.stop();
  }
}

console.log(`\n${connections} keep-alive connections through nginx, 3 hosts x 2 workers, shutdown_delay ${shutdownDelayMs} ms\n`);
console.log('| phase | requests | failed | p99 | answers per host | |');
console.log('| --- | ---: | ---: | ---: | --- | --- |');
for (const cells of rows) console.log(`| ${cells.join(' | ')} |`);
