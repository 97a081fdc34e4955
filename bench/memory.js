// Memory with many small apps: 6 HTTP apps x 1 worker (the hello example, each on its
// own loopback port) under drover (`drover start` each: one supervisor per app), and
// in the same run under PM2 7 (one daemon, "God", for every app) in fork mode (PM2's
// default) and in cluster mode with 1 instance (what drover does), and under plain
// `node` with nothing supervising them (the floor). Once they idle, it reads every
// process's memory from /proc/<pid>/smaps_rollup and prints, per setup: supervisors
// (or the daemon), workers, the grand total and the cost per app.
//
// PSS is the headline: shared pages (the node binary's code) are split between the
// processes that map them, so the totals add up to what the setup costs the machine.
// Other Node.js processes on the machine share those pages too, so PSS moves with
// them; USS (private pages) does not, and RSS counts every shared page in full.
// Setups run one after another, never side by side, in an order that rotates per
// round; with --rounds N each figure is the median of N.
//
// drover runs twice: each app started on its own (one supervisor process per app), and
// all six from one config file with `start --one-process` (their supervisors in one
// background process, as PM2's daemon holds every app).
//
//   node bench/memory.js [--apps 6] [--rounds 3] [--idle-seconds 15] [--verbose 1] [--pm2 0]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT, childrenOf, freePort, median, option } from './lib.js';

const apps = option('apps', 6);
const rounds = option('rounds', 1);
// V8's memory reducer shrinks an idle heap about 8 s after start-up: measure after it.
const idleSeconds = option('idle-seconds', 15);
const verbose = option('verbose', 0) === 1;
const withPm2 = option('pm2', 1) === 1;
const APP = 'examples/hello/server.js';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every home made here, and every pid seen, so that cleanup can always reach them.
const homes = [];
const seenPids = new Set();

function tempHome(prefix) {
  const home = mkdtempSync(`${tmpdir()}/${prefix}`);
  homes.push(home);
  return home;
}

