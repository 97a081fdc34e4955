// The supervisor's balancer against node:cluster's round-robin: the hello example with
// 2 workers under `--balance round-robin` (node:cluster's own path), `least-connections`
// `sticky` (by client address) and `sticky` by a cookie (each request head read in the
// supervisor), alternated round by round in one run, with
// keep-alive connections and with a new connection per request (wrk's
// `Connection: close`). Prints medians, and each policy's ratio to round-robin, and the
// supervisor's CPU time per request (user + system, from /proc): what the balancer
// itself costs, steadier than req/s on a machine the load generator shares.
//
// wrk connects from 127.0.0.1 only, so under `sticky` (by address) every connection
// goes to one worker. Each of wrk's two threads sends a session cookie of its own, two
// values that hash to the two slots, so that under `sticky cookie` the key is found in
// every head and the connections spread over both workers, as many clients' would;
// every policy gets the same requests.
//
// `--compare <folder>` adds another build of drover (a checkout of an earlier commit,
// built) for each policy but round-robin, in the same rounds, and prints per-round
// ratios of this build to it. `--mode keep-alive` or `--mode per-connection` runs one.
//
//   node bench/balance.js [--rounds 3] [--duration 5] [--connections 50] [--compare <folder>] [--mode per-connection]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rendezvousScore } from '../dist/balancer/index.js';
import { cpuSeconds, freePort, median, option, runWrk, startServer, stopServer, textOption } from './lib.js';

const rounds = option('rounds', 3);
const duration = option('duration', 5);
const connections = option('connections', 50);
const compare = textOption('compare');
const onlyMode = textOption('mode');
// Each policy's flags; `sticky cookie` reads every request head.
const POLICY_FLAGS = {
  'round-robin': ['--balance', 'round-robin'],
  'least-connections': ['--balance', 'least-connections'],
  sticky: ['--balance', 'sticky'],
  'sticky cookie': ['--balance', 'sticky', '--sticky-key', 'cookie:session'],
};
// What runs each round: a policy under this build, and under the compared one.
const variants = Object.keys(POLICY_FLAGS).flatMap((policy) => [
  { name: policy, policy, cli: 'dist/cli/main.js' },
  ...(compare && policy !== 'round-robin' ? [{ name: `${policy} (compared)`, policy, cli: `${compare}/dist/cli/main.js` }] : []),
]);
const modes = Object.fromEntries(
  Object.entries({ 'keep-alive': undefined, 'per connection': 'Connection: close' }).filter(([mode]) => !onlyMode || mode.replace(' ', '-') === onlyMode),
);

// A cookie value that sticky hashing sends to `slot` of two.
const cookieFor = (slot) => {
  for (let i = 0; ; i++) if (rendezvousScore(`s${i}`, slot) > rendezvousScore(`s${i}`, 1 - slot)) return `s${i}`;
};
// wrk runs setup() once per thread, then init() in the thread: a header set there is in every request, built once.
const scriptDir = mkdtempSync(`${tmpdir()}/drover-bench-balance-`);
process.once('exit', () => rmSync(scriptDir, { recursive: true, force: true }));
const script = `${scriptDir}/cookies.lua`;
writeFileSync(
  script,
  `local cookies = { "session=${cookieFor(0)}", "session=${cookieFor(1)}" }
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("cookie", cookies[(threads - 1) % 2 + 1])
end
function init(args)
  wrk.headers["Cookie"] = cookie
end
`,
);

const results = new Map(variants.flatMap(({ name }) => Object.keys(modes).map((mode) => [`${name} | ${mode}`, []])));
console.log(`balance: wrk, ${rounds} rounds x ${duration} s, ${connections} connections, 2 workers${compare ? `, compared with ${compare}` : ''}`);
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so that no policy always runs first on a busy machine.
  for (const variant of variants.map((_, i) => variants[(i + round) % variants.length])) {
    const port = await freePort();
    const server = await startServer([variant.cli, 'run', 'examples/hello/server.js', '-i', '2', ...POLICY_FLAGS[variant.policy]], port);
    try {
      for (const [mode, header] of Object.entries(modes)) {
        const cpuBefore = cpuSeconds(server.child.pid);
        const figures = await runWrk(`http://127.0.0.1:${port}/`, { connections, duration, header, script });
        figures.supervisorUs = ((cpuSeconds(server.child.pid) - cpuBefore) * 1e6) / figures.total;
        results.get(`${variant.name} | ${mode}`).push(figures);
        console.log(`round ${round + 1} ${variant.name.padEnd(28)} ${mode.padEnd(14)} ${String(Math.round(figures.rps)).padStart(7)} req/s  p99 ${figures.p99} ms  failed ${figures.failed}  supervisor ${figures.supervisorUs.toFixed(1)} us/req`);
      }
    } finally {
      await stopServer(server);
    }
  }
}

console.log('\nmedians, and ratio to round-robin (same mode)');
for (const [key, runs] of results) {
  const [name, mode] = key.split(' | ');
  const rps = median(runs.map((r) => r.rps));
  const base = median(results.get(`round-robin | ${mode}`).map((r) => r.rps));
  const failed = runs.reduce((sum, r) => sum + r.failed, 0);
  const supervisorUs = median(runs.map((r) => r.supervisorUs));
  console.log(`${name.padEnd(28)} ${mode.padEnd(14)} ${String(Math.round(rps)).padStart(7)} req/s  p99 ${median(runs.map((r) => r.p99))} ms  failed ${failed}  ratio ${(rps / base).toFixed(3)}  supervisor ${supervisorUs.toFixed(1)} us/req`);
}

// Per-round ratios (this build / the compared one, run side by side): their median, and their spread.
if (compare) {
  console.log('\nthis build / compared build, median of per-round ratios (lowest-highest)');
  for (const { name, policy } of variants.filter((variant) => variant.name.endsWith('(compared)'))) {
    for (const mode of Object.keys(modes)) {
      const ours = results.get(`${policy} | ${mode}`);
      const theirs = results.get(`${name} | ${mode}`);
      const ratios = (field) => ours.map((run, i) => run[field] / theirs[i][field]);
      const show = (values) => `${median(values).toFixed(3)} (${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
      console.log(`${policy.padEnd(18)} ${mode.padEnd(14)} req/s ${show(ratios('rps'))}  supervisor CPU per request ${show(ratios('supervisorUs'))}`);
    }
  }
}
