import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ROOT, runDrover, runningApps, scratchDir } from '../helpers/drover-process.js';
import { freePort, get, keepAliveLoad } from '../helpers/http.js';

// Config changes without downtime: `drover reload <config>` applies the file's new
// options with a rolling reload (and a scale where the count changed), and starts its
// apps that are not running; `--update-env` puts the shell's environment under them.

const APP = `${ROOT}test/fixtures/config/app.cjs`;

function writeConfig(file: string, apps: Record<string, unknown>[]): void {
  writeFileSync(file, `module.exports = { apps: ${JSON.stringify(apps)} };\n`);
}

const greeting = async (port: number) => (JSON.parse((await get(`http://127.0.0.1:${port}/`)).body) as { greeting?: string }).greeting;

describe('drover reload <config>', () => {
  it('applies changed env and instances with 0 failed requests, and starts the apps not running yet', async () => {
    const dir = scratchDir('reload-config');
    const config = `${dir}/ecosystem.config.js`;
    const [pa, pb] = [await freePort(), await freePort()];
    const a = { name: 'a', script: APP, instances: 2, exec_mode: 'cluster', env: { PORT: pa, GREETING: 'one' } };
    writeConfig(config, [a]);
    assert.equal((await runDrover(['start', config])).code, 0);
    assert.equal(await greeting(pa), 'one');

    writeConfig(config, [{ ...a, instances: 3, env: { PORT: pa, GREETING: 'two' } }, { name: 'b', script: APP, env: { PORT: pb, GREETING: 'bee' } }]);
    const load = keepAliveLoad(`http://127.0.0.1:${pa}/`, 8);
    const reload = await runDrover(['reload', config], { timeoutMs: 60_000 });
    const tally = await load.stop();
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /^a: config applied \(instances, env\), reloaded in .*, 2 worker\(s\) replaced, scaled from 2 to 3\nstarting b\n/);
    assert.equal(tally.failed, 0, tally.failures.join('\n'));
    assert.ok(tally.ok > 0);
    assert.equal(await greeting(pa), 'two');
    assert.equal(await greeting(pb), 'bee');
    assert.deepEqual((await runningApps()).map((app) => [app.name, app.workers.length]), [['a', 3], ['b', 1]]);
    const timeline = JSON.parse((await runDrover(['describe', 'a', '--json'])).stdout) as { events: { kind: string; detail: string }[] };
    assert.ok(timeline.events.some((event) => event.kind === 'config-updated' && event.detail === 'config updated (instances, env): reloading'));

    // What a running supervisor cannot change is refused, naming it; nothing is touched.
    writeConfig(config, [{ ...a, exec_mode: 'fork', env: { PORT: pa, GREETING: 'two' } }]);
    const refused = await runDrover(['reload', config, '--only', 'a']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a: exec_mode changed, which a running supervisor cannot apply; stop the app and start it again: drover stop 'a', then drover start 'a' \(it reads its config again\) \[DROVER_E_INVALID_OPTION\]/);
    assert.equal(await greeting(pa), 'two');
    assert.equal((await runDrover(['delete', 'all'])).code, 0);
  });

  it('reload <app> --update-env starts the workers with the shell environment; a plain reload keeps theirs', async () => {
    const port = await freePort();
    assert.equal((await runDrover(['start', APP, '-i', '1', '--name', 'envy'], { env: { PORT: String(port), GREETING: 'one' } })).code, 0);
    assert.equal((await runDrover(['reload', 'envy'], { env: { GREETING: 'ignored' } })).code, 0);
    assert.equal(await greeting(port), 'one');
    const updated = await runDrover(['reload', 'envy', '--update-env'], { env: { PORT: String(port), GREETING: 'two' } });
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /envy: config applied \(environment\), reloaded in/);
    assert.equal(await greeting(port), 'two');
    assert.equal((await runDrover(['delete', 'envy'])).code, 0);
  });
});
