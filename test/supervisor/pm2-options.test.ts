import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { DroverProcess, runDrover } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// PM2's app options, run for real from test/fixtures/config/runtime/ecosystem.config.js.

const CONFIG = 'test/fixtures/config/runtime/ecosystem.config.js';
const dir = mkdtempSync(`${tmpdir()}/drover-pm2-options-`);
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(app: string) {
  const port = await freePort();
  const drover = new DroverProcess(['run', CONFIG, '--only', app], { env: { TEST_PORT: String(port), TEST_DIR: dir } });
  return { drover, port };
}

const today = () => {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
};

describe('PM2 options', () => {
  it('out_file and error_file: one file per worker, lines behind log_date_format', async () => {
    const { drover } = await start('logs');
    await drover.waitUntilListening();
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    for (const slot of [0, 1]) {
      assert.equal(readFileSync(`${dir}/logs/out-${slot}.log`, 'utf8'), [1, 2, 3].map((i) => `at ${today()}: out ${i}\n`).join(''));
      assert.equal(readFileSync(`${dir}/logs/err-${slot}.log`, 'utf8'), [1, 2, 3].map((i) => `at ${today()}: err ${i}\n`).join(''));
    }
    assert.doesNotMatch(drover.stdout, /out 1/, 'logged lines do not go to the console');
  });

  it('log_file with log_type json; out and err discarded with /dev/null and NULL', async () => {
    const { drover } = await start('json-logs');
    await drover.waitUntilListening();
    drover.signal('SIGTERM');
    await drover.exited;
    const lines = readFileSync(`${dir}/combined.log`, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.stream, l.app, l.worker]).sort(),
      [
        ['err 1', 'err', 'json-logs', 0],
        ['out 1', 'out', 'json-logs', 0],
      ],
    );
    assert.ok(lines.every((l) => typeof l.ts === 'string' && typeof l.pid === 'number'));
  });

  it('autorestart: false: a worker that exits is not restarted, and run fails with its exit code', async () => {
    const port = await freePort();
    const result = await runDrover(['run', CONFIG, '--only', 'no-autorestart'], { env: { TEST_PORT: String(port), TEST_DIR: dir } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /worker 0 \(pid \d+\) exited with exit code 4 after [\d.]+ s; not restarted: autorestart is off/);
    assert.match(result.stderr, /the app's last worker exited with exit code 4 and was not restarted \[DROVER_E_WORKER_EXITED\]/);
  });

  it('stop_exit_codes: an exit with a listed code is final, and a clean one ends run with 0', async () => {
    const port = await freePort();
    const result = await runDrover(['run', CONFIG, '--only', 'stop-code'], { env: { TEST_PORT: String(port), TEST_DIR: dir } });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /exited with exit code 0 after [\d.]+ s; not restarted: exit code 0 is in stop_exit_codes/);
  });

  it("wait_ready: the app counts as up when it sends 'ready'", async () => {
    const { drover } = await start('wait-ready');
    await drover.waitForOutput(/wait-ready: 2 workers ready, listening on http:\/\/127\.0\.0\.1:\d+/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it("wait_ready: one that never sends 'ready' gets a warning at listen_timeout", async () => {
    const { drover } = await start('never-ready');
    await drover.waitForOutput(/worker 0 \(pid \d+\) is not ready \(no process\.send\('ready'\) yet\) after 400 ms; still waiting/);
    drover.signal('SIGTERM');
    await drover.exited;
  });

  it("shutdown_with_message: the app receives 'shutdown' when the drain begins", async () => {
    const { drover } = await start('shutdown-message');
    await drover.waitUntilListening();
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.match(drover.stdout, /got shutdown message/);
  });

  it('pid_file: one per worker while it runs, removed when it exits', async () => {
    const { drover, port } = await start('pid-file');
    await drover.waitUntilListening();
    const pids = [0, 1].map((slot) => Number(readFileSync(`${dir}/app-${slot}.pid`, 'utf8')));
    const served = new Set<number>();
    for (let i = 0; i < 10 && served.size < 2; i++) served.add(Number((await get(`http://127.0.0.1:${port}/`)).body));
    assert.deepEqual([...served].sort(), [...pids].sort());
    drover.signal('SIGTERM');
    await drover.exited;
    assert.ok(!existsSync(`${dir}/app-0.pid`) && !existsSync(`${dir}/app-1.pid`));
  });

  it('restart_delay without a backoff: a fixed delay between restarts', async () => {
    const port = await freePort();
    const result = await runDrover(['run', CONFIG, '--only', 'fixed-delay'], { env: { TEST_PORT: String(port), TEST_DIR: dir } });
    assert.equal(result.code, 3);
    assert.deepEqual([...result.stderr.matchAll(/restarting in (\d+) ms/g)].map((m) => m[1]), ['300', '300']);
  });

  it('a log file that cannot be written: one clear error before anything starts', async () => {
    const port = await freePort();
    // A file where the log folder should be: no user, root included, can create it.
    writeFileSync(`${dir}/not-a-dir`, '');
    const result = await runDrover(['run', CONFIG, '--only', 'bad-log-dir'], { env: { TEST_PORT: String(port), TEST_DIR: dir } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^drover: bad-log-dir: cannot write the log file \S+\/not-a-dir\/out\.log: E[A-Z]+: .* \[DROVER_E_LOG_FILE\]\n$/);
    assert.equal(result.stdout, '', 'no app started');
  });

  it('--only with an unknown app lists the apps the file has', async () => {
    const result = await runDrover(['run', CONFIG, '--only', 'nope'], { env: { TEST_PORT: '1', TEST_DIR: dir } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--only: 'nope' not in test\/fixtures\/config\/runtime\/ecosystem\.config\.js; its apps are 'logs', 'json-logs', /);
  });
});
