// The supervisor's balancer against node:cluster's round-robin: the hello example with
// 2 workers under `--balance round-robin` (node:cluster's own path), `least-connections`
// `sticky` (by client address) and `sticky` by a cookie (each request head read in the
// supervisor), alternated round by round in one run, with
// keep-alive connections and with a new connection per request (wrk's
// `Connection: close`). Prints medians, and each policy's ratio to round-robin, and the
// supervisor's CPU time per request (user + system, from /proc): what the balancer
// itself costs, steadier than req/s on a machine the load generator shares.
//
//   node bench/balance.js [--rounds 3] [--duration 5] [--connections 50]
import { cpuSeconds, freePort, median, option, runWrk, startServer, stopServer } from './lib.js';

const rounds = option('rounds', 3);
const duration = option('duration', 5);
const connections = option('connections', 50);
// Each policy's flags; `sticky cookie` reads every request head (wrk sends no cookie, so it falls back to the address).
const POLICY_FLAGS = {
  'round-robin': ['--balance', 'round-robin'],
  'least-connections': ['--balance', 'least-connections'],
  sticky: ['--balance', 'sticky'],
  'sticky cookie': ['--balance', 'sticky', '--sticky-key', 'cookie:session'],
};
const policies = Object.keys(POLICY_FLAGS);
const modes = { 'keep-alive': undefined, 'per connection': 'Connection: close' };

const results = new Map(policies.flatMap((policy) => Object.keys(modes).map((mode) => [`${policy} | ${mode}`, []])));
console.log(`balance: wrk, ${rounds} rounds x ${duration} s, ${connections} connections, 2 workers`);
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so that no policy always runs first on a busy machine.
  for (const policy of policies.map((_, i) => policies[(i + round) % policies.length])) {
    const port = await freePort();
    const server = await startServer(['dist/cli/main.js', 'run', 'examples/hello/server.js', '-i', '2', ...POLICY_FLAGS[policy]], port);
    try {
      for (const [mode, header] of Object.entries(modes)) {
        const cpuBefore = cpuSeconds(server.child.pid);
        const figures = await runWrk(`http://127.0.0.1:${port}/`, { connections, duration, header });
        figures.supervisorUs = ((cpuSeconds(server.child.pid) - cpuBefore) * 1e6) / figures.total;
        results.get(`${policy} | ${mode}`).push(figures);
        console.log(`round ${round + 1} ${policy.padEnd(17)} ${mode.padEnd(14)} ${String(Math.round(figures.rps)).padStart(7)} req/s  p99 ${figures.p99} ms  failed ${figures.failed}  supervisor ${figures.supervisorUs.toFixed(1)} us/req`);
      }
    } finally {
      await stopServer(server);
    }
  }
}

console.log('\nmedians, and ratio to round-robin (same mode)');
for (const [key, runs] of results) {
  const [policy, mode] = key.split(' | ');
  const rps = median(runs.map((r) => r.rps));
  const base = median(results.get(`round-robin | ${mode}`).map((r) => r.rps));
  const failed = runs.reduce((sum, r) => sum + r.failed, 0);
  const supervisorUs = median(runs.map((r) => r.supervisorUs));
  console.log(`${policy.padEnd(17)} ${mode.padEnd(14)} ${String(Math.round(rps)).padStart(7)} req/s  p99 ${median(runs.map((r) => r.p99))} ms  failed ${failed}  ratio ${(rps / base).toFixed(3)}  supervisor ${supervisorUs.toFixed(1)} us/req`);
}