/** Pss, Rss and USS (private clean + dirty) of one process, in MB; undefined once it is gone. */
function memoryOf(pid) {
  let rollup;
  try {
    rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return { pss: kb('Pss') / 1024, rss: kb('Rss') / 1024, uss: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}

/** Resolves once GET / answers 200 on every port, or throws after 20 s. */
async function waitForAnswers(ports) {
  const deadline = Date.now() + 20_000;
  for (const port of ports) {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((res) => res.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`nothing answers on port ${port}`);
      await sleep(50);
    }
  }
}

/** Sum the memory of supervisor-side and worker-side pids: { supervisors, workers } of { pss, rss, uss }. */
function measure(supervisorPids, workerPids) {
  const sum = (pids) => {
    const total = { pss: 0, rss: 0, uss: 0 };
    for (const pid of pids) {
      const memory = memoryOf(pid);
      if (!memory) throw new Error(`process ${pid} is gone`);
      if (verbose) console.log(`    pid ${pid}: PSS ${memory.pss.toFixed(1)} MB, USS ${memory.uss.toFixed(1)} MB, RSS ${memory.rss.toFixed(1)} MB`);
      for (const key of Object.keys(total)) total[key] += memory[key];
    }
    return total;
  };
  return { supervisors: sum(supervisorPids), workers: sum(workerPids), supervisorCount: supervisorPids.length, workerCount: workerPids.length };
}

// drover: each app started on its own (one supervisor process per app, the default),
// or, with oneProcess, all from one config file with `start --one-process` (each app's
// supervisor in one shared background process).
function droverSetup(oneProcess = false) {
  const home = tempHome('drover-bench-memory-');
  const drover = (args, env = {}) =>
    execFileSync(process.execPath, [`${ROOT}dist/cli/main.js`, ...args], { cwd: ROOT, env: { ...process.env, DROVER_HOME: home, ...env }, encoding: 'utf8', stdio: 'pipe' });
  return {
    name: oneProcess ? 'drover --one-process' : 'drover',
    async start() {
      const ports = [];
      for (let i = 0; i < apps; i++) ports.push(await freePort());
      if (oneProcess) {
        const config = `${home}/ecosystem.config.js`;
        const list = ports.map((port, i) => ({ name: `mem-${i}`, script: `${ROOT}${APP}`, instances: 1, exec_mode: 'cluster', env: { PORT: String(port), HOST: '127.0.0.1' } }));
        writeFileSync(config, `module.exports = { apps: ${JSON.stringify(list)} };\n`);
        drover(['start', config, '--one-process']);
      } else {
        ports.forEach((port, i) => drover(['start', APP, '-i', '1', '--name', `mem-${i}`], { PORT: String(port), HOST: '127.0.0.1' }));
      }
      await waitForAnswers(ports);
      const supervisors = [...new Set(JSON.parse(drover(['ls', '--json'])).map((status) => status.supervisorPid))];
      for (const pid of supervisors) seenPids.add(pid);
      return supervisors;
    },
    pids(supervisors) {
      const workers = supervisors.flatMap(childrenOf);
      for (const pid of workers) seenPids.add(pid);
      return { supervisorPids: supervisors, workerPids: workers };
    },
    stop() {
      drover(['stop', 'all']);
    },
  };
}

function pm2Setup(mode) {
  const home = tempHome('drover-bench-memory-pm2-');
  const pm2 = (args, env = {}) => execFileSync(`${ROOT}node_modules/.bin/pm2`, args, { cwd: ROOT, env: { ...process.env, PM2_HOME: home, ...env }, stdio: 'pipe' });
  return {
    name: `PM2 7 ${mode}`,
    home,
    async start() {
      const ports = [];
      for (let i = 0; i < apps; i++) {
        const port = await freePort();
        ports.push(port);
        pm2(['start', APP, '--name', `mem-${i}`, ...(mode === 'cluster' ? ['-i', '1'] : [])], { PORT: String(port), HOST: '127.0.0.1' });
      }
      await waitForAnswers(ports);
      const daemon = Number(readFileSync(`${home}/pm2.pid`, 'utf8'));
      seenPids.add(daemon);
      return [daemon];
    },
    pids([daemon]) {
      const workers = childrenOf(daemon);
      for (const pid of workers) seenPids.add(pid);
      return { supervisorPids: [daemon], workerPids: workers };
    },
    stop() {
      pm2(['kill']);
    },
  };
}

// The floor: the same apps under plain `node`, with nothing supervising them.
function bareSetup() {
  let children = [];
  return {
    name: 'node alone',
    async start() {
      const ports = [];
      for (let i = 0; i < apps; i++) {
        const port = await freePort();
        ports.push(port);
        const child = spawn(process.execPath, [APP], { cwd: ROOT, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
        seenPids.add(child.pid);
        children.push(child);
      }
      await waitForAnswers(ports);
      return children.map((child) => child.pid);
    },
    pids(workers) {
      return { supervisorPids: [], workerPids: workers };
    },
    stop() {
      for (const child of children) child.kill('SIGKILL');
      children = [];
    },
  };
}

const setups = [droverSetup(), droverSetup(true), ...(withPm2 ? [pm2Setup('fork'), pm2Setup('cluster')] : []), bareSetup()];

/** Stop everything: each setup's own way, then SIGKILL any pid seen that is still there, then the homes. */
function cleanUp() {
  for (const setup of setups) {
    try {
      setup.stop();
    } catch {
      // Not running.
    }
  }
  for (const pid of seenPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const home of homes) rmSync(home, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  cleanUp();
  process.exit(130);
});

const results = new Map(setups.map((setup) => [setup.name, []]));
try {
  for (let round = 0; round < rounds; round++) {
    // Rotate the order, so that no setup always comes first (or last) on a busy machine.
    const order = setups.map((_, i) => setups[(i + round) % setups.length]);
    for (const setup of order) {
      const roots = await setup.start();
      await sleep(idleSeconds * 1000);
      if (verbose) console.log(`  round ${round + 1}, ${setup.name}:`);
      const { supervisorPids, workerPids } = setup.pids(roots);
      if (workerPids.length !== apps) throw new Error(`${setup.name}: expected ${apps} workers, found ${workerPids.length}`);
      const figures = measure(supervisorPids, workerPids);
      results.get(setup.name).push(figures);
      console.log(`round ${round + 1}, ${setup.name}: PSS ${(figures.supervisors.pss + figures.workers.pss).toFixed(1)} MB`);
      setup.stop();
    }
  }
  printTable();
} finally {
  cleanUp();
}

function printTable() {
  const mb = (n) => n.toFixed(1);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  console.log(`\n${apps} apps x 1 worker (${APP}), idle ${idleSeconds} s, ${rounds === 1 ? '1 round' : `median of ${rounds} rounds`}, MB\n`);
  console.log(line(['', 'supervisors', 'workers', 'total', 'per app', 'USS supervisors', 'USS workers', 'RSS total']));
  console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const [name, runs] of results) {
    const m = (pick) => median(runs.map(pick));
    const total = m((r) => r.supervisors.pss + r.workers.pss);
    const first = runs[0];
    console.log(
      line([
        `${name} (${first.supervisorCount} + ${first.workerCount} processes)`,
        mb(m((r) => r.supervisors.pss)),
        mb(m((r) => r.workers.pss)),
        mb(total),
        mb(total / apps),
        mb(m((r) => r.supervisors.uss)),
        mb(m((r) => r.workers.uss)),
        mb(m((r) => r.supervisors.rss + r.workers.rss)),
      ]),
    );
  }
  console.log('\nsupervisors: drover\'s one process per app (or one for all, --one-process), or PM2\'s one daemon; workers: the app processes; PSS unless named.');
}
