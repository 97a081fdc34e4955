import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ignoreMatcher } from '../../src/supervisor/triggers/file-watch.js';
import { DroverProcess, runDrover, runningApps, scratchDir, timelineOf, waitForEvents } from '../helpers/drover-process.js';
import { freePort, keepAliveLoad } from '../helpers/http.js';

// watch and cron_restart with a real supervisor (`drover run` in the background) and
// real workers: a change or a cron time replaces the workers (a rolling reload in
// cluster mode, a restart in fork mode), with the reason on the timeline.

// A plain server in a scratch folder, which is the app's cwd and what `--watch` watches.
function appFolder(): string {
  const dir = scratchDir('watch');
  writeFileSync(path.join(dir, 'server.js'), "require('node:http').createServer((req, res) => res.end(String(process.pid))).listen(process.env.PORT);\n");
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'src', 'a.js'), '1\n');
  return dir;
}

async function start(name: string, flags: string[]) {
  const dir = appFolder();
  const port = await freePort();
  const drover = new DroverProcess(['run', 'server.js', '--name', name, ...flags], { cwd: dir, env: { PORT: String(port) } });
  await drover.waitUntilListening();
  if (flags.includes('--watch')) await drover.waitForOutput(/watching /);
  return { drover, dir, url: `http://127.0.0.1:${port}/` };
}

async function workerPids(name: string): Promise<number[]> {
  const app = (await runningApps()).find((status) => status.name === name);
  return (app?.workers ?? []).map((worker) => worker.pid).sort();
}

const reloadsOf = async (name: string) => (await timelineOf(name)).filter((event) => event.kind === 'reload-started');

