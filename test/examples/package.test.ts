import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ROOT, scratchDir } from '../helpers/drover-process.js';
import { freePort, get } from '../helpers/http.js';

// What `npm pack` makes installs and runs in an app of its own, elsewhere: the
// `drover` bin on the app's PATH, `import { defineConfig } from 'drover'` in its
// config, and `require('drover/worker')` in its code.

const npm = (args: string[], cwd: string) => {
  const result = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `npm ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

describe('the packed package', () => {
  it('installs into another folder; its bin, main export and worker API work there', { timeout: 180_000 }, async () => {
    const packs = scratchDir('pack');
    // dist/ is built already (npm test builds first): no prepare script here.
    npm(['pack', '--ignore-scripts', '--pack-destination', packs], ROOT);
    const tarball = readdirSync(packs).find((file) => file.endsWith('.tgz'))!;
    const app = scratchDir('app');
    writeFileSync(`${app}/package.json`, JSON.stringify({ name: 'an-app', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', `${packs}/${tarball}`], app);

    writeFileSync(
      `${app}/server.cjs`,
      `const { ready } = require('drover/worker');
       require('node:http').createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1', () => ready());\n`,
    );
    writeFileSync(`${app}/drover.config.js`, `import { defineConfig } from 'drover';\nexport default defineConfig({ apps: [{ name: 'packed', script: 'server.cjs', instances: 2, wait_ready: true }] });\n`);

    const bin = `${app}/node_modules/.bin/drover`;
    const port = await freePort();
    const env = { ...process.env, DROVER_HOME: scratchDir('home'), PORT: String(port) };
    const version = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8' });
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const start = spawnSync(bin, ['start'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(start.status, 0, start.stderr);
    try {
      assert.equal((await get(`http://127.0.0.1:${port}/`)).status, 200);
    } finally {
      const stop = spawnSync(bin, ['delete', 'all'], { cwd: app, env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(stop.status, 0, stop.stderr);
    }
  });
});
