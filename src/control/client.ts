import { existsSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DroverError } from '../errors/index.js';
import { socketsDir } from './paths.js';

/** How long the CLI waits for a supervisor's answer: a dead one must not hang it. */
export const CONTROL_TIMEOUT_MS = 5000;

/** Call a supervisor's control API over its Unix socket; rejects on timeout or a dead socket. */
export function callSupervisor<T>(socket: string, method: 'GET' | 'POST', route: string, timeoutMs = CONTROL_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: route, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(body) as T & { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new Error(parsed.error ?? `status ${res.statusCode}`));
          else resolve(parsed);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** A running app's name and socket. */
export interface RunningApp {
  name: string;
  socket: string;
}

/**
 * The apps whose supervisors answer. A socket left by a supervisor that was killed
 * refuses connections: it is removed, and reported through `onStale`.
 */
export async function findRunningApps(onStale: (name: string) => void = () => undefined): Promise<RunningApp[]> {
  const dir = socketsDir();
  if (!existsSync(dir)) return [];
  const apps: RunningApp[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sock')).sort()) {
    const socket = path.join(dir, file);
    const name = file.slice(0, -'.sock'.length);
    if (await isAlive(socket)) apps.push({ name, socket });
    else {
      rmSync(socket, { force: true });
      onStale(name);
    }
  }
  return apps;
}

/** Whether a supervisor answers on this socket. */
export async function isAlive(socket: string): Promise<boolean> {
  try {
    await callSupervisor(socket, 'GET', '/v1/ping', 2000);
    return true;
  } catch {
    return false;
  }
}

/** The running apps named by `target` ("all" or one name); an unknown name lists the running ones. */
export async function selectRunningApps(target: string, onStale?: (name: string) => void): Promise<RunningApp[]> {
  const running = await findRunningApps(onStale);
  if (target === 'all') return running;
  const app = running.find((candidate) => candidate.name === target);
  if (app) return [app];
  const names = running.map((candidate) => `'${candidate.name}'`).join(', ');
  throw new DroverError('DROVER_E_UNKNOWN_APP', `no running app named '${target}'; running: ${names || 'none'}`);
}
