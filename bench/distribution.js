// How each balance policy spreads clients, and what it does to p99 under a mixed load.
// The hello example with 4 workers under `--balance round-robin` (node:cluster),
// `least-connections` and `sticky` (by client address), one after another in one run:
//
// 1. Distribution: 200 clients from 50 source addresses on 127.0.0.0/8 (127.0.0.2 to
//    127.0.0.51, 4 clients each), each one request on a new connection, 25 at a time:
//    connections per worker, and max/min.
// 2. Mixed load: 20 loops of requests on new connections for --duration seconds, 1 in
//    100 of them /slow?ms=500: p50 and p99 of the fast ones (a fast request queued
//    behind a connection-holding slow one shows in p99).
//
//   node bench/distribution.js [--duration 8] [--workers 4]
import http from 'node:http';
import { freePort, option, startServer, stopServer } from './lib.js';

const duration = option('duration', 8);
const workers = option('workers', 4);
const policies = ['round-robin', 'least-connections', 'sticky'];

function request(port, path, localAddress) {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, localAddress, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ ok: res.statusCode === 200, pid: JSON.parse(body).pid, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const rows = [];
for (const policy of policies) {
  const port = await freePort();
  const server = await startServer(['dist/cli/main.js', 'run', 'examples/hello/server.js', '-i', String(workers), '--balance', policy], port);
  try {
    // startServer returns at the first answer: give every worker time to be up (and, for sticky, a member).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // 1. Distribution.
    const clients = Array.from({ length: 200 }, (_, i) => `127.0.0.${2 + (i % 50)}`);
    const perPid = new Map();
    let failed = 0;
    for (let at = 0; at < clients.length; at += 25) {
      const answers = await Promise.all(clients.slice(at, at + 25).map((address) => request(port, '/', address)));
      for (const answer of answers) {
        if (!answer.ok) failed += 1;
        else perPid.set(answer.pid, (perPid.get(answer.pid) ?? 0) + 1);
      }
    }
    const counts = [...perPid.values()];
    // 2. Mixed load.
    const fast = [];
    let slow = 0;
    let mixedFailed = 0;
    const deadline = performance.now() + duration * 1000;
    await Promise.all(
      Array.from({ length: 20 }, async (_, loop) => {
        for (let n = 0; performance.now() < deadline; n++) {
          const isSlow = (n * 20 + loop) % 100 === 0;
          const answer = await request(port, isSlow ? '/slow?ms=500' : '/', `127.0.0.${2 + loop}`);
          if (!answer.ok) mixedFailed += 1;
          else if (isSlow) slow += 1;
          else fast.push(answer.ms);
        }
      }),
    );
    rows.push({ policy, counts, failed, p50: percentile(fast, 50), p99: percentile(fast, 99), requests: fast.length + slow, mixedFailed });
  } finally {
    await stopServer(server);
  }
}

console.log(`\n${workers} workers; 200 clients from 50 addresses; mixed load ${duration} s, 20 loops, 1 % of requests 500 ms\n`);
console.log('policy             connections per worker   max/min  failed | fast p50 ms  fast p99 ms  requests  failed');
for (const row of rows) {
  const spread = row.counts.length < workers ? 'inf' : (Math.max(...row.counts) / Math.min(...row.counts)).toFixed(2);
  console.log(
    `${row.policy.padEnd(18)} ${row.counts.join(', ').padEnd(24)} ${spread.padStart(7)}  ${String(row.failed).padStart(6)} | ${row.p50.toFixed(1).padStart(11)}  ${row.p99.toFixed(1).padStart(11)}  ${String(row.requests).padStart(8)}  ${row.mixedFailed}`,
  );
}
