// The store, measured (issue 14): get/set/incr throughput and p50/p99 latency from 2
// workers, for drover's store embedded in the supervisor, drover's store on Redis, and
// ioredis straight from the workers to the same redis-server (a cluster script's way),
// in one run, rounds rotating; then the supervisor's RSS idle (store never used), after
// one key, and with 100 000 small keys.
//
//   node bench/store.js [--rounds 3] [--n 20000] [--concurrency 50]
//
// Needs redis-server on PATH (apt-get install redis-server): started here on a free
// loopback port with a folder of its own, and killed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { freePort, median, option, rssMb, startServer, stopServer } from './lib.js';

const ROUNDS = option('rounds', 3);
const N = option('n', 20000);
const CONCURRENCY = option('concurrency', 50);
const APP = 'bench/apps/store-bench.cjs';

const getJson = (url) =>
  new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(`${tmpdir()}/drover-bench-redis-`);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => (child.kill('SIGKILL'), rmSync(dir, { recursive: true, force: true })) };
}

// Both workers at once: two requests on two new connections, which round-robin gives one each.
async function fromTwoWorkers(port, via, op) {
  const results = await Promise.all([0, 1].map(() => getJson(`http://127.0.0.1:${port}/run?via=${via}&op=${op}&n=${N}&c=${CONCURRENCY}`)));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ms = Math.max(...results.map((r) => r.ms));
  return { opsPerSec: (2 * N) / (ms / 1000), p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

const redis = await startRedis();
const targets = [
  { name: 'drover store, embedded', env: {}, via: 'drover' },
  { name: 'drover store, on Redis', env: { DROVER_REDIS_URL: redis.url }, via: 'drover' },
  { name: 'ioredis from the workers', env: {}, via: 'ioredis' },
];
const results = new Map();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const target of order) {
      const port = await freePort();
      Object.assign(process.env, { BENCH_REDIS_URL: redis.url }, target.env);
      const server = await startServer(['dist/cli/main.js', 'run', APP, '-i', '2', '--name', 'store-bench'], port);
      for (const key of Object.keys(target.env)) delete process.env[key];
      try {
        await fromTwoWorkers(port, target.via, 'set'); // warm-up
        for (const op of ['get', 'set', 'incr']) {
          const key = `${target.name}|${op}`;
          if (!results.has(key)) results.set(key, []);
          results.get(key).push(await fromTwoWorkers(port, target.via, op));
        }
      } finally {
        await stopServer(server);
      }
    }
  }
  console.log(`store operations from 2 workers, ${N} each, ${CONCURRENCY} in flight per worker; medians of ${ROUNDS} rounds`);
  console.log('| target | op | ops/s | p50 | p99 |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (const [key, rows] of results) {
    const [name, op] = key.split('|');
    const m = (pick) => median(rows.map(pick));
    console.log(`| ${name} | ${op} | ${Math.round(m((r) => r.opsPerSec))} | ${(m((r) => r.p50) / 1000).toFixed(2)} ms | ${(m((r) => r.p99) / 1000).toFixed(2)} ms |`);
  }

  // Supervisor memory: never used, one key, 100 000 small keys (key:N -> 'value-N').
  const port = await freePort();
  const server = await startServer(['dist/cli/main.js', 'run', APP, '-i', '2', '--name', 'store-memory'], port);
  try {
    const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));
    await settle();
    const idle = rssMb(server.child.pid);
    await getJson(`http://127.0.0.1:${port}/touch`);
    await settle();
    const one = rssMb(server.child.pid);
    await getJson(`http://127.0.0.1:${port}/fill?n=100000`);
    await settle();
    const full = rssMb(server.child.pid);
    console.log(`\nsupervisor RSS: store never used ${idle.toFixed(1)} MB; one key ${one.toFixed(1)} MB; 100 000 small keys ${full.toFixed(1)} MB (+${(full - one).toFixed(1)} MB, ${Math.round(((full - one) * 1e6) / 100000)} bytes a key)`);
  } finally {
    await stopServer(server);
  }
} finally {
  redis.stop();
}
