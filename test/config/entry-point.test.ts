import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadApps, validateAppOptions, type AppOptions } from '../../src/config/index.js';
import { findOnPath } from '../../src/config/which.js';
import { ROOT } from '../helpers/drover-process.js';
import { pm2Env, pm2Resolve } from './pm2-resolve.js';

// What an app's `script` and `interpreter` resolve to, for every entry point PM2
// accepts (test/fixtures/config/entry/), beside what PM2 7's own code makes of the same
// app where the two are meant to agree.

const CONFIG = `${ROOT}test/fixtures/config`;
const ENTRY = `${CONFIG}/entry`;
const inEntry = (file: string) => `${ENTRY}/${file}`;
const app = (input: Record<string, unknown>, baseDir = ENTRY): AppOptions => validateAppOptions(input, { source: 'file', pm2Defaults: true, baseDir });
const run = (a: AppOptions) => ({ script: a.script, interpreter: a.interpreter, args: [...a.args], node_args: [...a.node_args], exec_mode: a.exec_mode, instances: a.instances });

describe('entry points in an ecosystem file', () => {
  it('npm start and npm run <x> run the package script\'s node file directly, with its flags, args and variables', async () => {
    const { apps } = await loadApps({ target: inEntry('ecosystem.config.js'), cwd: ENTRY });
    const byName = new Map(apps.map((a) => [a.name, a]));
    assert.deepEqual(run(byName.get('npm-start')!), {
      script: inEntry('server.js'), interpreter: undefined, args: ['--port', '3000'], node_args: ['--enable-source-maps'], exec_mode: 'fork', instances: 1,
    });
    assert.equal(byName.get('npm-start')!.env.NODE_ENV, 'production');
    assert.deepEqual(run(byName.get('npm-run')!), {
      script: inEntry('jobs/worker.js'), interpreter: undefined, args: ['--verbose'], node_args: ['-r', './preload.cjs'], exec_mode: 'fork', instances: 1,
    });
    assert.equal(byName.get('npm-run')!.env.QUEUE, 'mail');
  });

  it('a package script only a shell can run (&&) or that is not `node <file>` runs as npm itself, in fork mode', async () => {
    const { apps } = await loadApps({ target: inEntry('ecosystem.config.js'), cwd: ENTRY });
    const byName = new Map(apps.map((a) => [a.name, a]));
    const npm = findOnPath('npm');
    assert.deepEqual(run(byName.get('npm-shell')!), { script: npm, interpreter: 'none', args: ['run', 'build'], node_args: [], exec_mode: 'fork', instances: 1 });
    // node --watch restarts by itself: npm runs it, with the two processes asked for.
    assert.deepEqual(run(byName.get('npm-watch')!), { script: npm, interpreter: 'none', args: ['run', 'dev'], node_args: [], exec_mode: 'fork', instances: 2 });
  });

  it('node + args, "node file" in one string, cmd and command: the file, run by Node.js', async () => {
    const { apps } = await loadApps({ target: inEntry('ecosystem.config.js'), cwd: ENTRY });
    const byName = new Map(apps.map((a) => [a.name, a]));
    assert.deepEqual([byName.get('node-args')!.script, [...byName.get('node-args')!.node_args], [...byName.get('node-args')!.args]], [
      inEntry('server.js'), ['--max-old-space-size=256'], ['--port', '4000'],
    ]);
    for (const name of ['node-line', 'cmd-alias', 'command-alias']) assert.deepEqual([byName.get(name)!.script, byName.get(name)!.interpreter], [inEntry('server.js'), undefined]);
    // interpreter: 'node' is Node.js, with drover's runtime: cluster mode as PM2 gives it with instances.
    assert.deepEqual([byName.get('node-interpreter')!.interpreter, byName.get('node-interpreter')!.exec_mode], [undefined, 'cluster']);
  });

  it('interpreter_args go to a non-Node interpreter, and python gets PYTHONUNBUFFERED as under PM2', async () => {
    const { apps } = await loadApps({ target: inEntry('ecosystem.config.js'), cwd: ENTRY });
    const py = apps.find((a) => a.name === 'interpreter-args')!;
    assert.deepEqual(run(py), { script: inEntry('job.py'), interpreter: findOnPath('python3'), args: [], node_args: ['-u'], exec_mode: 'fork', instances: 1 });
    assert.equal(py.env.PYTHONUNBUFFERED, '1');
  });

  it('a #! script of another program, or a binary, runs by itself (interpreter none)', () => {
    assert.deepEqual(run(app({ script: 'tool' })), { script: inEntry('tool'), interpreter: 'none', args: [], node_args: [], exec_mode: 'fork', instances: 1 });
    assert.equal(app({ script: 'report', instances: 'max' }).interpreter, 'none');
    assert.equal(app({ script: 'report', instances: 'max' }).instances, 'max');
  });

  it('drover\'s own defaults (cluster, auto) become one process in fork mode for a non-Node app', () => {
    const py = validateAppOptions({ script: 'job.py' }, { baseDir: ENTRY });
    assert.deepEqual([py.exec_mode, py.instances], ['fork', 1]);
    const node = validateAppOptions({ script: 'server.js' }, { baseDir: ENTRY });
    assert.deepEqual([node.exec_mode, node.instances], ['cluster', 'auto']);
  });
});

