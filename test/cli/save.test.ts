import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { DROVER_HOME, example, isAlive, runDrover, runningApps, waitFor } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// save / resurrect / startup systemd.

describe('save and resurrect', () => {
  it('save, kill everything, resurrect: the same apps and counts come back', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    assert.equal((await runDrover(['start', example('hello/server.js'), '-i', '2', '--name', 'one'], { env: { PORT: String(p1) } })).code, 0);
    assert.equal((await runDrover(['start', example('esm/server.mjs'), '-i', '1', '--name', 'two'], { env: { PORT: String(p2) } })).code, 0);
    const before = await runningApps();
    const saved = await runDrover(['save']);
    assert.equal(saved.stdout, `saved 2 app(s) to ${DROVER_HOME}/dump.json: one, two\n`);
    assert.equal(statSync(`${DROVER_HOME}/dump.json`).mode & 0o777, 0o600);

    // A crash of everything: supervisors and workers killed.
    const pids = before.flatMap((status) => [status.supervisorPid, ...status.workers.map((w) => w.pid)]);
    for (const status of before) process.kill(-status.supervisorPid, 'SIGKILL');
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 5000, 'everything killed');

    const resurrected = await runDrover(['resurrect'], { timeoutMs: 60_000 });
    assert.equal(resurrected.code, 0, resurrected.stderr);
    const after = await runningApps();
    assert.deepEqual(after.map((s) => [s.name, s.workers.length]), [
      ['one', 2],
      ['two', 1],
    ]);
    assert.ok(after.every((s) => !pids.includes(s.supervisorPid)), 'new supervisors');
    assert.equal((await runDrover(['resurrect'])).stdout, 'one: already running\ntwo: already running\n');

    // delete: stopped, and forgotten by the saved list; stop keeps it there.
    const deleted = await runDrover(['delete', 'one']);
    assert.equal(deleted.stdout, `one: stopped\ndeleted: one\nremoved from ${DROVER_HOME}/dump.json: one\n`);
    assert.equal((await runDrover(['stop', 'all'])).code, 0);
    const dump = JSON.parse(readFileSync(`${DROVER_HOME}/dump.json`, 'utf8')) as { apps: { name: string }[] };
    assert.deepEqual(dump.apps.map((app) => app.name), ['two']);
  });
});

describe('startup systemd', () => {
  it('prints a unit that resurrects at boot and stops gracefully; systemd-analyze accepts it', async () => {
    const result = await runDrover(['startup', 'systemd']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\[Unit\]\n/);
    assert.match(result.stdout, /\nExecStart=\S+node \S+dist\/cli\/main\.js resurrect\n/);
    assert.match(result.stdout, /\nExecStop=\S+node \S+dist\/cli\/main\.js stop all\n/);
    assert.match(result.stdout, new RegExp(`\\nEnvironment=DROVER_HOME=${DROVER_HOME}\\n`));
    const analyze = spawnSync('systemd-analyze', ['--version']);
    if (analyze.error) return; // Not installed: the text checks above stand.
    const dir = mkdtempSync(`${tmpdir()}/drover-unit-`);
    try {
      writeFileSync(`${dir}/drover-test.service`, result.stdout);
      const verify = spawnSync('systemd-analyze', ['verify', `${dir}/drover-test.service`], { encoding: 'utf8' });
      assert.equal(verify.status, 0, verify.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('another init system: a clear error', async () => {
    const result = await runDrover(['startup', 'upstart']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /startup: 'upstart' is not supported; drover writes systemd units/);
  });
});
