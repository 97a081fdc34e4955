import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { it } from 'node:test';
import { CLI, DROVER_HOME, ROOT, example, fixture, isAlive, runDrover, runningApps, sleep, timelineOf, waitForEvents } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// A background app whose logs are on a disk that fills up, for real: a 256 KiB tmpfs
// mounted over $DROVER_HOME/logs in a mount namespace of its own (unshare -m), which
// the supervisor and its worker live in. Logging fails, the app goes on, the failure
// is reported once per file, and writing resumes once space is freed.

const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt']).status === 0;

const warnings = async (app: string) => (await timelineOf(app)).filter((event) => event.kind === 'warning').map((event) => event.detail);
const waitForWarning = async (app: string, pattern: RegExp) => (await waitForEvents(app, 'warning', pattern)).map((event) => event.detail);

it('a full disk under the logs: the app keeps serving, the failure is reported once, writing resumes when space is freed', { timeout: 60_000, skip: canMount ? false : 'unshare -m and a tmpfs mount are not permitted here' }, async () => {
  const logs = `${DROVER_HOME}/logs`;
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const script = `mount -t tmpfs -o size=256k,mode=0700 tmpfs "$LOGS" && exec "${process.execPath}" "${CLI}" start "${fixture('fills-disk.cjs')}" --name full -i 1`;
  const start = spawn('unshare', ['-m', 'sh', '-c', script], {
    cwd: ROOT,
    env: { ...process.env, DROVER_HOME, LOGS: logs, FILL_DIR: logs, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  start.stdout!.on('data', (chunk) => (output += chunk));
  start.stderr!.on('data', (chunk) => (output += chunk));
  assert.equal(await new Promise((resolve) => start.on('exit', resolve)), 0, output);
  const [app] = await runningApps();
  assert.equal(app?.name, 'full');

  assert.match((await get(`http://127.0.0.1:${port}/fill`)).body, /^ENOSPC/);
  const failing = await waitForWarning('full', /^cannot write .*\/full\.out\.log \(ENOSPC\); its lines are dropped until it can be written again/);
  await sleep(1500);
  // The app keeps running and serving; the supervisor is there; one report per file.
  const answer = (await get(`http://127.0.0.1:${port}/`)).json<{ pid: number; lines: number }>();
  assert.equal(answer.pid, app!.workers[0]!.pid);
  assert.ok(isAlive(app!.supervisorPid));
  const stillFailing = await warnings('full');
  assert.equal(stillFailing.filter((line) => /^cannot write .*full\.out\.log/.test(line)).length, 1, JSON.stringify(stillFailing));
  assert.ok(failing.length >= 1);

  await get(`http://127.0.0.1:${port}/free`);
  const recovered = await waitForWarning('full', /^writing .*\/full\.out\.log again; \d+ line\(s\) were dropped while it could not be written \(ENOSPC\)$/);
  const dropped = Number(/full\.out\.log again; (\d+) line/.exec(recovered.join('\n'))![1]);
  assert.ok(dropped > 10, `lines dropped while full: ${dropped}`);

  const stopped = await runDrover(['stop', 'full']);
  assert.equal(stopped.code, 0, stopped.output);
});

it("the supervisor's own output failing (stdout on a full disk) stops nothing, and is reported once", async () => {
  const port = await freePort();
  const full = openSync('/dev/full', 'w');
  // The app writes nothing to stdout (under plain node it would crash on ENOSPC too).
  const drover = spawn(process.execPath, [CLI, 'run', example('hello/server.js'), '-i', '1', '--name', 'no-stdout'], {
    cwd: ROOT,
    env: { ...process.env, DROVER_HOME, PORT: String(port) },
    stdio: ['ignore', full, 'pipe'],
    detached: true,
  });
  closeSync(full);
  let stderr = '';
  drover.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => drover.on('exit', resolve));
  try {
    const failing = await waitForWarning('no-stdout', /^cannot write the supervisor's stdout \(ENOSPC\); its lines are dropped until it can be written again$/);
    assert.equal(failing.length, 1);
    // The warning comes with drover's first line, which may be before the worker listens.
    await waitForEvents('no-stdout', 'listening', /listening on/);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    drover.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.doesNotMatch(stderr, /internal error|ENOSPC.*\n\s+at /);
  } finally {
    drover.kill('SIGKILL');
  }
});
