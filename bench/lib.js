// Shared by the bench scripts: start a server under some supervisor, wait for its
// first answer, measure its RSS, load it with autocannon, stop it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

// A bench run inside a container (a CI runner) measures drover as on a host: no
// shutdown_delay before each stop, plain log lines.
process.env.DROVER_CONTAINER ??= '0';
const BENCH_HOME = process.env.DROVER_HOME ?? mkdtempSync(`${tmpdir()}/drover-bench-home-`);
if (process.env.DROVER_HOME === undefined) process.once('exit', () => rmSync(BENCH_HOME, { recursive: true, force: true }));

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Start `node <args>` in its own process group; resolves once GET / answers, with the
 * time that took. With `pipeStdout`, the server's stdout is `child.stdout` to read.
 */
export async function startServer(args, port, { pipeStdout = false } = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // A home of the bench's own, so that nothing is left in the user's ~/.drover.
    env: { ...process.env, DROVER_HOME: BENCH_HOME, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', pipeStdout ? 'pipe' : 'ignore', 'inherit'],
    detached: true,
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early: node ${args.join(' ')}`);
    if (await answers(port)) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { child, coldStartMs: performance.now() - started };
}

function answers(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
  });
}

/** Stop a server started by startServer: SIGTERM, then SIGKILL the group after 5 s. */
export async function stopServer({ child }) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => killGroup(child), 5000);
  await exited;
  clearTimeout(timer);
  killGroup(child);
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Every live process (zombies left out) and its /proc/<pid>/stat fields after the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12). */
function liveProcesses() {
  const processes = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') processes.push({ pid: Number(entry), fields });
    } catch {
      // Gone while we looked.
    }
  }
  return processes;
}

/** The live processes of a process group. */
function groupStats(pgid) {
  return liveProcesses().filter(({ fields }) => Number(fields[2]) === pgid);
}

/** The live children of a process. */
export function childrenOf(pid) {
  return liveProcesses()
    .filter(({ fields }) => Number(fields[1]) === pid)
    .map((process) => process.pid);
}

/**
 * CPU seconds used so far by every process in a process group (the supervisor and its
 * workers), from /proc. Throughput on a 2-core machine shared with the load generator
 * is noisy; CPU time per request is not, so the bench prints both.
 */
export function groupCpuSeconds(pgid) {
  return groupStats(pgid).reduce((ticks, { fields }) => ticks + Number(fields[11]) + Number(fields[12]), 0) / CLOCK_TICKS;
}

/** The pids of a process group's live processes (zombies left out). */
export function groupPids(pgid) {
  return groupStats(pgid).map(({ pid }) => pid);
}

// USER_HZ: 100 on every Linux that Node supports.
const CLOCK_TICKS = 100;

/** Resident memory of one process, in MB. */
export function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Memory only this process holds (USS: private pages), in MB. RSS also counts the
 * pages of the node binary that every Node.js process on the machine shares.
 */
export function privateMb(pid) {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

/** CPU seconds one process has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const HAS_WRK = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its version and exits 1.
    return error.status === 1;
  }
})();

/** Which load generator `load` uses: wrk (C, light on the CPU the servers need) when installed, else autocannon. */
export const LOAD_TOOL = HAS_WRK ? 'wrk' : 'autocannon';

/** Load a URL over keep-alive connections; returns req/s, p99 (ms) and failed requests. */
export async function load(url, { connections, duration }) {
  return HAS_WRK ? loadWithWrk(url, { connections, duration }) : loadWithAutocannon(url, { connections, duration });
}

async function loadWithAutocannon(url, { connections, duration }) {
  const result = await autocannon({ url, connections, duration });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    failed: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  };
}

function loadWithWrk(url, { connections, duration }) {
  return runWrk(url, { connections, duration });
}

/**
 * Run wrk against a URL and parse what it prints: req/s, total requests, failed ones
 * (socket errors plus non-2xx/3xx answers), p99 and slowest latency in ms. `header`
 * adds one request header (`Connection: close` makes every request a new connection);
 * `script` is a wrk Lua script.
 */
export function runWrk(url, { connections, duration, header, script }) {
  return new Promise((resolve, reject) => {
    const args = ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', ...(header ? ['-H', header] : []), ...(script ? ['-s', script] : []), url];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', () => {
      const number = (pattern) => Number(pattern.exec(out)?.[1] ?? 0);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
      const non2xx = number(/Non-2xx or 3xx responses: (\d+)/);
      resolve({
        rps: number(/Requests\/sec:\s+([\d.]+)/),
        p99: toMs(/\s99%\s+([\d.]+\w+)/.exec(out)?.[1]),
        maxMs: toMs(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1]),
        socketErrors: socketErrors ? socketErrors[0] : 'Socket errors: none',
        non2xx,
        failed: errors + non2xx,
        total: number(/(\d+) requests in/),
      });
    });
  });
}

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!match) return NaN;
  const scale = { us: 0.001, ms: 1, s: 1000 }[match[2]];
  return Math.round(Number(match[1]) * scale * 100) / 100;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** `--name <text>` from the command line, or undefined. */
export function textOption(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

export function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}
