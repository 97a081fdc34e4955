import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, describe, it } from 'node:test';
import { ROOT, runDrover } from '../helpers/drover-process.js';

// `drover config` prints what `drover run` would run; TypeScript needs no loader setup.

describe('drover config', () => {
  it('prints the resolved apps with sources, and masks secrets', async () => {
    const result = await runDrover(['config', 'test/fixtures/config/options/every-option.config.js', '--env', 'production']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^test\/fixtures\/config\/options\/every-option\.config\.js \(PM2 ecosystem file: PM2's defaults for instances and exec_mode\)\n/);
    assert.match(result.stdout, /app 'every-production': 2 workers: instances: 2\n/);
    assert.match(result.stdout, /\n {2}kill_timeout {15}1600 \(1\.6 s\) +config file\n/);
    assert.match(result.stdout, /\n {2}listen_timeout {13}4000 \(4 s\) +config file\n/);
    assert.match(result.stdout, /\n {2}max_restarts {15}5 +config file\n/);
    assert.match(result.stdout, /API_TOKEN=\*\*\*\*\*\*\*\*/);
    assert.doesNotMatch(result.stdout, /abc/);
    assert.match(result.stdout, /warning: .*apps\[0\]\.pmx: PM2's APM wrapping; drover ignores it/);
  });

  it('--json for machines', async () => {
    const result = await runDrover(['config', 'test/fixtures/config/cjs/ecosystem.config.js', '--env', 'production', '--json', '-i', '3']);
    assert.equal(result.code, 0);
    const json = JSON.parse(result.stdout) as {
      file: { path: string; kind: string };
      apps: { app: { name: string; env: Record<string, string>; exec_mode: string }; origins: Record<string, string>; workers: { count: number } }[];
    };
    assert.equal(json.file.kind, 'pm2');
    assert.deepEqual(
      json.apps.map((a) => [a.app.name, a.app.env.NODE_ENV, a.app.exec_mode, a.workers.count, a.origins.instances]),
      [
        ['api', 'production', 'cluster', 3, 'command line'],
        ['worker', undefined, 'cluster', 3, 'command line'],
      ],
    );
  });

  it('a script works too, with drover defaults', async () => {
    const result = await runDrover(['config', 'examples/hello/server.js', '--json']);
    const json = JSON.parse(result.stdout) as { file: null; apps: { app: { instances: string; exec_mode: string } }[] };
    assert.equal(json.file, null);
    assert.deepEqual([json.apps[0]!.app.instances, json.apps[0]!.app.exec_mode], ['auto', 'cluster']);
  });
});

describe('TypeScript scripts', () => {
  const dir = mkdtempSync(`${tmpdir()}/drover-ts-`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run with the project\'s tsx, added automatically', async () => {
    const result = await runDrover(['config', 'examples/typescript/server.ts', '--json']);
    const json = JSON.parse(result.stdout) as { apps: { app: { node_args: string[] } }[] };
    assert.deepEqual(json.apps[0]!.app.node_args, ['--import', `file://${ROOT}node_modules/tsx/dist/loader.mjs`]);
  });

  it('without type stripping or tsx: a clear error saying which to add', async () => {
    writeFileSync(`${dir}/server.ts`, 'const port: number = 3000;\nconsole.log(port);\n');
    const result = await runDrover(['run', `${dir}/server.ts`]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `drover: ${dir}/server.ts: Node.js ${process.version} cannot run TypeScript by itself: install tsx in the project ` +
        '(npm install --save-dev tsx), or use Node.js 22.6 or newer, which strips types [DROVER_E_TYPESCRIPT_UNSUPPORTED]\n',
    );
  });
});