describe('watch', () => {
  it("watch_options (PM2's, passed to chokidar): polling, as network and container mounts need, sees a change", async () => {
    const dir = appFolder();
    const port = await freePort();
    writeFileSync(
      path.join(dir, 'ecosystem.config.js'),
      `module.exports = { apps: [{ name: 'polled', script: 'server.js', watch: ['src'], watch_options: { usePolling: true, interval: 100 }, env: { PORT: ${port} } }] };\n`,
    );
    const drover = new DroverProcess(['run', 'ecosystem.config.js'], { cwd: dir });
    await drover.waitUntilListening();
    await drover.waitForOutput(/watching /);
    const before = await workerPids('polled');
    writeFileSync(path.join(dir, 'src', 'a.js'), '2\n');
    await drover.waitForOutput(/restart \(file changed: src\/a\.js\)/, 15_000);
    let after = before;
    for (let i = 0; i < 100 && (after.length === 0 || after[0] === before[0]); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await workerPids('polled');
    }
    assert.notDeepEqual(after, before, 'a new worker after the change');
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('cluster mode: a change reloads every worker under keep-alive load with no failed request; a change in an ignored folder does nothing', async () => {
    const { drover, dir, url } = await start('watched', ['-i', '2', '--watch', '--ignore-watch', 'tmp', '--watch-delay', '200']);
    const before = await workerPids('watched');
    const load = keepAliveLoad(url, 8);
    mkdirSync(path.join(dir, 'tmp'));
    writeFileSync(path.join(dir, 'tmp', 'ignored.js'), 'x\n');
    mkdirSync(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'node_modules', 'dep.js'), 'x\n');
    writeFileSync(path.join(dir, 'src', 'a.js'), '2\n');
    await drover.waitForOutput(/reload done/, 15_000);
    const tally = await load.stop();

    assert.equal(tally.failed, 0, tally.failures.slice(0, 5).join('; '));
    assert.ok(tally.ok > 0);
    const after = await workerPids('watched');
    assert.equal(after.length, 2);
    assert.ok(after.every((pid) => !before.includes(pid)), `new workers: ${before} -> ${after}`);
    // The ignored changes came first: had either counted, it would be in this reload or one before it.
    const reloads = await reloadsOf('watched');
    assert.deepEqual(reloads.map((event) => event.detail), ['reload of 2 worker(s), 1 at a time (file changed: src/a.js)']);
    assert.match(drover.output, /reload \(file changed: src\/a\.js\): replacing 2 workers/);

    // The watcher and its timers do not keep the supervisor alive.
    drover.signal('SIGTERM');
    assert.deepEqual(await drover.exited, { code: 0, signal: null });
    assert.deepEqual(drover.groupPids(), []);
  });

  it('several quick changes make one reload, and a later change another', async () => {
    const { drover, dir } = await start('burst', ['-i', '2', '--watch', 'src', '--watch-delay', '500']);
    for (const name of ['b.js', 'c.js', 'd.js']) writeFileSync(path.join(dir, 'src', name), 'x\n');
    writeFileSync(path.join(dir, 'src', 'a.js'), '2\n');
    await drover.waitForOutput(/reload done/, 15_000);
    writeFileSync(path.join(dir, 'src', 'e.js'), 'x\n');
    await waitForEvents('burst', 'reload-started', /file changed: src\/e\.js/, 1, 15_000);

    const reloads = (await reloadsOf('burst')).map((event) => event.detail);
    assert.equal(reloads.length, 2, reloads.join('\n'));
    assert.match(reloads[0]!, /\(4 files changed: src\/\w\.js, src\/\w\.js and 2 more\)$/);
    assert.match(reloads[1]!, /\(file changed: src\/e\.js\)$/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('fork mode: a change restarts the app (a new process)', async () => {
    const { drover, dir } = await start('forked', ['--exec-mode', 'fork', '-i', '1', '--watch']);
    const [before] = await workerPids('forked');
    writeFileSync(path.join(dir, 'src', 'a.js'), '2\n');
    await waitForEvents('forked', 'restart', /restart of 1 worker\(s\) \(file changed: src\/a\.js\)/, 1, 15_000);
    await drover.waitForOutput(/restart \(file changed: src\/a\.js\): 1 worker/);
    await waitForEvents('forked', 'listening', /listening/, 2, 15_000);
    const [after] = await workerPids('forked');
    assert.ok(after !== undefined && after !== before, `new process: ${before} -> ${after}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});

describe('cron_restart', () => {
  it('a seconds pattern reloads the workers at its times, with the pattern as the reason', async () => {
    const { drover } = await start('cron', ['-i', '2', '--cron-restart', '*/2 * * * * *']);
    const before = await workerPids('cron');
    await drover.waitForOutput(/cron_restart '\*\/2 \* \* \* \* \*': a rolling reload at each match, next at /);
    await waitForEvents('cron', 'reload-finished', /reload done/, 1, 15_000);
    const reloads = await reloadsOf('cron');
    assert.match(reloads[0]!.detail, /\(cron_restart \*\/2 \* \* \* \* \*\)$/);
    const after = await workerPids('cron');
    assert.ok(after.some((pid) => !before.includes(pid)), `new workers: ${before} -> ${after}`);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });

  it('a bad pattern is refused at start, naming the field, what was expected and why', async () => {
    const dir = appFolder();
    const result = await runDrover(['run', path.join(dir, 'server.js'), '--cron-restart', '61 * * * *']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--cron-restart: expected a cron pattern like '0 4 \* \* \*' .*: invalid value for minute: 61, got '61 \* \* \* \*'/);
    assert.deepEqual(result.leftover, []);

    writeFileSync(path.join(dir, 'ecosystem.config.js'), "module.exports = { apps: [{ script: 'server.js', cron: 'every day' }] };\n");
    const fromFile = await runDrover(['config', path.join(dir, 'ecosystem.config.js')]);
    assert.equal(fromFile.code, 2);
    assert.match(fromFile.stderr, /apps\[0\]\.cron: expected a cron pattern like .*exactly five, six, or seven space separated parts are required, got 'every day'/);
  });
});

describe('the flags as PM2 users type them', () => {
  it('--watch=paths, --ignore-watch and --cron (PM2\'s spelling of --cron-restart) reach the options', async () => {
    const dir = appFolder();
    const flags = ['--watch=src,lib', '--ignore-watch', 'tmp,*.{log,tmp}', '--watch-delay', '1s', '--cron', '0 4 * * *', '--json'];
    const result = await runDrover(['config', path.join(dir, 'server.js'), '--cwd', dir, ...flags]);
    assert.equal(result.code, 0, result.stderr);
    const [app] = (JSON.parse(result.stdout) as { apps: { app: { watch: unknown; cron_restart: string } }[] }).apps.map((entry) => entry.app);
    assert.deepEqual(app!.watch, { paths: [path.join(dir, 'src'), path.join(dir, 'lib')], ignore: ['node_modules', '.git', 'tmp', '*.{log,tmp}'], delayMs: 1000, chokidar: {} });
    assert.equal(app!.cron_restart, '0 4 * * *');
  });

  it('--watch before the script, which commander takes for the paths: says to put it after', async () => {
    const result = await runDrover(['run', '--watch', 'server.js']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--watch: took 'server\.js' as the paths to watch, and no script was left; put --watch after the script \(drover run server\.js --watch\)/);
  });
});

describe('what watch ignores', () => {
  const cwd = '/srv/app';
  const logs = { out_file: '/srv/app/logs/out.log', error_file: undefined, log_file: undefined } as Parameters<typeof ignoreMatcher>[0]['logs'];
  const matcher = (ignore: string[], paths = [cwd]) => ignoreMatcher({ cwd, logs, pid_file: '/srv/app/app.pid' }, { paths, ignore });

  it('a name at any depth, a path from the cwd, and what is in an ignored folder', () => {
    const ignored = matcher(['node_modules', '.git', '*.tmp', 'src/generated']);
    for (const file of ['/srv/app/node_modules/x/index.js', '/srv/app/lib/node_modules', '/srv/app/.git/HEAD', '/srv/app/a/b.tmp', '/srv/app/src/generated', '/srv/app/src/generated/x.js']) {
      assert.equal(ignored(file), true, file);
    }
    for (const file of ['/srv/app', '/srv/app/src/app.js', '/srv/app/generated/x.js', '/srv/app/.env']) assert.equal(ignored(file), false, file);
  });

  it("the app's own log and pid files, per worker and rotated, always", () => {
    const ignored = matcher([]);
    for (const file of ['/srv/app/logs/out.log', '/srv/app/logs/out-1.log', '/srv/app/logs/out.log.2.gz', '/srv/app/app-0.pid']) assert.equal(ignored(file), true, file);
    assert.equal(ignored('/srv/app/logs/other.log'), false);
  });

  it('names in a watched folder outside the cwd count from that folder', () => {
    const ignored = matcher(['.*'], ['/srv/shared']);
    assert.equal(ignored('/srv/shared/lib.js'), false);
    assert.equal(ignored('/srv/shared/.cache/x'), true);
  });
});
