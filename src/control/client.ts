import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DroverError } from '../errors/index.js';
import { socketsDir } from '../home/paths.js';
import type { RouteKey, RouteResponses } from './api.js';

/** How long the CLI waits for a supervisor's answer: a dead one must not hang it. */
export const CONTROL_TIMEOUT_MS = 5000;

/** A supervisor answered, with an error status: it is there, the request was refused. */
export class SupervisorRefusal extends DroverError {
  readonly status: number;

  constructor(app: string, status: number, error: string | undefined) {
    // A 400 is the supervisor refusing a request (a bad scale): its message says it all.
    super(
      status === 400 ? 'DROVER_E_INVALID_OPTION' : 'DROVER_E_SUPERVISOR_UNREACHABLE',
      status === 400 && error ? error : `${app}: ${error ?? `its supervisor answered with status ${status}`}`,
    );
    this.status = status;
  }
}

// The cause of a call that timed out: the supervisor is there but does not answer.
const TIMED_OUT = 'ETIMEDOUT';

/**
 * Call a supervisor's control API over its Unix socket. Rejects with
 * DROVER_E_SUPERVISOR_UNREACHABLE on a timeout, a dead socket or a supervisor that dies
 * during the call, and with DROVER_E_SOCKET_NOT_OWNED for another user's socket.
 */
export function callSupervisor<K extends RouteKey>(
  socket: string,
  route: K,
  options: { query?: Record<string, string | number>; timeoutMs?: number; body?: unknown } = {},
): Promise<RouteResponses[K]> {
  type T = RouteResponses[K];
  const timeoutMs = options.timeoutMs ?? CONTROL_TIMEOUT_MS;
  const [method, pathname] = route.split(' ') as ['GET' | 'POST', string];
  const query = options.query ? `?${new URLSearchParams(Object.entries(options.query).map(([key, value]): [string, string] => [key, String(value)]))}` : '';
  return new Promise((resolve, reject) => {
    checkOwner(socket);
    const app = `'${path.basename(socket, '.sock')}'`;
    const unreachable = (why: string, cause?: Error) => new DroverError('DROVER_E_SUPERVISOR_UNREACHABLE', `${app}: ${route}: ${why}`, { cause });
    const cutOff = () => unreachable('its supervisor closed the connection before answering (did it die?)');
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const req = http.request({ socketPath: socket, method, path: `${pathname}${query}`, timeout: timeoutMs, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('error', () => reject(cutOff()));
      res.on('end', () => {
        const status = res.statusCode ?? 500;
        let parsed: (T & { error?: string }) | undefined;
        try {
          // The one text route (GET /metrics) answers text; errors are JSON everywhere.
          parsed = (status < 400 && res.headers['content-type']?.startsWith('text/plain') ? body : JSON.parse(body)) as T & { error?: string };
        } catch {
          // Not JSON: an old or foreign server, or cut off.
        }
        if (status >= 400) reject(new SupervisorRefusal(app, status, parsed?.error));
        else if (parsed === undefined) reject(cutOff());
        else resolve(parsed);
      });
    });
    req.on('timeout', () =>
      req.destroy(
        unreachable(
          `no answer within ${timeoutMs / 1000} s; its supervisor may be stuck (drover ls shows whether it is there)`,
          Object.assign(new Error('timed out'), { code: TIMED_OUT }),
        ),
      ),
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error instanceof DroverError
          ? error
          : unreachable(error.code === 'ECONNRESET' ? 'its supervisor closed the connection (did it die?)' : `its supervisor is not answering (${error.code ?? error.message})`, error),
      ),
    );
    req.end(payload);
  });
}

/** Refuse a socket that another user made: whoever owns it could answer as a supervisor. */
export function checkOwner(socket: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  let owner: number;
  try {
    owner = lstatSync(socket).uid;
  } catch {
    return; // Gone: the call itself will say so.
  }
  if (owner !== uid) {
    throw new DroverError(
      'DROVER_E_SOCKET_NOT_OWNED',
      `refused the control socket ${socket}: it belongs to uid ${owner}, not to you (uid ${uid}); remove it if you did not expect it`,
    );
  }
}

/** A running app's name and socket; 'stuck': its supervisor accepts connections but does not answer. */
export interface RunningApp {
  name: string;
  socket: string;
  state: 'answers' | 'stuck';
}

/**
 * The apps whose supervisors are there. A socket left by a supervisor that was killed
 * refuses connections: it is removed, and reported through `notice`. One that accepts
 * but does not answer (a stuck supervisor) is listed: commands to it time out and say
 * so. One that belongs to another user is left alone, and reported.
 */
export async function findRunningApps(notice: (message: string) => void = () => undefined): Promise<RunningApp[]> {
  const dir = socketsDir();
  if (!existsSync(dir)) return [];
  const apps: RunningApp[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sock')).sort()) {
    const socket = path.join(dir, file);
    const name = file.slice(0, -'.sock'.length);
    try {
      checkOwner(socket);
    } catch (error) {
      notice(`drover: ${(error as Error).message}`);
      continue;
    }
    const state = await probe(socket);
    if (state !== 'gone') apps.push({ name, socket, state });
    else {
      rmSync(socket, { force: true });
      notice(`drover: removed the stale control socket of '${name}' (its supervisor is gone)`);
    }
  }
  return apps;
}

/**
 * Whether a supervisor is behind this socket: 'answers'; 'stuck' when it accepts the
 * connection but does not answer in time; 'gone' when nothing answers at all (refused, reset, no socket).
 */
export async function probe(socket: string): Promise<'answers' | 'stuck' | 'gone'> {
  try {
    await callSupervisor(socket, 'GET /v1/ping', { timeoutMs: 2000 });
    return 'answers';
  } catch (error) {
    if (error instanceof SupervisorRefusal) return 'answers';
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    return cause?.code === TIMED_OUT ? 'stuck' : 'gone';
  }
}

/** What is said of a supervisor that accepts connections but does not answer. */
export function stuck(app: RunningApp): DroverError {
  return new DroverError('DROVER_E_SUPERVISOR_UNREACHABLE', `'${app.name}': its supervisor accepts connections but does not answer (stuck, or stopped with SIGSTOP?)`);
}

/**
 * The running apps named by `target` ("all" or one name); an unknown name lists the
 * running ones. A stuck supervisor fails at once when named, and is left out of "all".
 */
export async function selectRunningApps(target: string, notice: (message: string) => void = () => undefined): Promise<RunningApp[]> {
  const running = await findRunningApps(notice);
  if (target === 'all') {
    for (const app of running.filter((candidate) => candidate.state === 'stuck')) notice(`drover: ${stuck(app).message}; left out`);
    return running.filter((app) => app.state === 'answers');
  }
  const app = running.find((candidate) => candidate.name === target);
  if (app?.state === 'stuck') throw stuck(app);
  if (app) return [app];
  const names = running.map((candidate) => `'${candidate.name}'`).join(', ');
  throw new DroverError('DROVER_E_UNKNOWN_APP', `no running app named '${target}'; running: ${names || 'none'}`);
}
