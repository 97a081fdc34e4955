import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entryWarnings } from '../../src/cli/entry-warnings.js';

// drover's start-up warnings about how it was started in a container, from faked
// process facts (/proc/1/cmdline); the PID 1 case runs for real in test/supervisor/pid1.test.ts.

const facts = (pid: number, pid1: string | undefined) => ({ pid, pid1Cmdline: () => pid1 });

describe('entry warnings', () => {
  it('drover as PID 1: run it under an init', () => {
    assert.match(entryWarnings(facts(1, undefined)).join(), /running as PID 1: Node\.js cannot reap orphaned processes/);
  });

  for (const [what, cmdline] of [
    ['npx', '/usr/local/bin/node\0/usr/local/lib/node_modules/npm/bin/npx-cli.js\0drover\0run\0server.js\0'],
    ['npm', 'node\0/usr/local/bin/npm\0start\0'],
    ['npm', 'npm\0start\0'],
    ['npm', 'npm run serve'],
  ] as const) {
    it(`${what} as PID 1 (${JSON.stringify(cmdline)}): start drover itself, in exec form`, () => {
      const [warning] = entryWarnings(facts(42, cmdline));
      assert.match(warning!, new RegExp(`^\\[drover\\] started by ${what}, which is PID 1 .* ${what} does not pass SIGTERM on, .*CMD \\["node_modules/\\.bin/drover", "run", "server\\.js"\\]`));
    });
  }

  it('an init, a shell or an unreadable /proc as PID 1: nothing to say', () => {
    assert.deepEqual(entryWarnings(facts(42, '/sbin/init\0splash\0')), []);
    assert.deepEqual(entryWarnings(facts(42, '/bin/sh\0-c\0node server.js\0')), []);
    assert.deepEqual(entryWarnings(facts(42, '/sbin/tini\0--\0npm\0start\0')), []);
    assert.deepEqual(entryWarnings(facts(42, undefined)), []);
  });
});
