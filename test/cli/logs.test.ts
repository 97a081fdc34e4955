import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import type { LogRecord } from '../../src/log/line-format.js';
import { DROVER_HOME, DroverProcess, fixture, isAlive, runDrover, runningApps, waitFor } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// `drover logs` on background apps: their files, and the live stream from their supervisors.

const records = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogRecord);

async function startTalker(name: string) {
  const start = await runDrover(['start', fixture('talker.cjs'), '-i', '2', '--name', name], { env: { PORT: String(await freePort()) } });
  assert.equal(start.code, 0, start.stderr);
  return (await runningApps()).find((status) => status.name === name)!;
}

after(async () => {
  await runDrover(['stop', 'all']);
});

describe('drover logs', () => {
  it("a background app's stdout and stderr go to <app>.out.log and .err.log; logs shows them, --err and --json too", async () => {
    const status = await startTalker('talk');
    const out = `${DROVER_HOME}/logs/talk.out.log`;
    await waitFor(() => (readFileSync(out, 'utf8').match(/^out 1 \d+$/gm) ?? []).length >= 10, 10_000, 'lines from worker 1');
    const err = readFileSync(`${DROVER_HOME}/logs/talk.err.log`, 'utf8');
    assert.match(err, /^err [01] \d+$/m);
    assert.doesNotMatch(err, /^out /m, 'stdout and stderr in their own files');
    assert.match(readFileSync(`${DROVER_HOME}/logs/talk.log`, 'utf8'), /\[drover\] talk: 2 workers listening/, "the supervisor's own lines");

    const logs = await runDrover(['logs', 'talk', '--lines', '3']);
    assert.equal(logs.code, 0, logs.stderr);
    const shown = logs.stdout.split('\n').filter(Boolean);
    const count = (stream: string) => shown.filter((line) => line.startsWith(`talk ${stream} | `)).length;
    assert.deepEqual([count('drover'), count('out'), count('err')], [2, 3, 3], "the supervisor's two lines, then three of each stream");
    assert.match(shown.join('\n'), /^talk drover \| \d{4}-\d\d-\d\dT[\d:.]+Z \[drover\] talk: 2 workers listening[^]*^talk out \| out [01] \d+$[^]*^talk err \| err [01] \d+$/m);

    const onlyErr = records((await runDrover(['logs', 'talk', '--lines', '4', '--err', '--json'])).stdout);
    assert.equal(onlyErr.length, 4);
    for (const record of onlyErr) {
      assert.equal(record.stream, 'err');
      assert.equal(record.app, 'talk');
      assert.match(record.msg, /^err [01] \d+$/);
    }

    const unknown = await runDrover(['logs', 'nope']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "drover: no app named 'nope' is running or has logs; there are: 'talk' [DROVER_E_UNKNOWN_APP]\n");
    assert.equal((await runDrover(['stop', 'talk'])).code, 0);
    await waitFor(() => !isAlive(status.supervisorPid), 5000, 'the supervisor to exit');
  });

  it('--follow streams every line live from the supervisor, across a reload and a restart, and ends when the app stops', async () => {
    const status = await startTalker('live');
    const follow = new DroverProcess(['logs', 'live', '--follow', '--lines', '0', '--json']);
    await follow.waitForOutput(/"msg":"out 1 \d+"/);
    assert.equal((await runDrover(['reload', 'live'])).code, 0);
    assert.equal((await runDrover(['restart', 'live'])).code, 0);
    const [after] = (await runningApps()).filter((s) => s.name === 'live');
    const newPids = after!.workers.map((w) => w.pid);
    await follow.waitForOutput(new RegExp(`"pid":${newPids[1]},"stream":"out"`));
    assert.equal((await runDrover(['stop', 'live'])).code, 0);
    assert.deepEqual(await follow.exited, { code: 0, signal: null }, 'follow ends by itself when the supervisor stops');
    assert.match(follow.stderr, /'live': its supervisor stopped; no more lines/);

    const lines = records(follow.stdout);
    const pidsSeen = new Set(lines.filter((r) => r.stream === 'out').map((r) => r.pid));
    for (const pid of [...status.workers.map((w) => w.pid), ...newPids]) assert.ok(pidsSeen.has(pid), `lines from pid ${pid}`);
    assert.ok(pidsSeen.size >= 6, 'the first workers, the reload\'s and the restart\'s');
    for (const record of lines.filter((r) => r.stream === 'out')) {
      assert.match(record.msg, new RegExp(`^out ${record.worker} \\d+$`), 'each line names its worker');
      assert.ok(record.ts && !Number.isNaN(Date.parse(record.ts)));
    }
    const drover = lines.filter((r) => r.stream === 'drover').map((r) => r.msg);
    assert.ok(drover.some((msg) => /live: reload done/.test(msg)), "drover's own lines explain the reload");
    assert.ok(drover.some((msg) => /live: restart: 2 workers/.test(msg)), 'and the restart');
    // Within each worker, its lines arrive in order, none twice.
    for (const pid of pidsSeen) {
      const numbers = lines.filter((r) => r.pid === pid && r.stream === 'out').map((r) => Number(r.msg.split(' ')[2]));
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `pid ${pid} in order`);
      assert.equal(new Set(numbers).size, numbers.length, `pid ${pid} without duplicates`);
    }
  });

  it('a follower that never reads neither grows the supervisor nor keeps it alive after stop', async () => {
    const port = await freePort();
    assert.equal((await runDrover(['start', fixture('chatty.cjs'), '-i', '2', '--name', 'flood'], { env: { PORT: String(port) } })).code, 0);
    const [status] = (await runningApps()).filter((s) => s.name === 'flood');
    // A raw client that asks for the stream and then reads nothing, like a paused pager.
    const reader = net.connect(`${DROVER_HOME}/sockets/flood.sock`);
    reader.write('GET /v1/logs HTTP/1.1\r\nHost: drover\r\n\r\n');
    reader.pause();
    for (const slot of ['0', '1']) {
      for (let i = 0; i < 40 && (await get(`http://127.0.0.1:${port}/write?slot=${slot}&n=10000`)).status !== 200; i++);
    }
    await waitFor(() => (readFileSync(`${DROVER_HOME}/logs/flood.out.log`, 'utf8').match(/^done w\d$/gm) ?? []).length === 2, 20_000, 'both workers to write 10 000 lines');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${status!.supervisorPid}/status`, 'utf8'))![1]) / 1024;
    assert.ok(rss < 150, `supervisor RSS ${rss.toFixed(1)} MB with a stalled reader of 20 000 lines`);
    assert.equal((await runDrover(['stop', 'flood'])).code, 0);
    await waitFor(() => !isAlive(status!.supervisorPid), 10_000, 'the supervisor to exit despite the stalled reader');
    reader.destroy();
  });
});
