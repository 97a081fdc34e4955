import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AppOptions } from '../../src/config/index.js';
import { nginxSite } from '../../src/init/nginx.js';
import { get, loadLoop, type LoadTally as AnswerTally } from './http.js';

// Several drover "hosts" behind a real nginx, sharing a real redis-server, on loopback:
// each host is a `drover run` of its own (its own DROVER_HOME, as on its own machine)
// bound to the same port on its own address (127.0.0.2, .3, .4), with its admin
// listener on that address too; nginx on 127.0.0.1 with the upstream block `drover
// init compose` writes (src/init/nginx.ts). Used by test/multihost and by
// bench/multihost.js, so no node:test here: whoever starts it calls stop(), which
// SIGKILLs every process group it started (drovers and their workers, nginx, redis).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}dist/cli/main.js`;
export const HOST_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const APP_NAME = 'api';

export interface MultihostOptions {
  /** The app every host runs; it listens on process.env.HOST and PORT. */
  script: string;
  /** Workers per host. */
  instances?: number;
  /** How long a stopping host keeps serving, /readyz already 503, before it drains. */
  shutdownDelayMs?: number;
}

/** A process group of our own, and what it printed. */
class Group {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(
    readonly child: ChildProcess,
    groups: Set<Group>,
  ) {
    groups.add(this);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }
  get pid(): number {
    return this.child.pid!;
  }
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Nothing left.
    }
  }
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`waiting for ${pattern}; output:\n${this.output}`);
      await sleep(25);
    }
  }
}

/** One drover "host": its address, its DROVER_HOME, the `drover run` now running there. */
export class Host {
  drover: Group | undefined;
  /** Every `drover run` this host had, for the leftover check. */
  readonly runs: Group[] = [];
  constructor(
    readonly address: string,
    readonly home: string,
    private readonly cluster: { appPort: number; adminPort: number; redisUrl: string; options: Required<MultihostOptions>; groups: Set<Group> },
  ) {}

  get url(): string {
    return `http://${this.address}:${this.cluster.appPort}`;
  }

  /** `drover run` on this host; resolves once its workers listen and /readyz is 200. */
  async start(): Promise<void> {
    const { options, appPort, adminPort, redisUrl, groups } = this.cluster;
    const args = ['run', options.script, '-i', String(options.instances), '--name', APP_NAME, '--min-uptime', '10s', '--listen-timeout', '15s', '--shutdown-delay', String(options.shutdownDelayMs), '--admin-port', String(adminPort), '--admin-host', this.address];
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, DROVER_HOME: this.home, DROVER_CONTAINER: '0', DROVER_REDIS_URL: redisUrl, HOST: this.address, PORT: String(appPort) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.drover = new Group(child, groups);
    this.runs.push(this.drover);
    await this.drover.waitForOutput(/workers? listening on/, 20_000);
    await waitUntil(async () => (await this.readyz()) === 200, 10_000, `${this.address} /readyz 200`);
  }

  /** GET /readyz from this host's admin listener: its status, 0 when nothing answers. */
  async readyz(): Promise<number> {
    try {
      return (await get(`http://${this.address}:${this.cluster.adminPort}/readyz`)).status;
    } catch {
      return 0;
    }
  }

  /** `drover reload api` on this host, as its operator would type it; resolves with what it printed. */
  async reload(): Promise<string> {
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'reload', APP_NAME], { cwd: ROOT, env: { ...process.env, DROVER_HOME: this.home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.on('exit', (code) => resolve({ code, output }));
    });
    if (result.code !== 0) throw new Error(`drover reload on ${this.address} exited ${result.code}: ${result.output}`);
    return result.output;
  }

  /** SIGTERM this host's drover (systemctl stop): /readyz 503, shutdown_delay, drain. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const drover = this.drover!;
    drover.child.kill('SIGTERM');
    return drover.exited;
  }

  /** SIGKILL this host's supervisor alone (the machine's drover dies; its workers are orphaned). */
  killSupervisor(): void {
    this.drover!.child.kill('SIGKILL');
  }

  /** Pids still alive in any process group this host started. */
  leftovers(): number[] {
    return this.runs.flatMap((run) => processGroupMembers(run.pid));
  }
}

export interface Multihost {
  /** nginx, in front of every host. */
  url: string;
  redisUrl: string;
  hosts: Host[];
  nginxConf: string;
  /** Stop nginx (it reaps its workers), then SIGKILL every process group started (drovers and workers, nginx, redis); remove the temporary folders. */
  stop(): Promise<void>;
}

