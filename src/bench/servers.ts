import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DroverError } from '../errors/index.js';

// The servers a bench starts: the app as one plain `node` process, and under drover
// with N workers. Each runs in a process group of its own, so that stopping it (and
// any bench that ends, by Ctrl-C or an error) leaves no process behind.

const DROVER_CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
/** How long a server may take to answer its first request. */
const START_TIMEOUT_MS = 20_000;
/** How long a stopped server may drain before its group is killed. */
const STOP_TIMEOUT_MS = 8_000;

export interface BenchServer {
  url: string;
  stop(): Promise<void>;
}

const groups = new Set<number>();
let home: string | undefined;

/** Kill every server still running; the bench calls this however it ends. */
export function killAllServers(): void {
  for (const pgid of groups) killGroup(pgid);
  groups.clear();
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
}

/** Start the app: as one plain process (`workers` undefined), or under `drover run -i <workers>`. Resolves once it answers on `route`. */
export async function startServer(script: { path: string; nodeArgs: string[]; args: readonly string[] }, route: string, workers: number | undefined): Promise<BenchServer> {
  const port = await freePort();
  // A DROVER_HOME of the bench's own: its control sockets never meet the user's apps.
  home ??= mkdtempSync(`${tmpdir()}/drover-bench-run-`);
  const argv =
    workers === undefined
      ? [...script.nodeArgs, script.path, ...script.args]
      : [DROVER_CLI, 'run', script.path, '-i', String(workers), '--name', `bench-${process.pid}`, ...(script.args.length > 0 ? ['--', ...script.args] : [])];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DROVER_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  groups.add(child.pid!);
  let output = '';
  const keep = (chunk: string) => (output = (output + chunk).slice(-4000));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const url = `http://127.0.0.1:${port}${route}`;
  const what = workers === undefined ? 'the app (one plain process)' : `drover run -i ${workers}`;
  try {
    await waitUntilServing(child, url, workers, () => output, what);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, stop: () => stopChild(child) };
}

async function waitUntilServing(child: ChildProcess, url: string, workers: number | undefined, output: () => string, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  // Under drover, every worker must be up before the load starts: its "N workers listening" line.
  const allUp = () => workers === undefined || /\d+ workers? (listening|ready)/.test(output());
  let lastStatus: number | undefined;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new DroverError('DROVER_E_BENCH_TARGET', `${what} exited before it answered (${child.exitCode !== null ? `exit code ${child.exitCode}` : child.signalCode}); its last output:\n${tail(output())}`);
    }
    if (allUp()) {
      lastStatus = await statusOf(url);
      if (lastStatus !== undefined && lastStatus < 400) return;
    }
    if (Date.now() > deadline) {
      const why =
        lastStatus !== undefined
          ? `it answers ${url} with status ${lastStatus}: pick a route that answers 2xx with --route`
          : `nothing answered ${url}; drover bench gives the app PORT and HOST=127.0.0.1: does it listen on process.env.PORT?`;
      throw new DroverError('DROVER_E_BENCH_TARGET', `${what} was not serving after ${START_TIMEOUT_MS / 1000} s: ${why}${output() ? `; its last output:\n${tail(output())}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The status of one GET, or undefined when nothing answers. */
export function statusOf(url: string, timeoutMs = 2000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

// SIGTERM (drover drains its workers), then the whole group is killed: nothing outlives the bench.
async function stopChild(child: ChildProcess): Promise<void> {
  const pgid = child.pid!;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(pgid), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  killGroup(pgid);
  groups.delete(pgid);
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Nothing left in it.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const tail = (text: string) => text.trimEnd().split('\n').slice(-10).map((line) => `  ${line}`).join('\n');
