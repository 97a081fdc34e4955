import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { describe, it } from 'node:test';
import { DroverProcess, ROOT, fixture, runDrover, scratchDir } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad, type Reply } from '../helpers/http.js';

// reload_strategy: surge. Every new worker must be up and pass the app's health check
// before any old one drains, and takes traffic only then; if any fails, the reload
// rolls back and the old workers never stop serving. Real supervisors, real workers,
// real clients; the fixture's scratch folder plays the part of a deploy.

interface Answer {
  pid: number;
  instance: string;
  version: string;
}

async function startSurging(extra: string[] = []) {
  const port = await freePort();
  const dir = scratchDir('surge');
  const drover = new DroverProcess(['run', fixture('reloadable.cjs'), '-i', '2', '--name', 'app', '--reload-strategy', 'surge', ...extra], {
    env: { PORT: String(port), STATE_DIR: dir },
  });
  await drover.waitUntilListening();
  return { drover, url: `http://127.0.0.1:${port}/`, dir };
}

/** Reload under load from 8 clients, a new connection per request, noting every answer. */
async function reloadUnderLoad(drover: DroverProcess, url: string) {
  const answers: Answer[] = [];
  const load = keepAliveLoad(url, 8, { keepAlive: false, onAnswer: (reply: Reply) => answers.push(reply.json<Answer>()) });
  await new Promise((resolve) => setTimeout(resolve, 200));
  drover.signal('SIGUSR2');
  await drover.waitForOutput(/reload (done|rolled back|stopped)/, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const tally = await load.stop();
  return { tally, answers };
}

async function pids(url: string): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < 20; i++) seen.add((await get(url)).json<Answer>().pid);
  return seen;
}

