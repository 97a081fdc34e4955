import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadApps, type LoadedApps } from '../../src/config/index.js';
import { ROOT } from '../helpers/drover-process.js';

// Every config file under test/fixtures/config/ next to the resolved config it must
// produce (<file>.expected.json, or <file>.<env>.expected.json with --env). Paths in
// the expected files are relative to the fixtures folder. UPDATE_EXPECTED=1 rewrites
// them; read the diff before committing one.

const FIXTURES = `${ROOT}test/fixtures/config/`;

const cases: { file: string; env?: string }[] = [
  { file: 'cjs/ecosystem.config.js' },
  { file: 'cjs/ecosystem.config.js', env: 'production' },
  { file: 'esm-package/ecosystem.config.js' },
  { file: 'mjs/ecosystem.config.mjs' },
  { file: 'json/ecosystem.config.json' },
  { file: 'json5/ecosystem.json5' },
  { file: 'yaml/ecosystem.yaml' },
  { file: 'typescript/drover.config.ts' },
  { file: 'typescript/drover.config.ts', env: 'staging' },
  { file: 'shapes/apps-object.config.js' },
  { file: 'shapes/bare-app.config.js' },
  { file: 'shapes/bare-array.config.js' },
  { file: 'shapes/pm2-key.json' },
  { file: 'shapes/deploy-section.config.js' },
  { file: 'shapes/deploy-section.config.js', env: 'production' },
  { file: 'meanings/ecosystem.config.js' },
  { file: 'meanings/ecosystem.config.js', env: 'production' },
  { file: 'ts-cjs/drover.config.ts' },
  { file: 'options/every-option.config.js', env: 'production' },
  { file: 'options/camel-and-aliases.config.js' },
];

/** The loaded apps with machine-specific paths replaced by <fixtures>. */
function portable(loaded: LoadedApps): unknown {
  const text = JSON.stringify({ file: loaded.file, apps: loaded.apps, origins: loaded.origins, warnings: loaded.warnings });
  return JSON.parse(text.replaceAll(FIXTURES.slice(0, -1), '<fixtures>').replaceAll('test/fixtures/config', '<fixtures>'));
}

describe('config file corpus', () => {
  for (const { file, env } of cases) {
    it(`${file}${env ? ` --env ${env}` : ''}`, async () => {
      const loaded = await loadApps({ target: `${FIXTURES}${file}`, envName: env });
      const expectedFile = `${FIXTURES}${file}${env ? `.${env}` : ''}.expected.json`;
      const actual = portable(loaded);
      if (process.env.UPDATE_EXPECTED === '1' || !existsSync(expectedFile)) {
        writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      }
      assert.deepEqual(actual, JSON.parse(readFileSync(expectedFile, 'utf8')));
    });
  }

  it('--only selects apps by name', async () => {
    const loaded = await loadApps({ target: `${FIXTURES}cjs/ecosystem.config.js`, only: ['worker'] });
    assert.deepEqual(loaded.apps.map((app) => app.name), ['worker']);
  });

  it('command-line options win over the file', async () => {
    const loaded = await loadApps({ target: `${FIXTURES}cjs/ecosystem.config.js`, overrides: { instances: '3', kill_timeout: '1s' } });
    assert.deepEqual(loaded.apps.map((app) => [app.instances, app.exec_mode, app.kill_timeout]), [
      [3, 'cluster', 1000],
      [3, 'cluster', 1000],
    ]);
    assert.equal(loaded.origins[0]!.instances, 'command line');
  });

  it('finds a config file in the current directory when none is named', async () => {
    const loaded = await loadApps({ target: undefined, cwd: `${FIXTURES}yaml` });
    assert.equal(loaded.file?.path, `${FIXTURES}yaml/ecosystem.yaml`);
  });
});
