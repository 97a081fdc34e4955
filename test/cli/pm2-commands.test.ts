import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { after, describe, it } from 'node:test';
import { DROVER_HOME, DroverProcess, fixture, isAlive, runDrover, runningApps, scratchDir, waitFor, type RunningStatus } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// PM2's command names, as a PM2 user types them, on real background apps: list, show,
// jlist, prettylist, flush, env, reset, sendSignal, kill, ecosystem, startup and
// unstartup; and the times in the supervisor's log.

interface Status extends RunningStatus {
  workers: { slot: number; pid: number; restarts: number }[];
  restarts: Record<string, number>;
}

async function start(name: string, workers: number, extra: string[] = []): Promise<Status> {
  const started = await runDrover(['start', fixture('signal-logger.cjs'), '-i', String(workers), '--name', name, ...extra], { env: { PORT: String(await freePort()) } });
  assert.equal(started.code, 0, started.output);
  return (await runningApps()).find((status) => status.name === name) as Status;
}

// Run drover in a folder of the test's (runDrover runs it in the repository).
async function runIn(cwd: string, args: string[]) {
  const drover = new DroverProcess(args, { cwd });
  const exit = await drover.exited;
  return { ...exit, stdout: drover.stdout, stderr: drover.stderr };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

after(async () => {
  await runDrover(['stop', 'all']);
});

describe('PM2 command names', () => {
  it('list and show are ls and describe; jlist is ls --json on one line, prettylist indented', async () => {
    const app = await start('named', 2);
    const [ls, list] = await Promise.all([runDrover(['ls']), runDrover(['list'])]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^app\s+slot\s+pid\s+state\s+uptime\s+restarts\s+cpu\s+memory\s+loop p99\nnamed\s+0\s+\d+\s+ready/);
    assert.equal(list.stdout.split('\n')[0], ls.stdout.split('\n')[0]);
    const show = await runDrover(['show', 'named']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^app 'named': supervisor pid ${app.supervisorPid}, up `));

    const jlist = await runDrover(['jlist']);
    assert.equal(jlist.code, 0);
    assert.equal(jlist.stdout.split('\n').length, 2, 'one line, then the newline');
    const compact = JSON.parse(jlist.stdout) as Status[];
    assert.deepEqual(compact.map((status) => [status.name, status.supervisorPid, status.workers.length]), [['named', app.supervisorPid, 2]]);
    const pretty = await runDrover(['prettylist']);
    assert.match(pretty.stdout, /^\[\n {2}\{\n {4}"supervisorPid"/);
    assert.deepEqual((JSON.parse(pretty.stdout) as Status[]).map((status) => status.name), ['named']);
    assert.equal((await runDrover(['stop', 'named'])).code, 0);
  });

  it("env prints a worker's environment, secrets masked; an unknown slot lists the slots", async () => {
    await start('envy', 2, ['--env', 'GREETING=hello', '--env', 'API_KEY=s3cret']);
    const first = await runDrover(['env', 'envy']);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trimEnd().split('\n');
    assert.ok(lines.includes('GREETING=hello'));
    assert.ok(lines.includes('API_KEY=********'), 'masked as describe masks it');
    assert.ok(!first.stdout.includes('s3cret'));
    assert.ok(lines.includes('NODE_APP_INSTANCE=0') && lines.includes('DROVER_APP_NAME=envy'));
    assert.deepEqual(lines, [...lines].sort(), 'sorted by name');
    assert.ok((await runDrover(['env', 'envy', '1'])).stdout.split('\n').includes('NODE_APP_INSTANCE=1'));

    const unknown = await runDrover(['env', 'envy', '5']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "drover: envy has no worker in slot '5'; its slots: 0, 1 [DROVER_E_INVALID_OPTION]\n");
    const notSlot = await runDrover(['env', 'envy', 'first']);
    assert.equal(notSlot.code, 2);
    assert.match(notSlot.stderr, /^drover: env: expected a worker's slot number .*got 'first' \[DROVER_E_INVALID_OPTION\]\n$/);
    assert.equal((await runDrover(['stop', 'envy'])).code, 0);
  });

  it('reset puts every worker\'s restart count back to 0', async () => {
    await start('counted', 2);
    assert.equal((await runDrover(['restart', 'counted'])).code, 0);
    const before = (await runningApps()).find((status) => status.name === 'counted') as Status;
    assert.deepEqual(before.workers.map((worker) => worker.restarts), [1, 1]);
    const reset = await runDrover(['reset', 'counted']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, 'counted: restart counts of 2 worker(s) reset to 0\n');
    const after = (await runningApps()).find((status) => status.name === 'counted') as Status;
    assert.deepEqual(after.workers.map((worker) => worker.restarts), [0, 0]);
    assert.equal(after.restarts.requested, 0);
    assert.match((await runDrover(['ls'])).stdout, /\ncounted\s+0\s+\d+\s+ready\s+\S+ m?s\s+0\s/);
    assert.equal((await runDrover(['stop', 'counted'])).code, 0);
  });

  it('sendSignal (and send-signal) reaches every worker and names the pids; a bad name is refused', async () => {
    const app = await start('signalled', 2);
    const pids = app.workers.map((worker) => worker.pid).sort((a, b) => a - b);
    const sent = await runDrover(['sendSignal', 'SIGUSR2', 'signalled']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(sent.stdout, `signalled: SIGUSR2 sent to pids ${pids.join(', ')}\n`);
    const out = `${DROVER_HOME}/logs/signalled.out.log`;
    const heard = () => pids.filter((pid) => readFileSync(out, 'utf8').includes(`got SIGUSR2 in ${pid}`));
    await waitFor(() => heard().length === 2, 10_000, 'both workers to log SIGUSR2');

    assert.equal((await runDrover(['send-signal', 'usr2', 'signalled'])).code, 0, 'the alias, and a name without SIG');
    const bad = await runDrover(['sendSignal', 'SIGNOPE', 'signalled']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "drover: 'SIGNOPE' is not a signal name; expected one such as SIGUSR2, SIGUSR1 or SIGHUP (kill -l lists them) [DROVER_E_INVALID_OPTION]\n");
    assert.deepEqual((await runningApps()).find((status) => status.name === 'signalled')!.workers.map((w) => w.pid).sort((a, b) => a - b), pids, 'nobody restarted');
    assert.equal((await runDrover(['stop', 'signalled'])).code, 0);
  });

  it('flush empties the files in place: the supervisor writes on at the start of the file', async () => {
    await start('flushed', 1);
    const out = `${DROVER_HOME}/logs/flushed.out.log`;
    const log = `${DROVER_HOME}/logs/flushed.log`;
    await waitFor(() => readFileSync(out, 'utf8').includes('started'), 10_000, 'the first line');
    const flush = await runDrover(['flush', 'flushed']);
    assert.equal(flush.code, 0, flush.stderr);
    assert.equal(flush.stdout, ['err', 'log', 'out'].map((kind) => `flushed ${DROVER_HOME}/logs/flushed.${kind === 'log' ? '' : `${kind}.`}log\n`).join(''));
    assert.equal(statSync(out).size, 0);
    assert.equal(statSync(log).size, 0);
    // O_APPEND: the next line lands at the new end, not after a hole of zeros.
    assert.equal((await runDrover(['sendSignal', 'SIGUSR2', 'flushed'])).code, 0);
    await waitFor(() => statSync(out).size > 0, 10_000, 'a line after the flush');
    assert.match(readFileSync(out, 'utf8'), /^got SIGUSR2 in \d+ \(slot 0\)\n$/);

    // With no app: every running app's files and every log in $DROVER_HOME/logs.
    writeFileSync(`${DROVER_HOME}/logs/gone.out.log`, 'an old line\n');
    const all = await runDrover(['flush']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^flushed \S+\/logs\/gone\.out\.log$/m);
    assert.equal(statSync(`${DROVER_HOME}/logs/gone.out.log`).size, 0);
    const unknown = await runDrover(['flush', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^drover: no app named 'nope' is running or has logs; there are: .*'flushed'.* \[DROVER_E_UNKNOWN_APP\]\n$/);
    assert.equal((await runDrover(['stop', 'flushed'])).code, 0);
  });

  it("the supervisor log's lines start with an ISO 8601 time; drover logs shows it; drover run on a pipe does not", async () => {
    await start('timed', 1);
    const lines = readFileSync(`${DROVER_HOME}/logs/timed.log`, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length >= 2);
    for (const line of lines) assert.match(line, ISO);
    const logs = await runDrover(['logs', 'timed', '--lines', '1']);
    assert.match(logs.stdout, /^timed drover \| \d{4}-\d\d-\d\dT[\d:.]+Z \[drover\] timed: 1 worker listening/m);
    const json = await runDrover(['logs', 'timed', '--lines', '1', '--json']);
    const record = JSON.parse(json.stdout.split('\n').find((line) => line.includes('"stream":"drover"'))!) as { ts: string; msg: string };
    assert.equal(record.ts, lines.at(-1)!.slice(0, 24));
    assert.match(record.msg, /^\[drover\] timed: 1 worker listening/);
    assert.equal((await runDrover(['stop', 'timed'])).code, 0);

    const port = await freePort();
    const run = new DroverProcess(['run', fixture('signal-logger.cjs'), '-i', '1', '--name', 'piped'], { env: { PORT: String(port) } });
    await run.waitUntilListening();
    run.signal('SIGTERM');
    assert.equal((await run.exited).code, 0);
    assert.match(run.stdout, /^\[drover\] piped: 1 worker: -i 1/);
  });

  it('kill drains and stops every app, and says there is no daemon', async () => {
    const a = await start('first', 1);
    const b = await start('second', 1);
    const kill = await runDrover(['kill']);
    assert.equal(kill.code, 0, kill.stderr);
    assert.equal(kill.stdout, 'first: stopped\nsecond: stopped\ndrover has no daemon to kill: each app has its own supervisor, and every app was drained and stopped\n');
    // Listed as stopped (drover start <name> brings one back), none running.
    const listed = JSON.parse((await runDrover(['jlist'])).stdout) as { name: string; state?: string; workers: unknown[] }[];
    assert.deepEqual(listed.filter((app) => ['first', 'second'].includes(app.name)).map((app) => [app.name, app.state]), [['first', 'stopped'], ['second', 'stopped']]);
    assert.ok(listed.every((app) => app.workers.length === 0), 'no app runs');
    await waitFor(() => !isAlive(a.supervisorPid) && !isAlive(b.supervisorPid), 10_000, 'both supervisors to exit');
    assert.match((await runDrover(['kill'])).stdout, /no app was running\n$/);
  });

  it('ecosystem writes a commented sample config that drover config accepts, and never overwrites one', async () => {
    const dir = scratchDir('ecosystem');
    const written = await runIn(dir, ['ecosystem']);
    assert.equal(written.code, 0, written.stderr);
    const file = `${dir}/ecosystem.config.js`;
    assert.equal(written.stdout, `wrote ${file}; edit it, then: drover config to check it, drover start to run it\n`);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^module\.exports = \{\n {2}apps: \[/m);
    for (const key of ['name', 'script', 'instances', 'exec_mode', 'env', 'env_production', 'max_memory_restart', 'kill_timeout', 'wait_ready']) {
      assert.match(text, new RegExp(`^ +${key}: .*// \\S`, 'm'), `${key} with its comment`);
    }
    writeFileSync(`${dir}/app.js`, "require('node:http').createServer((q, s) => s.end()).listen(process.env.PORT);\n");
    const config = await runIn(dir, ['config', '--json']);
    assert.equal(config.code, 0, config.stderr);
    assert.match(config.stdout, /"name": "app"/);

    writeFileSync(file, '// mine\n');
    const again = await runIn(dir, ['ecosystem']);
    assert.equal(again.code, 2);
    assert.equal(again.stderr, `drover: ${file} already exists; drover does not overwrite it: move or remove it, or run drover ecosystem in another folder [DROVER_E_FILE_EXISTS]\n`);
    assert.equal(readFileSync(file, 'utf8'), '// mine\n');

    // In an ESM package a .js file cannot use module.exports: .cjs there.
    const esm = scratchDir('ecosystem-esm');
    writeFileSync(`${esm}/package.json`, '{ "type": "module" }\n');
    writeFileSync(`${esm}/app.js`, "import http from 'node:http';\nhttp.createServer((q, s) => s.end()).listen(process.env.PORT);\n");
    assert.match((await runIn(esm, ['ecosystem'])).stdout, /ecosystem\.config\.cjs \(\.cjs: package\.json says "type": "module"\)/);
    assert.ok(existsSync(`${esm}/ecosystem.config.cjs`));
    assert.equal((await runIn(esm, ['config', '--json'])).code, 0);
  });

  it('startup with no system detects systemd or says what it found; unstartup prints the removal', async () => {
    const startup = await runDrover(['startup']);
    if (existsSync('/run/systemd/system')) {
      assert.equal(startup.code, 0, startup.stderr);
      assert.match(startup.stdout, /^\[Unit\]\n/);
    } else {
      assert.equal(startup.code, 2);
      assert.match(startup.stderr, /^drover: startup: systemd is not running here \(no \/run\/systemd\/system; PID 1 is .+\); drover writes units for systemd only: .*\[DROVER_E_STARTUP\]\n$/);
    }
    assert.match((await runDrover(['startup', 'systemd'])).stdout, /^\[Unit\]\n/, 'naming it works anywhere');

    const user = userInfo().username;
    const unstartup = await runDrover(['unstartup', 'systemd']);
    assert.equal(unstartup.code, 0, unstartup.stderr);
    assert.equal(unstartup.stdout, `systemctl disable --now drover-${user}\nrm -f /etc/systemd/system/drover-${user}.service\nsystemctl daemon-reload\n`);
    const other = await runDrover(['unstartup', 'upstart']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /'upstart' is not supported; drover writes units for systemd only \(drover unstartup systemd\) \[DROVER_E_STARTUP\]/);
  });
});