describe('surge reload', () => {
  it('a new version that throws at start: rolled back, the old pids still serve, 0 failed requests under load', async () => {
    const { drover, url, dir } = await startSurging();
    const before = await pids(url);
    writeFileSync(`${dir}/broken`, '');
    const { tally, answers } = await reloadUnderLoad(drover, url);
    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.ok(tally.ok > 20, `requests served: ${tally.ok}`);
    assert.match(
      drover.stderr,
      /app: reload rolled back after [\d.]+ m?s: the new worker \d \(pid \d+\) crashed on start with exit code 1 after [\d.]+ m?s: Error: bad deploy: config\.json is missing \(fixture\)\. Every new worker was stopped; the old ones never stopped serving \(pids \d+, \d+\)/,
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.pid)), before, 'only the old workers answered');
    assert.deepEqual(await pids(url), before);
    assert.doesNotMatch(drover.stderr, /crash loop|restarting in/, 'a failed new worker is not a crash of the app');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a new version whose health check fails in one slot: rolled back with the check\'s reason; the new workers never took a request', async () => {
    const { drover, url, dir } = await startSurging(['--listen-timeout', '2000']);
    const before = await pids(url);
    writeFileSync(`${dir}/version`, 'v2');
    writeFileSync(`${dir}/unhealthy`, '1');
    const { tally, answers } = await reloadUnderLoad(drover, url);
    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.match(drover.stderr, /reload rolled back after [\d.]+ m?s: the new worker 1 \(pid \d+\) failed its health check: database unreachable \(fixture\)\./);
    // The healthy new worker of slot 0 listened, but the balancer gave it nothing: no mixed versions.
    assert.deepEqual(new Set(answers.map((answer) => answer.version)), new Set(['v1']));
    assert.deepEqual(await pids(url), before);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a good new version: every slot switches at once, 0 failed requests, and once v2 has answered v1 never answers a new connection again', async () => {
    const { drover, url, dir } = await startSurging();
    const before = await pids(url);
    writeFileSync(`${dir}/version`, 'v2');
    const { tally, answers } = await reloadUnderLoad(drover, url);
    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.match(drover.stdout, /reload: replacing 2 workers, all at once, each up and healthy before any old one drains \(surge\)/);
    assert.match(drover.stdout, /reload done in [\d.]+ m?s: 2 workers replaced/);
    const firstV2 = answers.findIndex((answer) => answer.version === 'v2');
    assert.ok(firstV2 !== -1, 'v2 answered');
    // Answers are noted as they complete: a v1 request already in flight at the switch may finish just after it.
    const lateV1 = answers.slice(firstV2 + 16).filter((answer) => answer.version === 'v1');
    assert.equal(lateV1.length, 0, `v1 answered ${lateV1.length} new connections after the switch`);
    const after = await pids(url);
    assert.equal(after.size, 2);
    assert.ok([...after].every((pid) => !before.has(pid)), 'every slot has a new pid');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it("Express whose health check connects to its database: a deploy with a wrong database port rolls back, the next one with the right port goes through", async () => {
    const database = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
    const dbPort = (database.address() as net.AddressInfo).port;
    const port = await freePort();
    const dir = scratchDir('surge-express');
    writeFileSync(`${dir}/db-port`, String(dbPort));
    const drover = new DroverProcess(['run', `${ROOT}test/fixtures/frameworks/express-health.cjs`, '-i', '2', '--reload-strategy', 'surge', '--listen-timeout', '5000'], {
      env: { PORT: String(port), STATE_DIR: dir },
    });
    try {
      await drover.waitUntilListening();
      const url = `http://127.0.0.1:${port}/`;
      const before = await pids(url);
      // Port 1 on loopback: nothing listens there.
      writeFileSync(`${dir}/db-port`, '1');
      const bad = await reloadUnderLoad(drover, url);
      assert.equal(bad.tally.failed, 0, bad.tally.failures.slice(0, 5).join('; '));
      assert.match(drover.stderr, /reload rolled back after [\d.]+ m?s: the new worker \d \(pid \d+\) failed its health check: database 127\.0\.0\.1:1: ECONNREFUSED\./);
      assert.deepEqual(await pids(url), before);
      writeFileSync(`${dir}/db-port`, String(dbPort));
      drover.signal('SIGUSR2');
      await drover.waitForOutput(/reload done in/, 20_000);
      const after = await pids(url);
      assert.ok([...after].every((pid) => !before.has(pid)), 'the good deploy replaced every worker');
      drover.signal('SIGTERM');
      assert.equal((await drover.exited).code, 0);
    } finally {
      database.close();
    }
  });

  it('`drover reload --json` says rolled back, with the cause; surge in fork mode is refused with the fix', async () => {
    const port = await freePort();
    const dir = scratchDir('surge-start');
    const env = { PORT: String(port), STATE_DIR: dir };
    const started = await runDrover(['start', fixture('reloadable.cjs'), '-i', '2', '--name', 'surger', '--reload-strategy', 'surge'], { env });
    assert.equal(started.code, 0, started.output);
    try {
      writeFileSync(`${dir}/broken`, '');
      const reload = await runDrover(['reload', 'surger', '--json'], { env });
      assert.equal(reload.code, 1);
      const [result] = JSON.parse(reload.stdout) as { name: string; ok: boolean; rolledBack?: boolean; failure: { why: string } }[];
      assert.equal(result!.ok, false);
      assert.equal(result!.rolledBack, true);
      assert.match(result!.failure.why, /crashed on start .*bad deploy/);
      const plain = await runDrover(['reload', 'surger'], { env });
      assert.match(plain.stdout, /surger: reload rolled back: the new worker \d crashed on start .*; every new worker was stopped, the old ones kept serving/);
      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    } finally {
      await runDrover(['delete', 'surger']);
    }
    const fork = await runDrover(['run', fixture('reloadable.cjs'), '--name', 'forked', '--reload-strategy', 'surge', '--exec-mode', 'fork'], { env });
    assert.equal(fork.code, 2);
    assert.match(fork.stderr, /--reload-strategy: 'surge' starts every new worker beside the old ones, which cluster mode allows; .*set exec_mode: 'cluster'/);
    const unknown = await runDrover(['run', fixture('reloadable.cjs'), '--reload-strategy', 'blue-green'], { env });
    assert.match(unknown.stderr, /reload-strategy.*expected 'rolling' or 'surge'/);
  });
});
