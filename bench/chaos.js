// Chaos: 2 workers of the hello example under keep-alive load (wrk, or autocannon when
// wrk is not installed) while a random worker is SIGKILLed every 0.5 to 1.5 s, for
// drover and, in the same run, the guides' cluster script that forks a new worker
// whenever one dies (bench/guide-cluster.cjs). Prints, for each: kills, the time from a
// kill until a new worker answers (median and slowest), probe connections that got no
// answer, the most worker processes alive at once, and failed requests (requests in flight on a killed worker fail under
// either: what counts is how many, and how fast capacity comes back).
//
// `--balance <policy>` (and `--sticky-key <key>`) runs drover with its own balancer
// instead of node:cluster's round-robin: a connection handed to a worker that dies
// before taking it goes to the other one, so no probe should go unanswered.
//
//   node bench/chaos.js [--duration 20] [--connections 20] [--seed 1] [--balance least-connections] [--sticky-key cookie:session]
import http from 'node:http';
import { freePort, groupPids, load, LOAD_TOOL, median, option, startServer, stopServer, textOption } from './lib.js';

const duration = option('duration', 20);
const connections = option('connections', 20);
let seed = option('seed', 1);
const app = 'examples/hello/server.js';
const WORKERS = 2;

// A small seeded generator, so that both targets face the same kill schedule.
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};

const balance = textOption('balance');
const stickyKey = textOption('sticky-key');
const balanceFlags = [...(balance ? ['--balance', balance] : []), ...(stickyKey ? ['--sticky-key', stickyKey] : [])];
const droverName = balance ? `drover ${balance}${stickyKey ? ` ${stickyKey}` : ''}` : 'drover';

const targets = {
  [droverName]: ['dist/cli/main.js', 'run', app, '-i', String(WORKERS), '--name', 'chaos', ...balanceFlags],
  'guide cluster': ['bench/guide-cluster.cjs', app, String(WORKERS)],
};

// One request on a new connection; resolves with the pid that answered, or undefined.
// Each probe from the next of 50 loopback addresses: under a sticky balancer, probes
// from one address would all go to one slot and never meet the new worker.
let probes = 0;
function whoAnswers(port) {
  const localAddress = `127.0.0.${2 + (probes++ % 50)}`;
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body).pid);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

// After a kill: a new connection every 5 ms (each its own request, not waiting for the
// one before) until a worker that was not there before the kill answers. Resolves with
// that time and the number of probes that got no answer within 1 s: connections
// node:cluster handed to the dead worker before it knew it was dead.
async function timeToRecover(port, before, started) {
  const probes = [];
  let recovered;
  while (recovered === undefined && performance.now() - started < 10_000) {
    probes.push(
      whoAnswers(port).then((pid) => {
        if (pid !== undefined && !before.has(pid)) recovered ??= performance.now() - started;
        return pid;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const answers = await Promise.all(probes);
  return { ms: recovered ?? Infinity, stranded: answers.filter((pid) => pid === undefined).length };
}

console.log(`chaos: ${WORKERS} workers, ${LOAD_TOOL} ${connections} keep-alive connections, ${duration} s, a worker SIGKILLed every 0.5-1.5 s, node ${process.version}`);
const rows = [];
const schedule = Array.from({ length: Math.ceil(duration) * 2 }, () => 500 + random() * 1000);
for (const [name, args] of Object.entries(targets)) {
  const port = await freePort();
  const server = await startServer(args, port);
  const workers = () => groupPids(server.child.pid).filter((pid) => pid !== server.child.pid);
  let most = 0;
  const sampler = setInterval(() => (most = Math.max(most, workers().length)), 10);
  const loaded = load(`http://127.0.0.1:${port}/`, { connections, duration });
  const recoveries = [];
  const end = performance.now() + duration * 1000 - 1500;
  for (const wait of schedule) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (performance.now() > end) break;
    const pids = workers();
    if (pids.length === 0) continue;
    const victim = pids[Math.floor(random() * pids.length)];
    const before = new Set(pids);
    const started = performance.now();
    process.kill(victim, 'SIGKILL');
    recoveries.push(await timeToRecover(port, before, started));
  }
  const result = await loaded;
  clearInterval(sampler);
  await stopServer(server);
  const times = recoveries.map((recovery) => recovery.ms);
  const row = {
    name,
    kills: recoveries.length,
    medianMs: Math.round(median(times)),
    slowestMs: Math.round(Math.max(...times)),
    stranded: recoveries.reduce((sum, recovery) => sum + recovery.stranded, 0),
    most,
    failed: result.failed,
    total: result.total,
  };
  rows.push(row);
  console.log(
    `${name.padEnd(30)} kills ${row.kills}  recovery median ${row.medianMs} ms, slowest ${row.slowestMs} ms  probes unanswered ${row.stranded}  most workers ${row.most}  failed ${row.failed} of ${row.total}`,
  );
}

console.log('\ntarget                         kills  recovery median ms  slowest ms  probes unanswered  most workers  failed requests  requests');
for (const row of rows) {
  console.log(
    `${row.name.padEnd(30)} ${String(row.kills).padStart(5)} ${String(row.medianMs).padStart(19)} ${String(row.slowestMs).padStart(11)} ${String(row.stranded).padStart(18)} ${String(row.most).padStart(13)} ${String(row.failed).padStart(16)} ${String(row.total).padStart(9)}`,
  );
}
