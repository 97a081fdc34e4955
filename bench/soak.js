// Supervisor memory over time: 2 apps x 2 workers started with `drover start`, first
// idle, then logging 1 000 lines/s per app into rotating files, sampling each
// supervisor's RSS. Prints idle RSS, the samples, and the trend (MB per minute) of the
// second half, which should be flat. `--minutes` shortens or lengthens the run.
//
//   node bench/soak.js [--minutes 1] [--idle-seconds 10]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT, freePort, option, rssMb } from './lib.js';

const minutes = option('minutes', 1);
const idleSeconds = option('idle-seconds', 10);
const home = mkdtempSync(`${tmpdir()}/drover-soak-`);
const drover = (args, env = {}) => execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, ...args], { cwd: ROOT, env: { ...process.env, DROVER_HOME: home, ...env }, encoding: 'utf8' });
const supervisors = () => JSON.parse(drover(['ls', '--json'])).map((status) => ({ name: status.name, pid: status.supervisorPid }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  // Idle: the hello example, nothing logged.
  for (const name of ['idle-a', 'idle-b']) drover(['start', 'examples/hello/server.js', '-i', '2', '--name', name], { PORT: String(await freePort()) });
  await sleep(idleSeconds * 1000);
  const idle = supervisors().map(({ name, pid }) => `${name} ${rssMb(pid).toFixed(1)} MB`);
  console.log(`idle, 2 apps x 2 workers: ${idle.join(', ')}`);
  drover(['stop', 'all']);

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
  const samples = [];
  const started = Date.now();
  while (Date.now() - started < minutes * 60_000) {
    await sleep(5000);
    const rss = supervisors().map(({ pid }) => rssMb(pid));
    samples.push({ t: (Date.now() - started) / 1000, rss });
    console.log(`t=${String(Math.round(samples.at(-1).t)).padStart(4)} s  supervisor RSS ${rss.map((r) => `${r.toFixed(1)} MB`).join(', ')}`);
  }
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
  rmSync(home, { recursive: true, force: true });
}
