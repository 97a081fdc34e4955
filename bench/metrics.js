// What metrics cost. (1) Hello-world req/s with the worker runtime's request duration
// histogram on (the default) and off (--no-request-metrics), alternated round by
// round, with CPU per request. (2) /metrics on an app whose workers each have 200
// prom-client metrics: how long a scrape takes and what it costs the supervisor, for
// 2 and 16 workers, against the same supervisor left unscraped.
//
// (0) first prices what the histogram adds per request, measured alone: on a loaded
// 2-core machine (1) swings more from round to round than that.
//
//   node bench/metrics.js [--rounds 5] [--duration 5] [--connections 50] [--scrapes 30] [--skip-micro] [--skip-load] [--skip-scrape]
import { channel } from 'node:diagnostics_channel';
import http from 'node:http';
import { RESPONSE_FINISH_CHANNEL, RequestDurations } from '../dist/worker/request-durations.js';
import { LOAD_TOOL, ROOT, cpuSeconds, freePort, groupCpuSeconds, load, median, option, startServer, stopServer } from './lib.js';

const rounds = option('rounds', 5);
const duration = option('duration', 5);
const connections = option('connections', 50);
const scrapes = option('scrapes', 30);
const skip = (name) => process.argv.includes(`--skip-${name}`);
const hello = 'examples/hello/server.js';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(`metrics bench: ${LOAD_TOOL}, node ${process.version}, ${ROOT}`);

if (!skip('micro')) {
  // A response's life as the histogram sees it: stamped as it arrives, then counted
  // when Node's HTTP server publishes that it finished (it publishes only while some
  // code subscribes). Against that, the listener on each response's 'finish' that
  // drover used before: the server has a listener there already, so adding ours makes
  // an array, copied on every emit.
  const count = 1_000_000;
  const open = [];
  const opened = (durations) => (open.push(durations), durations);
  const serverFinish = () => {}; // the server's own 'finish' listener
  const finishChannel = channel(RESPONSE_FINISH_CHANNEL);
  const variants = {
    none: () => (res) => res.emit('finish'),
    'finish channel': () => {
      const durations = opened(new RequestDurations());
      return (res) => {
        durations.time(res);
        res.emit('finish');
        if (finishChannel.hasSubscribers) finishChannel.publish({ request: undefined, response: res, socket: undefined, server: undefined });
      };
    },
    "'finish' listener": () => {
      const durations = new RequestDurations();
      durations.close(); // counted by the listener below, not the channel
      const STARTED = Symbol('started');
      function onFinish() {
        durations.observe((performance.now() - this[STARTED]) / 1000);
      }
      return (res) => {
        res[STARTED] = performance.now();
        res.on('finish', onFinish);
        res.emit('finish');
      };
    },
  };
  const run = (make) => {
    const live = make();
    const request = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} };
    const responses = Array.from({ length: count }, () => new http.ServerResponse(request).on('finish', serverFinish));
    const started = process.hrtime.bigint();
    for (const res of responses) live(res);
    const ns = Number(process.hrtime.bigint() - started) / count;
    for (const durations of open.splice(0)) durations.close();
    return ns;
  };
  const results = {};
  for (let i = 0; i < 5; i++) for (const [name, make] of Object.entries(variants)) (results[name] ??= []).push(run(make));
  const none = median(results.none);
  console.log(`\n(0) per request, measured alone (${count} responses, median of 5): ${none.toFixed(0)} ns with no histogram`);
  for (const [name, runs] of Object.entries(results).slice(1)) console.log(`    ${name.padEnd(17)} ${median(runs).toFixed(0).padStart(4)} ns: ${(median(runs) - none).toFixed(0)} ns added`);
}

