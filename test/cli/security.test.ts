import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { DROVER_HOME, DroverProcess, example, runDrover, runningApps, scratchDir, sleep } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// $DROVER_HOME and the control API against a user who plants files or abuses the
// socket: a shared or planted home is refused, symlinks are never followed, saved
// environments are private, the API bounds what it reads and how long it waits, and
// no secret crosses it.

const scratch = () => scratchDir('security');

/** A raw request over the control socket of `app`; resolves with the status, or 'closed' if the server hung up first. */
function rawRequest(app: string, head: string, body?: Buffer): Promise<{ status: number | 'closed'; text: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(`${DROVER_HOME}/sockets/${app}.sock`);
    let text = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ status: /^HTTP\/1\.1 (\d+)/.test(text) ? Number(/^HTTP\/1\.1 (\d+)/.exec(text)![1]) : 'closed', text }));
    socket.write(head);
    if (body) socket.write(body);
  });
}

describe('DROVER_HOME and the control API', () => {
  it('a DROVER_HOME others may write to, or that belongs to another user, is refused', async () => {
    const shared = scratch();
    chmodSync(shared, 0o777);
    const refused = await runDrover(['run', example('hello/server.js')], { env: { DROVER_HOME: shared } });
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `drover: DROVER_HOME ${shared} is writable by every user (mode 777): another user could plant the files drover writes there; chmod 700 ${shared}, or set DROVER_HOME to a folder of your own [DROVER_E_HOME_UNSAFE]\n`,
    );
    const foreign = scratch();
    chmodSync(foreign, 0o700);
    chownSync(foreign, 65534, 65534);
    const theirs = await runDrover(['start', example('hello/server.js')], { env: { DROVER_HOME: foreign } });
    assert.equal(theirs.code, 2);
    assert.match(theirs.stderr, new RegExp(`^drover: ${foreign} belongs to uid 65534, not to you \\(uid \\d+\\); set DROVER_HOME to a folder of your own \\[DROVER_E_HOME_UNSAFE\\]\\n$`));
  });

  it('a symlink planted where a log goes is not followed: start is refused and the target is untouched', async () => {
    const victim = `${scratch()}/victim.txt`;
    writeFileSync(victim, 'untouched\n');
    mkdirSync(`${DROVER_HOME}/logs`, { recursive: true, mode: 0o700 });
    symlinkSync(victim, `${DROVER_HOME}/logs/planted.out.log`);
    const port = await freePort();
    const result = await runDrover(['start', example('hello/server.js'), '--name', 'planted'], { env: { PORT: String(port) } });
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /planted: cannot write the log file .*planted\.out\.log: it is a symbolic link, and drover does not follow links for the files it writes; give the real path \[DROVER_E_LOG_FILE\]/);
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
    assert.deepEqual(await runningApps(), []);
    rmSync(`${DROVER_HOME}/logs/planted.out.log`);
  });

  it('logs/ is made 0700; save writes dump.json whole, 0600, over a planted symlink; /v1/command masks secrets', async () => {
    chmodSync(`${DROVER_HOME}/logs`, 0o755);
    const victim = `${scratch()}/victim.json`;
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, `${DROVER_HOME}/dump.json`);
    const port = await freePort();
    const started = await runDrover(['start', example('hello/server.js'), '--name', 'secretive', '-i', '1'], {
      env: { PORT: String(port), API_TOKEN: 's3cret-value' },
    });
    assert.equal(started.code, 0, started.output);
    await runningApps();
    assert.equal(statSync(`${DROVER_HOME}/logs`).mode & 0o777, 0o700);

    const command = await new Promise<{ env: Record<string, string> }>((resolve, reject) => {
      http
        .get({ socketPath: `${DROVER_HOME}/sockets/secretive.sock`, path: '/v1/command' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(JSON.parse(body) as { env: Record<string, string> }));
        })
        .on('error', reject);
    });
    assert.equal(command.env.API_TOKEN, '********');

    const saved = await runDrover(['save']);
    assert.equal(saved.code, 0, saved.output);
    assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
    const dump = lstatSync(`${DROVER_HOME}/dump.json`);
    assert.ok(dump.isFile(), 'dump.json is a file now, not the planted link');
    assert.equal(dump.mode & 0o777, 0o600);
    const apps = (JSON.parse(readFileSync(`${DROVER_HOME}/dump.json`, 'utf8')) as { apps: { name: string; env: Record<string, string> }[] }).apps;
    assert.equal(apps.find((app) => app.name === 'secretive')?.env.API_TOKEN, 's3cret-value', 'resurrect needs the real value');
    assert.equal((await runDrover(['stop', 'secretive'])).code, 0);
  });

  it('the control API refuses large bodies at once and drops connections that send nothing', async () => {
    const port = await freePort();
    const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--name', 'guarded'], { env: { PORT: String(port) } });
    await drover.waitUntilListening();
    const large = await rawRequest('guarded', 'POST /v1/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n', Buffer.alloc(1024 * 1024));
    assert.equal(large.status, 413);
    assert.match(large.text, /request bodies are limited to 65536 bytes/);
    const chunked = await rawRequest('guarded', 'POST /v1/reload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.equal(chunked.status, 413);

    // A connection that never finishes its request head is closed (headersTimeout, 5 s).
    const started = Date.now();
    const silent = await rawRequest('guarded', 'GET /v1/status HTTP/1.1\r\nHost: x\r\n');
    assert.equal(silent.status, 408, silent.text);
    assert.ok(Date.now() - started < 15_000);
    // One that sends nothing at all is closed too.
    const idle = await rawRequest('guarded', '');
    assert.ok(idle.status === 408 || idle.status === 'closed', `idle connection: ${idle.status}`);
    // The app was not stopped or reloaded by any of it, and still answers.
    await sleep(100);
    assert.doesNotMatch(drover.output, /stop requested|reload/);
    assert.equal((await runDrover(['ls', '--json'])).code, 0);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
  });
});