describe('the same apps as PM2 7 resolves them', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['a .sh file runs with bash', { script: 'run.sh', instances: 2 }],
    ['a .py file runs with python', { script: 'job.py' }],
    ['an interpreter on PATH, several processes, fork mode', { script: 'job.py', interpreter: 'python3', instances: 3 }],
    ['a binary on PATH runs by itself', { script: 'sh' }],
    ['a Node.js file in cluster mode with instances', { script: 'server.js', instances: 2 }],
  ];
  for (const [title, input] of cases) {
    it(title, () => {
      const pm2 = pm2Resolve(input, ENTRY);
      const ours = app(input);
      assert.equal(ours.script, pm2.script);
      assert.equal(ours.interpreter === undefined ? 'node' : path.basename(ours.interpreter), path.basename(pm2.interpreter));
      assert.deepEqual([ours.exec_mode, ours.instances], [pm2.exec_mode, pm2.instances]);
    });
  }

  it('a folder: the file node loads for it (package.json main)', () => {
    const pm2 = pm2Resolve({ script: 'api' }, ENTRY);
    assert.equal(app({ script: 'api' }).script, createRequire(import.meta.url).resolve(pm2.script));
    assert.equal(app({ script: 'api' }).name, 'api');
  });

  it('a relative cwd and script', () => {
    // PM2 resolves a relative cwd from the directory it runs in (the tests run in ROOT).
    const input = { script: 'server.js', cwd: 'test/fixtures/config/entry' };
    const pm2 = pm2Resolve(input, process.cwd());
    assert.equal(app(input, process.cwd()).script, pm2.script);
  });

  it('a config file in a subfolder whose script is relative to where PM2 runs', async () => {
    const pm2 = pm2Resolve({ script: 'server.js' }, ENTRY);
    const { apps } = await loadApps({ target: 'nested/config/ecosystem.config.js', cwd: ENTRY });
    assert.deepEqual([apps[0]!.script, apps[0]!.cwd], [pm2.script, ENTRY]);
  });

  it('~ in log and pid paths (and cwd) is the home folder', () => {
    const input = { script: 'server.js', out_file: '~/drover-test/out.log', pid_file: '~/drover-test/app.pid' };
    const pm2 = pm2Resolve(input, ENTRY);
    const ours = app(input);
    assert.deepEqual([ours.logs.out_file, ours.pid_file], [pm2.out, pm2.pid]);
    assert.equal(ours.logs.out_file, path.join(homedir(), 'drover-test/out.log'));
    assert.equal(app({ script: inEntry('server.js'), cwd: '~' }).cwd, homedir());
  });

  it('--env: deploy.<env>.env over env, env_<env> over both', async () => {
    const file = `${CONFIG}/shapes/deploy-section.config.js`;
    const config = createRequire(import.meta.url)(file) as { apps: Record<string, unknown>[]; deploy: unknown };
    const pm2 = pm2Env(config.apps[0]!, 'production', config.deploy);
    const { apps } = await loadApps({ target: file, envName: 'production' });
    assert.deepEqual(apps[0]!.env, pm2);
  });
});

describe('--only', () => {
  it('checks only the apps it selects', async () => {
    const { apps } = await loadApps({ target: `${CONFIG}/bad/not-executable.config.js`, only: ['other'] }).catch((error: unknown) => ({ apps: [], error }));
    assert.deepEqual(apps, []);
  });
});