if (!skip('load')) {
  const targets = {
    'histogram on': ['dist/cli/main.js', 'run', hello, '-i', '2'],
    'histogram off': ['dist/cli/main.js', 'run', hello, '-i', '2', '--no-request-metrics'],
  };
  const results = {};
  console.log(`\n(1) hello world, ${rounds} rounds x ${duration} s, ${connections} keep-alive connections, 2 workers`);
  for (let round = 1; round <= rounds; round++) {
    const order = Object.entries(targets);
    if (round % 2 === 0) order.reverse();
    for (const [name, args] of order) {
      const port = await freePort();
      const server = await startServer(args, port);
      const url = `http://127.0.0.1:${port}/`;
      await load(url, { connections, duration: 1 }); // warm-up
      const cpuBefore = groupCpuSeconds(server.child.pid);
      const figures = await load(url, { connections, duration });
      const cpuUs = ((groupCpuSeconds(server.child.pid) - cpuBefore) * 1e6) / figures.total;
      (results[name] ??= []).push({ ...figures, cpuUs });
      console.log(`round ${round} ${name.padEnd(14)} ${figures.rps.toFixed(0).padStart(7)} req/s  p99 ${String(figures.p99).padStart(6)} ms  ${cpuUs.toFixed(1).padStart(6)} us CPU/request  failed ${figures.failed}`);
      await stopServer(server);
    }
  }
  const on = results['histogram on'];
  const off = results['histogram off'];
  for (const [name, runs] of Object.entries(results)) {
    console.log(`median ${name.padEnd(14)} ${median(runs.map((r) => r.rps)).toFixed(0).padStart(7)} req/s  ${median(runs.map((r) => r.cpuUs)).toFixed(1)} us CPU/request`);
  }
  console.log(`req/s on / off, median of per-round ratios: ${median(on.map((r, i) => r.rps / off[i].rps)).toFixed(3)} (goal >= 0.98)`);
  console.log(`CPU per request on / off, median of per-round ratios: ${median(on.map((r, i) => r.cpuUs / off[i].cpuUs)).toFixed(3)}`);
}

if (!skip('scrape')) {
  console.log(`\n(2) /metrics with 200 prom-client metrics per worker: ${scrapes} scrapes, one a second`);
  for (const workers of [2, 16]) {
    const [port, admin] = [await freePort(), await freePort()];
    process.env.EXTRA_METRICS = '196'; // + the app's own 4 = 200
    const server = await startServer(['dist/cli/main.js', 'run', 'test/fixtures/apps/prom-app.cjs', '-i', String(workers), '--admin-port', String(admin), '--listen-timeout', '60s'], port);
    await waitForWorkers(admin, workers);
    // Every worker takes orders, so every labelled counter has a series in each.
    for (let i = 0; i < workers * 8; i++) await get(port, '/order');
    const supervisor = server.child.pid;
    const first = await timed(() => get(admin, '/metrics'));
    // The same supervisor left alone for as long, then scraped once a second.
    const idleCpu = await cpuOver(supervisor, scrapes * 1000, async () => {});
    const times = [];
    let bytes = 0;
    let series = 0;
    const scrapedCpu = await cpuOver(supervisor, scrapes * 1000, async (tick) => {
      const { ms, value } = await timed(() => get(admin, '/metrics'));
      times.push(ms);
      bytes = value.length;
      series = value.split('\n').filter((line) => line && !line.startsWith('#')).length;
      return tick;
    });
    const seconds = scrapes;
    console.log(
      `${String(workers).padStart(2)} workers: scrape median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)}, first ${first.ms.toFixed(1)} ms, loads prom-client), ` +
        `${series} samples, ${(bytes / 1024).toFixed(0)} KiB; supervisor CPU ${((scrapedCpu / seconds) * 100).toFixed(1)} % scraped every 1 s vs ${((idleCpu / seconds) * 100).toFixed(1)} % unscraped ` +
        `(${(((scrapedCpu - idleCpu) / scrapes) * 1000).toFixed(1)} ms CPU per scrape)`,
    );
    await stopServer(server);
  }
}

// CPU seconds `pid` used over `ms`, calling `each` once a second meanwhile.
async function cpuOver(pid, ms, each) {
  const before = cpuSeconds(pid);
  const started = Date.now();
  for (let tick = 0; Date.now() - started < ms; tick++) {
    const next = started + (tick + 1) * 1000;
    await each(tick);
    await sleep(Math.max(0, next - Date.now()));
  }
  return cpuSeconds(pid) - before;
}

async function waitForWorkers(admin, count) {
  for (let i = 0; i < 600; i++) {
    const ready = await get(admin, '/readyz').catch(() => '');
    if (ready.includes(`"readyWorkers":${count}`)) return;
    await sleep(100);
  }
  throw new Error(`${count} workers never became ready`);
}

async function timed(work) {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
