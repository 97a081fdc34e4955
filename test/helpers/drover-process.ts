import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, afterEach, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';

// Start the real `drover` CLI as a child process, in its own process group, so that a
// test can signal it like a user would and clean up every process it started (the
// supervisor and its workers) even when the test fails.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}dist/cli/main.js`;
export const fixture = (name: string) => `${ROOT}test/fixtures/apps/${name}`;
export const example = (path: string) => `${ROOT}examples/${path}`;

// The tests may run in a container (CI does): every drover they start, however it is
// started, is in container mode only where a test asks for it.
process.env.DROVER_CONTAINER ??= '0';

/** Every drover a test file starts keeps its control sockets here, not in ~/.drover. */
export const DROVER_HOME = mkdtempSync(`${tmpdir()}/drover-home-`);

const started = new Set<DroverProcess>();
// Scratch folders made by scratchDir(), removed when the test file ends.
const scratchDirs: string[] = [];
// Supervisors started by `drover start` run in process groups of their own.
const background = new Set<number>();
after(() => {
  for (const drover of started) drover.killGroup();
  // Background supervisors a failed test never listed are still found by their sockets.
  const listed = spawnSync(process.execPath, [CLI, 'ls', '--json'], { env: { ...process.env, DROVER_HOME }, encoding: 'utf8', timeout: 10_000 });
  try {
    for (const status of JSON.parse(listed.stdout) as RunningStatus[]) if (status.supervisorPid) background.add(status.supervisorPid);
  } catch {
    // Nothing listed.
  }
  for (const pid of background) killGroup(pid);
  for (const dir of [DROVER_HOME, ...scratchDirs]) rmSync(dir, { recursive: true, force: true });
});

// A drover started by a test itself (not by a `before` hook, for several tests) that
// the test left running, because an assertion failed before it stopped it, is killed
// once the test ends: otherwise the next test of the file that runs the same app name
// is refused with "already running", and one failure reads as many.
let inTest: Set<DroverProcess> | undefined;
beforeEach(() => {
  inTest = new Set();
});
afterEach(async () => {
  const left = [...(inTest ?? [])].filter((drover) => drover.child.exitCode === null && drover.child.signalCode === null);
  inTest = undefined;
  for (const drover of left) drover.killGroup();
  await Promise.all(left.map((drover) => drover.exited));
});

/** A new empty folder under the system's temporary folder, removed when the test file ends. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(`${tmpdir()}/drover-${name}-`);
  scratchDirs.push(dir);
  return dir;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class DroverProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  stdout = '';
  stderr = '';

  constructor(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, DROVER_HOME, ...options.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.add(this);
    inTest?.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /** Resolve with the match once the combined output matches, or fail after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`);
      await sleep(25);
    }
  }

  /** Wait for the "N workers listening" line. */
  async waitUntilListening(timeoutMs = 10_000): Promise<void> {
    await this.waitForOutput(/workers? listening on/, timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILL everything left in the process group: the supervisor and any worker. */
  killGroup(): void {
    killGroup(this.pid);
  }

  /** Pids still alive in this run's process group (supervisor and workers). */
  groupPids(): number[] {
    return processGroupMembers(this.pid);
  }
}

/** Run drover to completion and return its exit and output. */
export async function runDrover(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}) {
  const drover = new DroverProcess(args, options);
  const timer = setTimeout(() => drover.killGroup(), options.timeoutMs ?? 30_000);
  const exit = await drover.exited;
  clearTimeout(timer);
  return { ...exit, stdout: drover.stdout, stderr: drover.stderr, output: drover.output, leftover: drover.groupPids() };
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Nothing left.
  }
}

/** A running app as `drover ls --json` shows it. */
export interface RunningStatus {
  name: string;
  supervisorPid: number;
  workers: { pid: number }[];
}

/** `drover ls --json`; every supervisor seen is killed with its group when the test file ends. */
export async function runningApps(): Promise<RunningStatus[]> {
  // Stopped and errored apps are listed too; they have no supervisor.
  const list = (JSON.parse((await runDrover(['ls', '--json'])).stdout) as RunningStatus[]).filter((status) => status.supervisorPid !== undefined);
  for (const status of list) background.add(status.supervisorPid);
  return list;
}

/** Pids whose process group is `pgid`, from /proc (Linux). Zombies do not count. */
export function processGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name: state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll until `check` returns true, or fail after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** One event of an app's timeline, as `drover describe --json` gives it. */
export interface TimelineEntry {
  kind: string;
  detail: string;
}

/** The timeline of a running app; empty when it is not (yet) running. */
export async function timelineOf(app: string): Promise<TimelineEntry[]> {
  const result = await runDrover(['describe', app, '--json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as { events: TimelineEntry[] }).events : [];
}

/** Poll an app's timeline until `count` events of `kind` match `pattern`; resolves with those of that kind. */
export async function waitForEvents(app: string, kind: string, pattern: RegExp, count = 1, timeoutMs = 10_000): Promise<TimelineEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await timelineOf(app)).filter((event) => event.kind === kind);
    if (events.filter((event) => pattern.test(event.detail)).length >= count) return events;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} '${kind}' event(s) matching ${pattern}; got ${JSON.stringify(events)}`);
    await sleep(200);
  }
}
