import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { BenchReport } from '../../src/bench/command.js';
import { example, fixture, runDrover, scratchDir } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// `drover bench` as a user runs it, on loopback: a script single and clustered, a URL,
// and bad input; every server it starts must be gone when it returns.

/** Pids of live processes whose environment holds `marker` (the bench's servers inherit it). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

async function bench(args: string[]) {
  const marker = `DROVER_BENCH_TEST=${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmp = scratchDir('bench-tmp');
  const [key, value] = marker.split('=') as [string, string];
  const result = await runDrover(['bench', ...args], { env: { [key]: value, TMPDIR: tmp }, timeoutMs: 90_000 });
  return { ...result, left: processesWith(marker), tmpLeft: readdirSync(tmp) };
}

describe('drover bench', () => {
  it('the bundled example with --workers 1,2: a plain row, both drover rows, a speedup, and no process left', { timeout: 120_000 }, async () => {
    const result = await bench([example('hello/server.js'), '--duration', '2s', '--workers', '1,2', '--connections', '20', '--json']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stderr, '', 'no progress bar when stderr is not a terminal');
    const report = JSON.parse(result.stdout) as BenchReport;
    assert.deepEqual(
      report.rows.map((row) => [row.target, row.workers]),
      [
        ['single', 1],
        ['drover', 1],
        ['drover', 2],
      ],
    );
    for (const row of report.rows) {
      assert.ok(row.rps > 0, `${row.target} ${row.workers} served requests`);
      assert.ok(row.latency.p99 >= row.latency.p50);
      assert.ok(Number.isFinite(row.speedup) && row.speedup! > 0);
      assert.equal(row.efficiency, row.speedup! / row.workers!);
    }
    assert.equal(report.rows[0]!.speedup, 1);
    assert.ok([1, 2].includes(report.recommendation!.workers));
    assert.match(report.recommendation!.text, /x/);
    assert.equal(report.durationMs, 2000);
    assert.match(report.machine.loadGenerator, /on this machine/);
    assert.deepEqual(result.left, [], 'every server the bench started is gone');
    assert.deepEqual(result.tmpLeft, [], "the bench's DROVER_HOME is removed");
  });

  it('a URL already served: one row, nothing to compare it with', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [example('hello/server.js')], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && (await get(`http://127.0.0.1:${port}/`).catch(() => undefined)) === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      const result = await bench([`http://127.0.0.1:${port}/`, '--duration', '1s', '--connections', '10', '--json']);
      assert.equal(result.code, 0, result.output);
      const report = JSON.parse(result.stdout) as BenchReport;
      assert.equal(report.rows.length, 1);
      assert.equal(report.rows[0]!.target, 'url');
      assert.equal(report.rows[0]!.speedup, null);
      assert.ok(report.rows[0]!.rps > 0);
      assert.equal(report.recommendation, null);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('the text report over 2 rounds: the table, the chart, the recommendation, and the note on the load generator', { timeout: 60_000 }, async () => {
    const result = await bench([example('hello/server.js'), '--duration', '1s', '--workers', '1', '--connections', '10', '--rounds', '2']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^drover bench: .*hello\/server\.js \/, 10 keep-alive connections, 1 s each after a 1 s warm-up, 2 rounds \(medians; the order rotates\)/);
    assert.match(result.stdout, /\nload generator: autocannon runs in this process, on this machine/);
    assert.match(result.stdout, /\ntarget +req\/s +p50 +p97\.5 +p99 +errors +speedup +per worker\nplain node .* 1\.00x +1\.00\ndrover -i 1 /);
    assert.match(result.stdout, /\nreq\/s \(longer is better\)\n {2}plain node +#+/);
    assert.match(result.stdout, /\np99 latency \(shorter is better\)\n/);
    assert.match(result.stdout, /\nrecommendation: /);
    assert.deepEqual(result.left, []);
  });

  it('bad input: one clear message each, exit 2, and nothing left running', { timeout: 60_000 }, async () => {
    const workers = await bench([example('hello/server.js'), '--workers', '0,a', '--duration', '5']);
    assert.equal(workers.code, 2);
    assert.equal(
      workers.stderr,
      'drover: bench --duration: expected a duration of at least 1 s, such as 10s or 1500ms (a bare number is milliseconds), got `5`\n' +
        'bench --workers: expected worker counts separated by commas, such as 1,2,4, got `0,a` [DROVER_E_INVALID_OPTION]\n',
    );

    const closed = await freePort();
    const url = await bench([`http://127.0.0.1:${closed}/`, '--duration', '1s']);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /^drover: nothing answered http:\/\/127\.0\.0\.1:\d+\/ within 5 s: is the server running, and on that address\? \[DROVER_E_BENCH_TARGET\]\n$/);

    const crash = await bench([fixture('throws-on-import.cjs'), '--duration', '1s', '--workers', '1']);
    assert.equal(crash.code, 2);
    assert.match(crash.stderr, /^drover: the app \(one plain process\) exited before it answered \(exit code 1\); its last output:\n[^]*DATABASE_URL is not set[^]*\[DROVER_E_BENCH_TARGET\]\n$/);
    assert.deepEqual(crash.left, []);

    const missing = await bench(['no-such-server.js']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^drover: script not found: no-such-server\.js .*\[DROVER_E_SCRIPT_NOT_FOUND\]\n$/);
  });
});
