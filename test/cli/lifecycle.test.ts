import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { example, fixture, runDrover, runningApps, scratchDir } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// The lifecycle PM2 users know: a stopped app stays listed until deleted, a crashed one
// shows errored with why, `start <app>` and `restart <app>` bring it back as it was,
// and `start <config>` with some apps running starts the others.

interface Listed {
  name: string;
  state?: string;
  ended?: { status: string; reason: string; code?: string };
  workers: unknown[];
}

const listed = async (): Promise<Listed[]> => JSON.parse((await runDrover(['ls', '--json'])).stdout) as Listed[];

describe('stopped and errored apps', () => {
  it('stop keeps the app listed; start <app> brings it back at the count it was scaled to; delete forgets it', async () => {
    const port = await freePort();
    assert.equal((await runDrover(['start', example('hello/server.js'), '-i', '1', '--name', 'web'], { env: { PORT: String(port) } })).code, 0);
    const scaled = await runDrover(['scale', 'web', '2']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.equal((await runDrover(['stop', 'web'])).code, 0);

    const ls = await runDrover(['ls']);
    assert.match(ls.stdout, /web\s+-\s+-\s+stopped/);
    assert.match(ls.stdout, /web: stopped .* ago \(stop requested through the control API\); drover start web starts it again, drover delete web forgets it\n/);
    assert.deepEqual((await listed()).map((app) => [app.name, app.state, app.workers.length]), [['web', 'stopped', 0]]);
    assert.equal((await runDrover(['stop', 'web'])).stdout, 'web: already stopped\n');

    // Started again as it was: its arguments, folder and environment (PORT), at the scaled count.
    const again = await runDrover(['start', 'web']);
    assert.equal(again.code, 0, again.stderr);
    const [status] = await runningApps();
    assert.equal(status!.workers.length, 2);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);

    // restart of a stopped app starts it too.
    assert.equal((await runDrover(['stop', 'web'])).code, 0);
    assert.equal((await runDrover(['restart', 'web'])).code, 0);
    assert.equal((await runningApps()).length, 1);

    const deleted = await runDrover(['delete', 'web']);
    assert.match(deleted.stdout, /^web: stopped\ndeleted: web\n/);
    assert.deepEqual(await listed(), []);
    assert.equal((await runDrover(['ls'])).stdout, 'no app is running\n');
  });

  it('an app that gave up shows errored, with the reason; delete forgets a stopped app', async () => {
    const start = await runDrover(['start', fixture('throws-on-import.cjs'), '-i', '1', '--max-restarts', '1', '--name', 'broken']);
    assert.equal(start.code, 3);
    const [app] = await listed();
    assert.equal(app!.state, 'errored');
    assert.equal(app!.ended!.code, 'DROVER_E_CRASH_LOOP');
    assert.match((await runDrover(['ls'])).stdout, /broken: errored .* ago: .*\[DROVER_E_CRASH_LOOP\]; drover start broken starts it again/);
    const deleted = await runDrover(['delete', 'broken']);
    assert.equal(deleted.code, 0);
    assert.equal(deleted.stdout, 'deleted: broken\n');
    assert.deepEqual(await listed(), []);
  });
});

describe('start <config> with some apps running', () => {
  it('starts the others and says which were left alone; with all running it says so and succeeds', async () => {
    const dir = scratchDir('config');
    const [p1, p2] = [await freePort(), await freePort()];
    const config = `${dir}/ecosystem.config.js`;
    writeFileSync(
      config,
      `module.exports = { apps: [
        { name: 'a', script: ${JSON.stringify(example('hello/server.js'))}, env: { PORT: ${p1} } },
        { name: 'b', script: ${JSON.stringify(example('hello/server.js'))}, env: { PORT: ${p2} } },
      ] };\n`,
    );
    assert.equal((await runDrover(['start', config, '--only', 'a'])).code, 0);
    const both = await runDrover(['start', config]);
    assert.equal(both.code, 0, both.stderr);
    assert.match(both.stdout, /^a: already running; left as it is \(drover reload a applies a changed config\)\n/);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['a', 'b']);
    const again = await runDrover(['start', config]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /a: already running[^]*b: already running/);
    assert.equal((await runDrover(['delete', 'all'])).code, 0);
  });
});

describe('start --one-process', () => {
  it("runs the apps' supervisors in one background process; each app still stops, logs and restarts on its own", async () => {
    const dir = scratchDir('one-process');
    const ports = [await freePort(), await freePort(), await freePort()];
    const config = `${dir}/ecosystem.config.js`;
    writeFileSync(config, `module.exports = { apps: ${JSON.stringify(ports.map((port, i) => ({ name: `p${i}`, script: example('hello/server.js'), env: { PORT: port } })))} };\n`);
    const start = await runDrover(['start', config, '--one-process']);
    assert.equal(start.code, 0, start.stderr);
    const apps = await runningApps();
    assert.deepEqual(apps.map((app) => app.name), ['p0', 'p1', 'p2']);
    assert.equal(new Set(apps.map((app) => app.supervisorPid)).size, 1, 'one supervisor process');
    for (const port of ports) assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);

    // One app stops; the others, in the same process, serve on.
    assert.equal((await runDrover(['stop', 'p1'])).code, 0);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['p0', 'p2']);
    assert.equal((await get(`http://127.0.0.1:${ports[2]}/`)).status, 200);
    const logs = await runDrover(['logs', 'p1', '--lines', '50']);
    assert.match(logs.stdout, /p1 drover \| .*\[drover\] p1: 1 worker listening on/);
    assert.doesNotMatch(logs.stdout, /\[drover\] p0:/, "each app's supervisor lines in its own log");
    // Started again on its own, as it was recorded.
    assert.equal((await runDrover(['start', 'p1'])).code, 0);
    assert.notEqual((await runningApps()).find((app) => app.name === 'p1')!.supervisorPid, apps[0]!.supervisorPid);
    assert.equal((await runDrover(['delete', 'all'])).code, 0);
  });
});

describe('starting again what was recorded', () => {
  it('an app named after its command (on PATH) starts again by name, once', async () => {
    const start = await runDrover(['start', 'sleep', '--min-uptime', '200', '--', '300']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await runDrover(['stop', 'sleep'])).code, 0);
    // Its record names `sleep`, which is no file where it was started: still the command, not the app again.
    const again = await runDrover(['start', 'sleep'], { timeoutMs: 20_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['sleep']);
    assert.equal((await runDrover(['delete', 'sleep'])).code, 0);
  });

  it('a server in fork mode is restarted by reload: a new worker could not bind the port beside the old', async () => {
    const port = await freePort();
    assert.equal((await runDrover(['start', example('hello/server.js'), '--exec-mode', 'fork', '-i', '1', '--name', 'forked'], { env: { PORT: String(port) } })).code, 0);
    const [before] = await runningApps();
    const reload = await runDrover(['reload', 'forked']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /^forked: restarted in .*, 1 worker\(s\) \(a server in fork mode/);
    const [after] = await runningApps();
    assert.notEqual(after!.workers[0]!.pid, before!.workers[0]!.pid);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal((await runDrover(['delete', 'forked'])).code, 0);
  });
});
