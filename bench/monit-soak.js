// Does `drover monit` leak or freeze over hours? It runs here against a real app for
// --minutes, refreshing every --interval (fast: 100 ms, ten times the default), in a
// real terminal (a detached tmux session, 120 x 40), while the app serves a steady
// trickle of requests, monit's keys scale the app up and down every 30 s, and the
// app's supervisor is stopped (SIGSTOP) for 5 s once a minute, so that polls time out
// as with a stuck supervisor. Every --sample seconds it prints monit's RSS and open
// file descriptors (from /proc), and whether its screen still moves; at the end, the
// first, last and highest RSS.
//
//   node bench/monit-soak.js [--minutes 10] [--interval 100] [--sample 30]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { freePort, option, ROOT } from './lib.js';

const minutes = option('minutes', 10);
const interval = option('interval', 100);
const sampleSeconds = option('sample', 30);
const home = mkdtempSync(`${tmpdir()}/drover-monit-soak-`);
const server = `drover-monit-soak-${process.pid}`;
const env = { ...process.env, DROVER_HOME: home, TERM: 'xterm-256color' };
const drover = (...args) => execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, ...args], { env, encoding: 'utf8' });
const tmux = (...args) => spawnSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { env, encoding: 'utf8' }).stdout;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let supervisorPid;
function cleanup() {
  if (supervisorPid) {
    try {
      process.kill(supervisorPid, 'SIGCONT');
    } catch {
      // Gone.
    }
  }
  tmux('kill-server');
  try {
    drover('delete', 'all');
  } catch {
    // Nothing running.
  }
  rmSync(home, { recursive: true, force: true });
}
process.on('SIGINT', () => process.exit(130));
process.on('exit', cleanup);

const port = await freePort();
execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, 'start', `${ROOT}examples/hello/server.js`, '--name', 'soak', '-i', '2', '--stats-interval', '200'], {
  env: { ...env, PORT: String(port) },
  stdio: 'ignore',
});
supervisorPid = JSON.parse(drover('ls', '--json'))[0].supervisorPid;
tmux('new-session', '-d', '-s', 'soak', '-x', '120', '-y', '40', `exec ${process.execPath} ${ROOT}dist/cli/main.js monit --interval ${interval}`);
const monitPid = Number(tmux('display-message', '-p', '-t', 'soak', '#{pane_pid}').trim());

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let stop = false;
let served = 0;
const load = (async () => {
  while (!stop) {
    await new Promise((resolve) => http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => res.resume().on('end', resolve)).on('error', resolve));
    served += 1;
    await sleep(5);
  }
})();

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(status(pid))[1]) / 1024;
const fds = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const clock = () => /(\d\d:\d\d:\d\d), every/.exec(tmux('capture-pane', '-p', '-t', 'soak'))?.[1];

const started = Date.now();
const samples = [];
let lastKeys = started;
let lastStop = started;
let up = true;
process.stdout.write(`monit pid ${monitPid}, refresh every ${interval} ms, for ${minutes} min, Node ${process.version}\n`);
process.stdout.write('minute  monit RSS  fds  screen moving  requests\n');
let nextSample = started;
while (Date.now() - started < minutes * 60_000) {
  const now = Date.now();
  if (now - lastKeys >= 30_000) {
    tmux('send-keys', '-t', 'soak', up ? '+' : '-');
    up = !up;
    lastKeys = now;
  }
  if (now - lastStop >= 60_000) {
    process.kill(supervisorPid, 'SIGSTOP');
    await sleep(5000);
    process.kill(supervisorPid, 'SIGCONT');
    lastStop = Date.now();
  }
  if (now >= nextSample) {
    const before = clock();
    await sleep(1500);
    const moving = clock() !== before;
    const sample = { minute: (Date.now() - started) / 60_000, rss: rssMb(monitPid), fds: fds(monitPid), moving };
    samples.push(sample);
    process.stdout.write(`${sample.minute.toFixed(1).padStart(6)}  ${sample.rss.toFixed(1).padStart(6)} MB  ${String(sample.fds).padStart(3)}  ${moving ? 'yes' : 'NO'}            ${served}\n`);
    nextSample += sampleSeconds * 1000;
  }
  await sleep(200);
}
stop = true;
await load;
agent.destroy();
const rss = samples.map((sample) => sample.rss);
process.stdout.write(
  `\nmonit RSS: first ${rss[0].toFixed(1)} MB, last ${rss.at(-1).toFixed(1)} MB, highest ${Math.max(...rss).toFixed(1)} MB; ` +
    `fds first ${samples[0].fds}, last ${samples.at(-1).fds}; screen moving in ${samples.filter((sample) => sample.moving).length} of ${samples.length} samples\n`,
);
tmux('send-keys', '-t', 'soak', 'q');
await sleep(500);
