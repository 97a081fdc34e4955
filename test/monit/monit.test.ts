import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callSupervisor } from '../../src/control/client.js';
import { CLI, DROVER_HOME, fixture, runDrover, runningApps } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';
import { TmuxSession } from '../helpers/tmux.js';

// `drover monit` in a real terminal (tmux): rows for every worker, values that move,
// keys that act, a supervisor that stops answering, and a terminal left as it was.

const SIZE = { columns: 130, rows: 40 };

/** Start an app in the background; returns its port and workers' pids. */
async function startApp(name: string, workers = 2) {
  const port = await freePort();
  const started = await runDrover(['start', fixture('hangs.cjs'), '--name', name, '-i', String(workers), '--stats-interval', '200'], { env: { PORT: String(port) } });
  assert.equal(started.code, 0, started.output);
  const status = (await runningApps()).find((app) => app.name === name)!;
  return { port, status };
}

/** `drover monit` in a shell that says how it exited, then stays, so the screen after it can be read. */
function monitIn(args: string): TmuxSession {
  return new TmuxSession(`${process.execPath} ${CLI} monit ${args}; echo "monit exited $?"; sleep 600`, SIZE);
}

/** The table rows of one app: its first row carries its name, the next ones are blank there. */
function rowsOf(screen: string, app: string): string[][] {
  const lines = screen.split('\n');
  const first = lines.findIndex((line) => new RegExp(`^[> ] ${app}\\s`).test(line));
  if (first === -1) return [];
  const rows = [lines[first]!];
  for (const line of lines.slice(first + 1)) {
    if (!/^\s+\d+\s+\d+\s/.test(line)) break;
    rows.push(line);
  }
  return rows.map((line) => line.replace(/^[> ] \S+/, '').trim().split(/\s{2,}/));
}

/** Sum of the `requests` column (the 10th cell after the name: slot pid state uptime cpu memory loop req/s inflight requests). */
const requestsOf = (screen: string, app: string) => rowsOf(screen, app).reduce((total, row) => total + (Number(row[9]) || 0), 0);

describe('drover monit', () => {
  it('shows a row per worker, updates them, scales on + and -, reloads on r, and leaves the terminal clean on q', async () => {
    const { port, status } = await startApp('monit-app');
    const session = monitIn('--interval 200');
    try {
      let screen = await session.waitForScreen((text) => status.workers.every((worker) => text.includes(String(worker.pid))), 'a row for each worker');
      assert.match(screen, /drover monit: 1 app, 2 workers/);
      assert.equal(rowsOf(screen, 'monit-app').length, 2);
      assert.match(screen, /latest events/);
      assert.match(screen, /monit-app worker 0 \(pid \d+\) listening: listening on 127\.0\.0\.1:\d+/);
      // Values change between captures: requests served go up as they are made.
      const before = requestsOf(screen, 'monit-app');
      for (let i = 0; i < 40; i++) await get(`http://127.0.0.1:${port}/`);
      screen = await session.waitForScreen((text) => requestsOf(text, 'monit-app') >= before + 40, 'the requests column to count 40 more');
      // + scales the selected app up: a third worker's row appears.
      session.sendKeys('+');
      screen = await session.waitForScreen((text) => rowsOf(text, 'monit-app').length === 3 && /monit-app: scaled from 2 to 3 worker\(s\)/.test(text), 'a third row after +');
      assert.match(screen, /drover monit: 1 app, 3 workers/);
      // r reloads it: every worker gets a new pid; - scales it back down to 2.
      const scaledPids = rowsOf(screen, 'monit-app').map((row) => row[1]);
      session.sendKeys('r');
      screen = await session.waitForScreen((text) => /monit-app: reloaded in [\d.]+ m?s, 3 worker\(s\) replaced/.test(text), 'the reload to finish', 30_000);
      screen = await session.waitForScreen((text) => rowsOf(text, 'monit-app').every((row) => !scaledPids.includes(row[1])), 'new pids after the reload');
      session.sendKeys('-');
      screen = await session.waitForScreen((text) => rowsOf(text, 'monit-app').length === 2 && /monit-app: scaled from 3 to 2 worker\(s\)/.test(text), 'two rows after -');
      // The timeline route gives the latest events only, as monit asks.
      const latest = await callSupervisor(`${DROVER_HOME}/sockets/monit-app.sock`, 'GET /v1/timeline', { query: { last: 2 } });
      const all = await callSupervisor(`${DROVER_HOME}/sockets/monit-app.sock`, 'GET /v1/timeline');
      assert.deepEqual(latest.events, all.events.slice(-2));
      // q: monit exits 0, the alternate screen is left (its frame is gone), the cursor is back.
      session.sendKeys('q');
      screen = await session.waitForScreen((text) => /monit exited 0/.test(text), 'monit to exit');
      assert.doesNotMatch(screen, /drover monit:|latest events/);
      assert.equal(session.display('#{alternate_on}'), '0');
      assert.equal(session.display('#{cursor_flag}'), '1');
    } finally {
      session.kill();
      await runDrover(['delete', 'monit-app']);
    }
  });

  it('keeps drawing while a supervisor does not answer, shows it again when it does, and restores the terminal on SIGTERM', async () => {
    const { status } = await startApp('monit-stuck', 1);
    const session = monitIn('monit-stuck --interval 200');
    try {
      await session.waitForScreen((text) => text.includes(String(status.workers[0]!.pid)), 'the worker row');
      process.kill(status.supervisorPid, 'SIGSTOP');
      let screen = await session.waitForScreen((text) => /no answer/.test(text) && /'monit-stuck': GET \/v1\/status: no answer within 2 s/.test(text), 'the app marked as not answering');
      // Still redrawn meanwhile: the clock in the title moves.
      const clock = (text: string) => /(\d\d:\d\d:\d\d), every/.exec(text)?.[1];
      const then = clock(screen);
      screen = await session.waitForScreen((text) => clock(text) !== then, 'the clock to move while the supervisor is stopped');
      process.kill(status.supervisorPid, 'SIGCONT');
      await session.waitForScreen((text) => !/no answer/.test(text) && text.includes(String(status.workers[0]!.pid)), 'the worker row again');
      // SIGTERM to monit: the terminal is restored before it exits (128 + 15).
      const [monit] = session.childPids();
      assert.ok(monit, 'monit runs in the session');
      process.kill(monit, 'SIGTERM');
      screen = await session.waitForScreen((text) => /monit exited 143/.test(text), 'monit to exit on SIGTERM');
      assert.doesNotMatch(screen, /drover monit:/);
      assert.equal(session.display('#{alternate_on}'), '0');
      assert.equal(session.display('#{cursor_flag}'), '1');
    } finally {
      process.kill(status.supervisorPid, 'SIGCONT');
      session.kill();
      await runDrover(['delete', 'monit-stuck']);
    }
  });

  it('refuses to run without a terminal, and a bad interval, naming what to do instead', async () => {
    const piped = await runDrover(['monit']);
    assert.equal(piped.code, 2);
    assert.match(piped.stderr, /monit draws on a terminal, and its stdin or stdout is not one; drover ls \(or ls --json\) prints the same figures for scripts and pipes \[DROVER_E_NOT_A_TERMINAL\]/);
    const fast = await runDrover(['monit', '--interval', '10ms']);
    assert.equal(fast.code, 2);
    assert.match(fast.stderr, /monit: --interval: expected a duration of at least 100 ms \("500ms", "2s"\), got '10ms' \[DROVER_E_INVALID_OPTION\]/);
  });
});
