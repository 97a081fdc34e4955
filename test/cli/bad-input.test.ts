import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { DroverProcess, example, fixture, runDrover } from '../helpers/drover-process.js';
import { freePort } from '../helpers/http.js';

// Each bad input gets one clear message and a non-zero exit: no stack trace from
// drover, no fork storm, nothing left running.

const STACK_FRAME = /^\s+at /m;

describe('bad input', () => {
  it('missing script: names the file and where it looked', async () => {
    const result = await runDrover(['run', 'no-such-app.js']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `drover: script not found: no-such-app.js (looked for ${process.cwd()}/no-such-app.js, and for a command on PATH) [DROVER_E_SCRIPT_NOT_FOUND]\n`);
  });

  it('no script and no config file in the directory: says what it looked for', async () => {
    const result = await runDrover(['run']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^drover: no script given and no config file in \S+ \(looked for drover\.config\.ts, .*ecosystem\.config\.js, .*\); run `drover run server\.js` or name a config file \[DROVER_E_CONFIG_NOT_FOUND\]\n$/,
    );
  });

  it('a file nothing known runs: refused once, not crash-looped', async () => {
    const result = await runDrover(['run', 'test/fixtures/apps/notes.txt']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "drover: test/fixtures/apps/notes.txt: '.txt' is not a Node.js extension, and no interpreter runs it; set interpreter (--interpreter python3, or none for an executable), or give it a .js name [DROVER_E_UNSUPPORTED_SCRIPT]\n",
    );
  });

  for (const bad of ['0', 'many', '-1', '1.5']) {
    it(`-i ${bad}: expected a positive integer, max or auto`, async () => {
      const result = await runDrover(['run', example('hello/server.js'), '-i', bad]);
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr,
        `drover: -i/--instances: expected a positive integer, 'max' or 'auto', got '${bad}' [DROVER_E_INVALID_OPTION]\n`,
      );
    });
  }

  it('DROVER_INSTANCES with a bad value names the variable', async () => {
    const result = await runDrover(['run', example('hello/server.js')], { env: { DROVER_INSTANCES: 'lots' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^drover: DROVER_INSTANCES: expected a positive integer, 'max' or 'auto', got 'lots'/);
  });

  for (const [name, why] of <[string, string][]>[
    ['a/b', 'it may only have letters, digits, spaces and . _ - @ +, must start with a letter or digit, and must not end with a space'],
    ['all', "'all' stands for every app in drover's commands"],
    ['x'.repeat(70), 'it has 70 characters, more than 64'],
  ]) {
    it(`--name ${name.slice(0, 12)}: refused before anything starts`, async () => {
      const result = await runDrover(['start', example('hello/server.js'), '--name', name]);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `drover: --name: ${why}, got '${name}' [DROVER_E_INVALID_OPTION]\n`);
      assert.deepEqual(result.leftover, []);
    });
  }

  it('a control socket path longer than a Unix socket may have: names the path and the fix', async () => {
    const home = mkdtempSync(`${tmpdir()}/drover-${'h'.repeat(70)}-`);
    try {
      const result = await runDrover(['run', example('hello/server.js'), '--name', 'a-rather-long-application-name'], { env: { DROVER_HOME: home } });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^drover: a-rather-long-application-name: its control socket \S+ would be \d+ bytes, more than the 107 a Unix socket path may have; give the app a shorter name, or set DROVER_HOME to a shorter folder \[DROVER_E_INVALID_OPTION\]\n$/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  for (const [field, file] of <[string, string][]>[
    ['out_file', '/proc/drover/out.log'],
    ['pid_file', '/sys/drover.pid'],
    ['error_file', '/dev/sda'],
  ]) {
    it(`${field} under /${file.split('/')[1]}: refused at once (creating folders there never ends)`, async () => {
      const dir = mkdtempSync(`${tmpdir()}/drover-paths-`);
      try {
        writeFileSync(`${dir}/app.config.js`, `module.exports = { script: ${JSON.stringify(example('hello/server.js'))}, ${field}: '${file}' };\n`);
        const result = await runDrover(['start', `${dir}/app.config.js`], { timeoutMs: 10_000 });
        assert.equal(result.code, 2);
        assert.match(result.stderr, new RegExp(`^drover: \\S+app\\.config\\.js: ${field}: ${file.replaceAll('/', '\\/')} is under \\/${file.split('/')[1]}, where files cannot be created; give a path on a real file system.*\\[DROVER_E_INVALID_OPTION\\]\\n$`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a malformed duration names the flag, the expected form and the value', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--kill-timeout', 'soon']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `drover: --kill-timeout: expected a duration in milliseconds or like "5s", got 'soon' [DROVER_E_INVALID_OPTION]\n`);
  });

  it('--env with an environment name for a script: says names select env_<name> of a config file', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--env', 'production']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      'drover: --env production: an environment name selects env_production in a config file; set variables with --env KEY=VALUE [DROVER_E_INVALID_OPTION]\n',
    );
  });

  it('--env that is neither KEY=VALUE nor a name', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--env', '=oops']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^drover: --env: expected KEY=VALUE or an environment name, got '=oops'/);
  });

  it('unknown option: suggests the closest one', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--instnces', '2']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: unknown option '--instnces'\n\(Did you mean --instances\?\)/);
  });

  it('unknown command: suggests the closest one', async () => {
    const result = await runDrover(['rnu', 'app.js']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'rnu'\n\(Did you mean run\?\)/);
  });

  it('script that throws at import: its error once, then a crash-loop stop, not a fork storm', async () => {
    const result = await runDrover(['run', fixture('throws-on-import.cjs'), '-i', '1', '--max-restarts', '3']);
    assert.equal(result.code, 3);
    assert.equal(result.output.match(/crashed on start/g)?.length, 4, 'exactly max_restarts + 1 starts');
    // The stack is printed once, in the final message; later crashes say "same error".
    assert.equal(result.output.match(/at Object\.<anonymous> \(.*throws-on-import\.cjs:2:7\)/g)?.length, 1);
    assert.equal(result.output.match(/\(same error as before\)/g)?.length, 3);
    assert.match(result.stderr, /crashed on start with exit code 1 after \d+ ms: Error: DATABASE_URL is not set/);
    assert.match(result.stderr, /crash loop: 4 crashes in a row .*\[DROVER_E_CRASH_LOOP\]/);
    assert.deepEqual(result.leftover, []);
  });

  it('ESM script that throws at import: the same', async () => {
    const result = await runDrover(['run', fixture('throws-on-import.mjs'), '-i', '1', '--max-restarts', '2']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /crashed on start with exit code 1 after \d+ ms: TypeError: cannot read config/);
    assert.match(result.stderr, /DROVER_E_CRASH_LOOP/);
  });

  it('port already in use by another process: says which port, once, without a stack', async () => {
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runDrover(['run', example('hello/server.js'), '-i', '2'], { env: { PORT: String(port) } });
      assert.equal(result.code, 3);
      const messages = result.stderr.split('\n').filter((line) => line.includes('DROVER_E_PORT_IN_USE'));
      assert.equal(messages.length, 1);
      assert.match(messages[0]!, new RegExp(`port ${port} is already in use by another process \\(EADDRINUSE\\)`));
      assert.doesNotMatch(result.output, STACK_FRAME);
      assert.ok((result.output.match(/crashed on start/g)?.length ?? 0) <= 2, 'no restart after EADDRINUSE');
      assert.deepEqual(result.leftover, []);
    } finally {
      squatter.close();
    }
  });

  it('app that exits 0 right away: says so instead of restarting', async () => {
    const result = await runDrover(['run', fixture('exits-zero.cjs'), '-i', '1']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /the app exited on its own with exit code 0 \d+ ms after start, without listening on a port.*\[DROVER_E_EXITED_ON_START\]/);
    assert.equal(result.output.match(/crashed on start/g)?.length, 1);
  });

  // An app none of whose workers listens is not a server: it is up after min_uptime (no-port.test.ts).
  it('a server worker that never listens: one warning at listen_timeout', async () => {
    const drover = new DroverProcess(['run', fixture('listens-in-slot-0.cjs'), '-i', '2', '--listen-timeout', '1000', '--min-uptime', '5000']);
    await drover.waitForOutput(/worker 1 \(pid \d+\) is not listening after 1 s; still waiting \(listen_timeout\)/);
    drover.signal('SIGTERM');
    assert.equal((await drover.exited).code, 0);
    assert.equal(drover.stderr.match(/is not listening/g)?.length, 1);
  });
});

describe('a worker that cannot be started', () => {
  it('--cwd that does not exist: one clear error', async () => {
    const result = await runDrover(['run', example('hello/server.js'), '--cwd', '/nonexistent/drover']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'drover: --cwd: no such directory: /nonexistent/drover [DROVER_E_INVALID_OPTION]\n');
  });

  it('its cwd removed while running: restarts fail to spawn, the crash loop stops, drover exits', async () => {
    const cwd = mkdtempSync(`${tmpdir()}/drover-cwd-`);
    const port = await freePort();
    const drover = new DroverProcess(['run', example('hello/server.js'), '-i', '1', '--cwd', cwd, '--max-restarts', '2', '--min-uptime', '5000'], {
      env: { PORT: String(port) },
    });
    await drover.waitUntilListening();
    const pid = Number(/pids (\d+)/.exec(drover.stdout)![1]);
    rmSync(cwd, { recursive: true, force: true });
    process.kill(pid, 'SIGKILL');
    const exit = await drover.exited;
    assert.equal(exit.code, 3);
    assert.match(drover.stderr, /DROVER_E_CRASH_LOOP/);
    assert.deepEqual(drover.groupPids(), []);
  });
});