/** Start redis-server, a drover on each host address, and nginx in front of them. */
export async function startMultihost(options: MultihostOptions): Promise<Multihost> {
  const settings: Required<MultihostOptions> = { instances: 2, shutdownDelayMs: 1000, ...options };
  const groups = new Set<Group>();
  const dirs: string[] = [];
  const scratch = (name: string) => {
    const dir = mkdtempSync(`${tmpdir()}/drover-multihost-${name}-`);
    dirs.push(dir);
    return dir;
  };
  let nginx: Group | undefined;
  const killAll = () => {
    for (const group of groups) group.killGroup();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  const stop = async () => {
    // SIGKILLed with its group, nginx's master could not reap its worker: a zombie.
    if (nginx && nginx.child.exitCode === null) {
      nginx.child.kill('SIGTERM');
      await Promise.race([nginx.exited, sleep(3000)]);
    }
    killAll();
    process.removeListener('exit', killAll);
    // SIGKILL is delivered asynchronously: a process may be listed for a moment after kill().
    await waitUntil(() => [...groups].every((group) => processGroupMembers(group.pid).length === 0), 5000, 'every killed process group to be gone').catch(() => {});
  };
  try {
    const [redisPort, appPort, adminPort, nginxPort] = await freePorts(['127.0.0.1', ...HOST_ADDRESSES], 4);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    await startRedis(redisPort!, scratch('redis'), groups);

    const hosts = HOST_ADDRESSES.map((address) => new Host(address, scratch(`home-${address}`), { appPort: appPort!, adminPort: adminPort!, redisUrl, options: settings, groups }));
    await Promise.all(hosts.map((host) => host.start()));

    const nginxDir = scratch('nginx');
    const nginxConf = nginxMainConf(nginxDir, nginxPort!, hosts.map((host) => `${host.address}:${appPort}`));
    nginx = await startNginx(nginxDir, nginxConf, groups);
    const url = `http://127.0.0.1:${nginxPort}`;
    await waitUntil(async () => (await get(`${url}/nginx-health`).catch(() => ({ status: 0 }))).status === 200, 10_000, 'nginx to answer');
    return { url, redisUrl, hosts, nginxConf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * nginx.conf for nginx run by a user without root, everything in `dir`: the http part
 * is what `drover init compose` writes (nginxSite), with the hosts as its servers.
 */
function nginxMainConf(dir: string, port: number, servers: string[]): string {
  const site = nginxSite({ name: APP_NAME, balance: 'round-robin', sticky_key: 'ip' } as AppOptions, { upstream: `${APP_NAME}_hosts`, servers, listen: `127.0.0.1:${port}` });
  return [
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    access_log ${dir}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${dir}/${kind}_temp;`),
    ...site.map((line) => (line === '' ? '' : `    ${line}`)),
    '}',
    '',
  ].join('\n');
}

async function startNginx(dir: string, conf: string, groups: Set<Group>): Promise<Group> {
  // As root, nginx's workers run as nobody: they must be able to enter the folder.
  chmodSync(dir, 0o755);
  writeFileSync(`${dir}/nginx.conf`, conf);
  const nginx = new Group(spawn('nginx', ['-p', dir, '-c', `${dir}/nginx.conf`, '-e', 'stderr', '-g', 'daemon off;'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }), groups);
  nginx.child.once('error', () => undefined);
  await sleep(100);
  if (nginx.child.exitCode !== null || nginx.child.pid === undefined) throw new Error(`nginx did not start (apt-get install nginx-light): ${nginx.output}`);
  return nginx;
}

async function startRedis(port: number, dir: string, groups: Set<Group>): Promise<void> {
  const redis = new Group(
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] }),
    groups,
  );
  redis.child.once('error', () => undefined);
  await redis.waitForOutput(/Ready to accept connections/, 10_000);
}

/** `count` distinct ports, each free on every one of `addresses` a moment ago (below the ephemeral range). */
async function freePorts(addresses: readonly string[], count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count && attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (ports.includes(port)) continue;
    if ((await Promise.all(addresses.map((address) => canListen(port, address)))).every(Boolean)) ports.push(port);
  }
  if (ports.length < count) throw new Error('no free ports found');
  return ports;
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Log in through `url` (nginx): the session cookie, `connect.sid=...`, to send as a Cookie header. */
export async function login(url: string): Promise<string> {
  const answer = await get(`${url}/login`);
  const cookie = answer.headers['set-cookie']?.find((line) => line.startsWith('connect.sid='));
  if (answer.status !== 200 || cookie === undefined) throw new Error(`login: ${answer.status} ${answer.body}`);
  return cookie.split(';')[0]!;
}

/** Who `cookie` is on `url` (GET /me): the user and the host that answered. */
export async function whoIs(url: string, cookie: string): Promise<{ host: string; user: string | null }> {
  const answer = await get(`${url}/me`, { headers: { cookie } });
  if (answer.status !== 200) throw new Error(`${url}/me: ${answer.status} ${answer.body}`);
  const { host, user } = JSON.parse(answer.body) as { host: string; user: string | null };
  return { host, user };
}

/** What a load saw: each answer that was 200 with the session's user counts as ok. */
export interface LoadTally extends AnswerTally {
  /** Milliseconds per request, ok or not. */
  latencies: number[];
  /** Answers by the host that served them. */
  byHost: Record<string, number>;
}

/**
 * GET /me with the session's cookie from `connections` keep-alive clients, in a loop,
 * until stop(), which resolves once every client has its last answer. A request fails
 * on a socket error, a status other than 200, or a user other than `user`.
 */
export function sessionLoad(url: string, cookie: string, connections: number, user = 'ada'): { tally: LoadTally; stop(): Promise<LoadTally> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const tally: LoadTally = { ok: 0, failed: 0, failures: [], latencies: [], byHost: {} };
  return loadLoop(tally, connections, agent, async () => {
    const started = performance.now();
    try {
      const answer = await get(`${url}/me`, { agent, headers: { cookie } });
      const body = answer.status === 200 ? (JSON.parse(answer.body) as { host: string; user: string | null }) : undefined;
      if (body?.user !== user) return body ? `user ${body.user} from ${body.host}` : `status ${answer.status}: ${answer.body.slice(0, 200)}`;
      tally.byHost[body.host] = (tally.byHost[body.host] ?? 0) + 1;
      return undefined;
    } finally {
      tally.latencies.push(performance.now() - started);
    }
  });
}

/** The p-th percentile (0-100) of `values`, in their unit; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Pids whose process group is `pgid` (Linux /proc via ps), zombies left out. */
function processGroupMembers(pgid: number): number[] {
  const listed = spawnSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return listed.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `check` every 50 ms until it holds, or fail after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** What happened on one host during a rolling deploy. */
export interface HostDeploy {
  address: string;
  /** restart: /readyz as polled from SIGTERM until the host's drover exited. */
  readyzWhileStopping: number[];
  /** restart: the stopped drover's exit code. */
  exitCode: number | null;
  ms: number;
}

/** nginx's fail_timeout in the generated upstream (src/init/nginx.ts), and a margin. */
const NGINX_FAIL_TIMEOUT_MS = 5500;

/**
 * The deploy the README describes, one host at a time: `drover reload api` on the
 * host ('reload'), or ('restart') stop it with SIGTERM (readiness off at once, serving
 * for shutdown_delay, then the drain, whose refused connections nginx retries on the
 * other hosts) and start it again, and only go on once its /readyz is 200 and nginx's
 * fail_timeout has passed.
 */

export async function rollingDeploy(cluster: Multihost, how: 'reload' | 'restart'): Promise<HostDeploy[]> {
  const done: HostDeploy[] = [];
  for (const host of cluster.hosts) {
    const started = performance.now();
    const readyzWhileStopping: number[] = [];
    let exitCode: number | null = null;
    if (how === 'reload') {
      await host.reload();
    } else {
      let exited = false;
      const exit = host.stop().then((result) => {
        exited = true;
        return result;
      });
      while (!exited) {
        readyzWhileStopping.push(await host.readyz());
        await sleep(50);
      }
      exitCode = (await exit).code;
      await host.start();
      // As the README says: nginx leaves a host that failed aside for fail_timeout; wait
      // it out before the next one goes, or two hosts are out of the rotation at once.
      await sleep(NGINX_FAIL_TIMEOUT_MS);
    }
    done.push({ address: host.address, readyzWhileStopping, exitCode, ms: Math.round(performance.now() - started) });
  }
  return done;
}

/**
 * Under `load` (started for this), once every host has answered through nginx, SIGKILL
 * `victim`'s supervisor; resolves once the workers it orphaned have exited, with how
 * long that took.
 */
export async function killOneHost(cluster: Multihost, load: { tally: LoadTally }, victim: Host): Promise<{ orphansGoneMs: number }> {
  await waitUntil(() => cluster.hosts.every((host) => (load.tally.byHost[host.address] ?? 0) > 0), 15_000, 'every host to answer through nginx');
  victim.killSupervisor();
  const killed = performance.now();
  await waitUntil(() => victim.leftovers().length === 0, 15_000, `the workers of ${victim.address} to exit`);
  return { orphansGoneMs: Math.round(performance.now() - killed) };
}
