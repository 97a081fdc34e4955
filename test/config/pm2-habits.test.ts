import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT, runDrover } from '../helpers/drover-process.js';

// PM2 habits on drover's command line, through `drover config --json`: the apps as
// `drover run` and `start` would get them.

const CONFIG = 'test/fixtures/config';
const ENTRY = `${CONFIG}/entry`;

interface Shown {
  apps: { app: Record<string, unknown> & { logs: Record<string, unknown>; env: Record<string, string> } }[];
  warnings: string[];
}

async function config(args: string[]): Promise<Shown> {
  const result = await runDrover(['config', '--json', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Shown;
}

describe('entry points on the command line', () => {
  it('drover start npm -- start runs the start script\'s node file, clustered', async () => {
    const { app } = (await config(['npm', '--cwd', ENTRY, '--', 'start'])).apps[0]!;
    assert.deepEqual([app.name, app.script, app.interpreter, app.args, app.node_args, app.exec_mode, app.instances], [
      'npm', `${ROOT}${ENTRY}/server.js`, undefined, ['--port', '3000'], ['--enable-source-maps'], 'cluster', 'auto',
    ]);
  });

  it('drover start "node server.js" runs server.js', async () => {
    const { app } = (await config(['node server.js --verbose', '--cwd', ENTRY])).apps[0]!;
    assert.deepEqual([app.name, app.script, app.interpreter, app.args], ['server', `${ROOT}${ENTRY}/server.js`, undefined, ['--verbose']]);
  });

  it('--interpreter and --interpreter-args', async () => {
    const { app } = (await config([`${ENTRY}/job.py`, '--interpreter', 'python3', '--interpreter-args', '-u -B'])).apps[0]!;
    assert.match(String(app.interpreter), /\/python3$/);
    assert.deepEqual([app.node_args, app.exec_mode, app.instances], [['-u', '-B'], 'fork', 1]);
  });

  it('an interpreter that is not installed: one message naming the flag', async () => {
    const result = await runDrover(['config', `${ENTRY}/job.py`, '--interpreter', 'no-such-interpreter-9f3']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^drover: --interpreter: 'no-such-interpreter-9f3' is not on PATH; .*\[DROVER_E_SCRIPT_NOT_FOUND\]\n$/);
  });

  it('--only checks only the apps it selects', async () => {
    const { apps } = await config([`${CONFIG}/bad/cluster-python.config.js`, '--only', 'py']).catch(() => ({ apps: [] }));
    assert.deepEqual(apps, []);
    const shown = await config([`${ENTRY}/ecosystem.config.js`, '--only', 'node-line']);
    assert.deepEqual(shown.apps.map(({ app }) => app.name), ['node-line']);
  });
});

describe('log and restart flags', () => {
  it('-o, -e, -l, --merge-logs, --time', async () => {
    const { app } = (await config([`${CONFIG}/app.cjs`, '-o', 'out.log', '-e', 'err.log', '-l', 'all.log', '--merge-logs', '--time'])).apps[0]!;
    assert.deepEqual(app.logs, {
      out_file: `${ROOT}out.log`, error_file: `${ROOT}err.log`, log_file: `${ROOT}all.log`, merge_logs: true, date_format: 'ISO',
      json: false, rotate_daily: false, rotate_keep: 5, compress: false, worker_prefix: false,
    });
  });

  it('--no-autorestart sets autorestart false; without it, the config file\'s value stands', async () => {
    const file = `${CONFIG}/meanings/autorestart.config.js`;
    assert.deepEqual((await config([file])).apps.map(({ app }) => app.autorestart), [false, true]);
    assert.deepEqual((await config([file, '--no-autorestart'])).apps.map(({ app }) => app.autorestart), [false, false]);
  });
});

describe('config files that are programs', () => {
  it('what a config file prints while loading goes to stderr, not into --json', async () => {
    const result = await runDrover(['config', `${CONFIG}/ts-cjs/drover.config.ts`, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as Shown).apps[0]!.app.name, 'a');
    assert.match(result.stderr, /hello from config/);
  });
});
