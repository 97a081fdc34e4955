// Throughput of the hello example: drover run -i 2 vs a bare node:cluster script with
// 2 workers vs a single process, alternated round by round in one run, on a
// hello-world route and a CPU-bound route. Prints medians and ratios.
//
// `--compare <folder>` adds another build of drover (a checkout of an earlier commit,
// built) to the same run, to price a change against what came before it.
//
//   node bench/throughput.js [--rounds 5] [--duration 5] [--connections 50] [--workers 2] [--compare <folder>]
import { LOAD_TOOL, ROOT, freePort, groupCpuSeconds, load, median, option, rssMb, startServer, stopServer, textOption } from './lib.js';

const rounds = option('rounds', 5);
const duration = option('duration', 5);
const connections = option('connections', 50);
const workers = option('workers', 2);
const app = 'examples/hello/server.js';

const targets = {
  drover: ['dist/cli/main.js', 'run', app, '-i', String(workers)],
  // The health reports (every 5 s by default) switched off, to price them.
  'drover stats off': ['dist/cli/main.js', 'run', app, '-i', String(workers), '--stats-interval', '0'],
  'bare cluster': ['bench/bare-cluster.cjs', app, String(workers)],
  single: [app],
};
const compare = textOption('compare');
if (compare) targets['drover compared'] = [`${compare}/dist/cli/main.js`, 'run', app, '-i', String(workers)];
const routes = ['/', '/cpu'];
const results = {};

console.log(`throughput: ${LOAD_TOOL}, ${rounds} rounds x ${duration} s, ${connections} keep-alive connections, ${workers} workers, node ${process.version}, ${ROOT}`);
for (let round = 1; round <= rounds; round++) {
  // Rotate the order each round so that drift on a noisy machine hits every target alike.
  const order = Object.entries(targets);
  for (let i = 1; i < round; i++) order.push(order.shift());
  for (const [name, args] of order) {
    const port = await freePort();
    const server = await startServer(args, port);
    const supervisorRss = rssMb(server.child.pid);
    for (const route of routes) {
      const url = `http://127.0.0.1:${port}${route}`;
      await load(url, { connections, duration: 1 }); // warm-up
      const cpuBefore = groupCpuSeconds(server.child.pid);
      const figures = await load(url, { connections, duration });
      const cpuUsPerRequest = ((groupCpuSeconds(server.child.pid) - cpuBefore) * 1e6) / figures.total;
      const key = `${name} ${route}`;
      (results[key] ??= []).push({ ...figures, cpuUsPerRequest, round, coldStartMs: server.coldStartMs, supervisorRss });
      console.log(
        `round ${round} ${key.padEnd(22)} ${figures.rps.toFixed(0).padStart(7)} req/s  p99 ${String(figures.p99).padStart(6)} ms  ` +
          `${cpuUsPerRequest.toFixed(1).padStart(7)} us CPU/request  failed ${figures.failed}`,
      );
    }
    await stopServer(server);
  }
}

const summary = (key) => {
  const runs = results[key];
  return {
    rps: median(runs.map((r) => r.rps)),
    p99: median(runs.map((r) => r.p99)),
    cpu: median(runs.map((r) => r.cpuUsPerRequest)),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    coldStartMs: median(runs.map((r) => r.coldStartMs)),
    supervisorRss: median(runs.map((r) => r.supervisorRss)),
  };
};

console.log('\nmedians');
console.log('target                   req/s    p99 ms  us CPU/req  failed  cold start ms  primary RSS MB');
for (const key of Object.keys(results)) {
  const s = summary(key);
  console.log(
    `${key.padEnd(22)} ${s.rps.toFixed(0).padStart(7)}  ${s.p99.toFixed(2).padStart(8)}  ${s.cpu.toFixed(1).padStart(10)}  ${String(s.failed).padStart(6)}  ` +
      `${s.coldStartMs.toFixed(0).padStart(13)}  ${s.supervisorRss.toFixed(1).padStart(14)}`,
  );
}

// Ratios of req/s are taken round by round (the two targets ran minutes apart at
// most) and the median of those is printed; CPU per request is compared the same way.
const pairedRatio = (a, b, field) => {
  const ratios = results[a].map((run) => {
    const other = results[b].find((r) => r.round === run.round);
    return run[field] / other[field];
  });
  return median(ratios).toFixed(3);
};
console.log('\nratios (median of per-round ratios)');
console.log(`hello-world  drover / bare cluster  req/s ${pairedRatio('drover /', 'bare cluster /', 'rps')}   (target >= 0.97)`);
console.log(`hello-world  drover / bare cluster  CPU per request ${pairedRatio('drover /', 'bare cluster /', 'cpuUsPerRequest')}   (1.000 = no overhead)`);
console.log(`hello-world  stats on / stats off   req/s ${pairedRatio('drover /', 'drover stats off /', 'rps')}   (target >= 0.99)`);
console.log(`hello-world  stats on / stats off   CPU per request ${pairedRatio('drover /', 'drover stats off /', 'cpuUsPerRequest')}`);
console.log(`cpu-bound    drover / bare cluster  req/s ${pairedRatio('drover /cpu', 'bare cluster /cpu', 'rps')}`);
if (compare) {
  console.log(`hello-world  drover / compared build  req/s ${pairedRatio('drover /', 'drover compared /', 'rps')}   (${compare})`);
  console.log(`hello-world  drover / compared build  CPU per request ${pairedRatio('drover /', 'drover compared /', 'cpuUsPerRequest')}`);
}
console.log(`cpu-bound    drover / single        req/s ${pairedRatio('drover /cpu', 'single /cpu', 'rps')}   (target >= 1.9 with 2 workers)`);
console.log(`cpu-bound    bare cluster / single  req/s ${pairedRatio('bare cluster /cpu', 'single /cpu', 'rps')}`);
