// Supervisor memory over time: 2 apps x 2 workers started with `drover start`, first
// idle (beside PM2's daemon running the same two apps, in the same run), then logging
// 1 000 lines/s per app into rotating files, sampling each supervisor's RSS. Prints
// idle RSS and private memory, the samples, the supervisors' CPU, and the trend (MB per
// minute) of the second half, which should be flat. `--minutes` sets the length.
//
//   node bench/soak.js [--minutes 1] [--idle-seconds 10] [--pm2 0]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT, cpuSeconds, freePort, option, privateMb, rssMb } from './lib.js';

const minutes = option('minutes', 1);
const idleSeconds = option('idle-seconds', 10);
const home = mkdtempSync(`${tmpdir()}/drover-soak-`);
const withPm2 = option('pm2', 1) === 1;
const pm2Home = mkdtempSync(`${tmpdir()}/drover-soak-pm2-`);
const pm2 = (args, env = {}) => execFileSync(`${ROOT}node_modules/.bin/pm2`, args, { cwd: ROOT, env: { ...process.env, PM2_HOME: pm2Home, ...env }, stdio: 'pipe' });
const memory = (pid) => `RSS ${rssMb(pid).toFixed(1)} MB, private ${privateMb(pid).toFixed(1)} MB`;
const drover = (args, env = {}) => execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, ...args], { cwd: ROOT, env: { ...process.env, DROVER_HOME: home, ...env }, encoding: 'utf8' });
const supervisors = () => JSON.parse(drover(['ls', '--json'])).map((status) => ({ name: status.name, pid: status.supervisorPid }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  // Idle: the hello example, nothing logged.
  for (const name of ['idle-a', 'idle-b']) drover(['start', 'examples/hello/server.js', '-i', '2', '--name', name], { PORT: String(await freePort()) });
  await sleep(idleSeconds * 1000);
  for (const { name, pid } of supervisors()) console.log(`idle, drover supervisor of ${name} (2 workers): ${memory(pid)}`);
  drover(['stop', 'all']);
  if (withPm2) {
    // PM2's one daemon supervises both apps.
    for (const name of ['idle-a', 'idle-b']) pm2(['start', 'examples/hello/server.js', '-i', '2', '--name', name], { PORT: String(await freePort()) });
    await sleep(idleSeconds * 1000);
    const daemon = Number(readFileSync(`${pm2Home}/pm2.pid`, 'utf8'));
    console.log(`idle, PM2 7 daemon of both apps (2 x 2 workers): ${memory(daemon)}`);
    pm2(['kill']);
  }

  // Logging: 1 000 lines/s per app (500 per worker), every line through the
  // supervisor into a rotating file with timestamps.
  for (const name of ['soak-a', 'soak-b']) {
    const config = `${home}/${name}.config.mjs`;
    const app = {
      name,
      script: `${ROOT}bench/apps/logger.cjs`,
      instances: 2,
      out_file: `${home}/logs/${name}.out.log`,
      time: true,
      log_max_size: '5M',
      log_retain: 2,
      env: { PORT: await freePort(), LINES_PER_SECOND: 500 },
    };
    writeFileSync(config, `export default ${JSON.stringify(app)};\n`);
    drover(['start', config]);
  }
  // The pids once: sampling reads /proc, so that the bench's own control requests do
  // not feed the heap it measures.
  const pids = supervisors().map(({ pid }) => pid);
  const cpuAtStart = pids.map(cpuSeconds);
  const samples = [];
  const started = Date.now();
  while (Date.now() - started < minutes * 60_000) {
    await sleep(5000);
    const rss = pids.map(rssMb);
    samples.push({ t: (Date.now() - started) / 1000, rss });
    console.log(`t=${String(Math.round(samples.at(-1).t)).padStart(4)} s  supervisor RSS ${rss.map((r) => `${r.toFixed(1)} MB`).join(', ')}`);
  }
  const cpu = pids.map((pid, i) => ((cpuSeconds(pid) - cpuAtStart[i]) / ((Date.now() - started) / 1000)) * 100);
  console.log(`supervisor CPU while logging 1 000 lines/s: ${cpu.map((c) => `${c.toFixed(1)} %`).join(', ')}`);
  console.log(`at the end: ${pids.map(memory).join('; ')}`);
  drover(['stop', 'all']);
  // The trend of the second half (after warm-up), by least squares, per supervisor.
  const half = samples.slice(Math.floor(samples.length / 2));
  const slope = (i) => {
    const xs = half.map((s) => s.t / 60);
    const ys = half.map((s) => s.rss[i]);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const num = xs.reduce((sum, x, k) => sum + (x - mx) * (ys[k] - my), 0);
    const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
    return den === 0 ? 0 : num / den;
  };
  console.log(`trend over the second half: ${[0, 1].map((i) => `${slope(i).toFixed(2)} MB/min`).join(', ')}`);
} finally {
  try {
    drover(['stop', 'all']);
  } catch {
    // Nothing running.
  }
  try {
    pm2(['kill']);
  } catch {
    // Not started.
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(pm2Home, { recursive: true, force: true });
}
