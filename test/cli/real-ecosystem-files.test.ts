import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { example, runDrover, runningApps, scratchDir } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// What real ecosystem files from public repositories do that PM2 7 accepts and drover
// refused or misread (measured on 66 files; see the closing note of issue 12): app
// names with spaces, `autostart: false`, pm2-logrotate's keys written into an app,
// `env_file`, and the same ignored key warned about once per file, not per app.

const HELLO = example('hello/server.js');

function configIn(dir: string, apps: Record<string, unknown>[]): string {
  const file = `${dir}/ecosystem.config.js`;
  writeFileSync(file, `module.exports = { apps: ${JSON.stringify(apps)} };\n`);
  return file;
}

describe('real ecosystem files', () => {
  it('an app named with a space runs, and is stopped by its quoted name', async () => {
    const port = await freePort();
    const file = configIn(scratchDir('spaces'), [{ name: 'NearBy Server', script: HELLO, env: { PORT: port } }]);
    const start = await runDrover(['start', file]);
    assert.equal(start.code, 0, start.stderr);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['NearBy Server']);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    assert.equal((await runDrover(['delete', 'NearBy Server'])).code, 0);
  });

  it('autostart: false is listed stopped and not started; start <app> starts it', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const file = configIn(scratchDir('autostart'), [
      { name: 'web', script: HELLO, env: { PORT: p1 } },
      { name: 'later', script: HELLO, env: { PORT: p2 }, autostart: false },
    ]);
    const start = await runDrover(['start', file]);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^later: not started \(autostart: false\); drover start later starts it\n/);
    assert.deepEqual((await runningApps()).map((app) => app.name), ['web']);
    assert.match((await runDrover(['ls'])).stdout, /later: stopped .*\(autostart: false\)/);
    const later = await runDrover(['start', 'later']);
    assert.equal(later.code, 0, later.stderr);
    assert.equal((await get(`http://127.0.0.1:${p2}/`)).status, 200);
    assert.equal((await runDrover(['delete', 'all'])).code, 0);
  });

  it("pm2-logrotate's keys in an app rotate its logs; env_file and repeated ignored keys get one clear line each", async () => {
    const dir = scratchDir('keys');
    const file = configIn(dir, [
      { name: 'a', script: HELLO, max_size: '10M', retain: 3, env_file: '.env', pmx: false },
      { name: 'b', script: HELLO, pmx: false, source_map_support: true, node_args: '--enable-source-maps' },
    ]);
    const result = await runDrover(['config', file, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const shown = JSON.parse(result.stdout) as { apps: { app: { logs: { rotate_size: number; rotate_keep: number } } }[]; warnings: string[] };
    assert.deepEqual([shown.apps[0]!.app.logs.rotate_size, shown.apps[0]!.app.logs.rotate_keep], [10 * 1024 * 1024, 3]);
    const warnings = shown.warnings.map((line) => line.replace(/^\S+: /, ''));
    assert.deepEqual(warnings, [
      "apps[0].env_file: neither PM2 nor drover reads .env files; drover ignores it; to load one, node_args: '--env-file=.env' (Node.js 20.6+)",
      "apps[0], apps[1].pmx: PM2's APM wrapping; drover ignores it",
    ]);
  });
});
