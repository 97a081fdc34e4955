import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DroverProcess, fixture, isAlive, scratchDir, sleep, waitForEvents } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// A worker killed as unresponsive: before the kill, drover reads where its JavaScript
// is stuck through the inspector, and names the function and file:line in its output
// and the timeline. Real workers, real inspector.

/** The 1-based line of the fixture that holds `marker`. */
function lineOf(file: string, marker: string): number {
  return readFileSync(fixture(file), 'utf8').split('\n').findIndex((line) => line.includes(marker)) + 1;
}

const SPIN_LINE = lineOf('hangs.cjs', 'drover names this line');
const CALL_LINE = lineOf('hangs.cjs', 'and this one');

/** Send GET /spin?slot=N until the worker in that slot takes it (it never answers). */
async function spinSlot(url: string, slot: number): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const reply = await Promise.race([get(`${url}/spin?slot=${slot}`, { timeoutMs: 30_000 }).catch(() => undefined), sleep(300).then(() => 'spinning' as const)]);
    if (reply === 'spinning') return;
  }
  throw new Error(`worker ${slot} never took /spin`);
}

async function startHanging(script: string, name: string, extra: string[] = []) {
  const port = await freePort();
  const drover = new DroverProcess(['run', fixture(script), '--name', name, '--stats-interval', '200', '--heartbeat-timeout', '1000', ...extra], {
    env: { PORT: String(port), STATE_DIR: scratchDir('hang') },
  });
  await drover.waitUntilListening();
  return { drover, url: `http://127.0.0.1:${port}` };
}

describe('why a worker hung', () => {
  it('names the blocking function and its file:line in the kill message and the timeline, then replaces the worker', async () => {
    const { drover, url } = await startHanging('hangs.cjs', 'hangs-named', ['-i', '2']);
    await spinSlot(url, 0);
    const stuckAt = `stuck at spinForever \\(test/fixtures/apps/hangs\\.cjs:${SPIN_LINE}\\) <- handleRequest \\(test/fixtures/apps/hangs\\.cjs:${CALL_LINE}\\)`;
    const match = await drover.waitForOutput(
      new RegExp(`worker 0 \\(pid (\\d+)\\) unresponsive for [\\d.]+ m?s \\(no heartbeat within heartbeat_timeout\\), ${stuckAt}: killed and replaced`),
      15_000,
    );
    const victim = Number(match[1]);
    // The timeline says the same, and the exit it caused carries it too.
    await waitForEvents('hangs-named', 'unresponsive', new RegExp(stuckAt));
    const exits = await waitForEvents('hangs-named', 'exited', new RegExp(`killed with signal SIGKILL.*${stuckAt}`));
    assert.equal(exits.length, 1);
    // Killed: no worker is left running with the inspector drover opened.
    assert.equal(isAlive(victim), false);
    // Node's lines about the inspector are drover's doing, not the app's output: not shown.
    assert.doesNotMatch(drover.output, /Debugger (listening|attached)/);
    // The slot comes back.
    let replacement: number | undefined;
    for (let i = 0; i < 100 && replacement === undefined; i++) {
      const answer = (await get(`${url}/`)).json<{ pid: number; instance: string }>();
      if (answer.instance === '0' && answer.pid !== victim) replacement = answer.pid;
      await sleep(20);
    }
    assert.ok(replacement, 'slot 0 has a new worker');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.deepEqual(drover.groupPids(), []);
  });

  it('kills anyway, and says why there is no stack, when the inspector cannot be opened (the app handles SIGUSR1)', async () => {
    const { drover, url } = await startHanging('hangs-no-inspector.cjs', 'hangs-blind', ['-i', '2']);
    await spinSlot(url, 1);
    const match = await drover.waitForOutput(
      /worker 1 \(pid (\d+)\) unresponsive for [\d.]+ m?s \(no heartbeat within heartbeat_timeout\), no stack: its inspector did not open within \d+ ms \(the app may handle SIGUSR1 itself, or its main thread is blocked outside JavaScript\): killed and replaced/,
      15_000,
    );
    await waitForEvents('hangs-blind', 'unresponsive', /no stack: its inspector did not open/);
    await waitForEvents('hangs-blind', 'spawned', /started/, 3);
    assert.equal(isAlive(Number(match[1])), false);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.deepEqual(drover.groupPids(), []);
  });

  it("uses the inspector an app opens itself (--inspect in node_args), and leaves its flags alone", async () => {
    // Fork mode: node:cluster would give the worker a port of its own (9230) instead of the app's 0.
    const { drover, url } = await startHanging('hangs.cjs', 'hangs-inspect', ['-i', '1', '--exec-mode', 'fork', '--node-args', '--inspect=127.0.0.1:0']);
    // The app asked for its inspector: Node's line about it is the app's output, shown.
    await drover.waitForOutput(/Debugger listening on ws:\/\/127\.0\.0\.1:\d+\//);
    await spinSlot(url, 0);
    await drover.waitForOutput(new RegExp(`unresponsive for .*, stuck at spinForever \\(test/fixtures/apps/hangs\\.cjs:${SPIN_LINE}\\)`), 15_000);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.deepEqual(drover.groupPids(), []);
  });
});
