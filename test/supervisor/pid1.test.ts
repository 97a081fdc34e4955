import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CLI, DROVER_HOME, ROOT, example, isAlive, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// As PID 1 of a container the kernel delivers only the signals a process has a handler
// for. Here drover runs as PID 1 of a new PID namespace (unshare), as `docker run`
// would start it, and must drain on SIGTERM and exit 0.

const canUnshare = spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

it('drains and exits 0 on SIGTERM when it is PID 1', { timeout: 20_000, skip: canUnshare ? false : 'unshare --pid is not permitted here' }, async () => {
  const port = await freePort();
  const outer = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, CLI, 'run', example('hello/server.js'), '-i', '2'], {
    cwd: ROOT,
    env: { ...process.env, DROVER_HOME, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  outer.stdout!.on('data', (chunk) => (output += chunk));
  outer.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => outer.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => /workers listening on/.test(output), 10_000, 'the workers to listen');
    // The supervisor as seen from outside the namespace: unshare's only child.
    const supervisor = Number(readFileSync(`/proc/${outer.pid}/task/${outer.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    const inside = readFileSync(`/proc/${supervisor}/status`, 'utf8').match(/^NSpid:\s+\d+\s+(\d+)/m)?.[1];
    assert.equal(inside, '1', 'drover is PID 1 in its namespace');

    const slow = get(`http://127.0.0.1:${port}/slow?ms=700`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    process.kill(supervisor, 'SIGTERM');
    assert.equal((await slow).status, 200);
    assert.equal(await exited, 0);
    assert.match(output, /SIGTERM received: draining 2 worker/);
    assert.match(output, /running as PID 1: Node\.js cannot reap orphaned processes, .* docker run --init, or tini or dumb-init/);
    await waitFor(() => !isAlive(supervisor), 2000, 'the supervisor to be gone');
  } finally {
    outer.kill('SIGKILL');
  }
});

// `CMD ["npm", "run", "x"]` whose script starts drover: npm is PID 1 and does not pass
// SIGTERM on. drover says so at start, with the exec form to use instead.
const canMountProc = canUnshare && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

it('warns when npm is PID 1 and started it', { timeout: 20_000, skip: canMountProc ? false : 'unshare --mount-proc is not permitted here' }, async () => {
  const port = await freePort();
  const outer = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', 'npm', 'run', 'drover'], {
    cwd: `${ROOT}test/fixtures/apps/npm-app`,
    env: { ...process.env, DROVER_HOME, DROVER_CLI: CLI, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  outer.stdout!.on('data', (chunk) => (output += chunk));
  outer.stderr!.on('data', (chunk) => (output += chunk));
  try {
    await waitFor(() => /worker listening on/.test(output), 15_000, 'the worker to listen');
    assert.match(output, /\[drover\] started by npm, which is PID 1 \(the container's entry point\): npm does not pass SIGTERM on/);
  } finally {
    outer.kill('SIGKILL');
  }
});
