import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_DEFAULTS, formatBytes, parseDuration, parseSize, splitArgs, validateAppOptions } from '../../src/config/index.js';
import { InvalidOptionError } from '../../src/errors/index.js';
import { example } from '../helpers/drover-process.js';

const script = example('hello/server.js');

function issuesOf(input: Record<string, unknown>): readonly string[] {
  try {
    validateAppOptions({ script, ...input });
  } catch (error) {
    assert.ok(error instanceof InvalidOptionError);
    assert.equal(error.code, 'DROVER_E_INVALID_OPTION');
    return error.issues;
  }
  assert.fail('expected an InvalidOptionError');
}

describe('validateAppOptions', () => {
  it('applies the defaults, resolves paths, names the app after its script, and freezes', () => {
    const app = validateAppOptions({ script: 'examples/hello/server.js' });
    assert.equal(app.script, script);
    assert.equal(app.name, 'server');
    assert.equal(app.instances, 'auto');
    assert.equal(app.min_uptime, APP_DEFAULTS.min_uptime);
    assert.equal(app.max_restarts, 16);
    assert.equal(app.kill_timeout, 5000);
    assert.ok(Object.isFrozen(app));
  });

  it('takes PM2-style strings for durations, counts and sizes', () => {
    const app = validateAppOptions({ script, min_uptime: '2s', max_restarts: '3', kill_timeout: 1600, worker_memory: '200M', instances: '4' });
    assert.equal(app.min_uptime, 2000);
    assert.equal(app.max_restarts, 3);
    assert.equal(app.kill_timeout, 1600);
    assert.equal(app.worker_memory, 200 * 1024 * 1024);
    assert.equal(app.instances, 4);
  });

  it('names the field, the expected form and the value received', () => {
    assert.deepEqual(issuesOf({ instances: 0 }), ["instances: expected a positive integer, 'max' or 'auto', got 0 (number)"]);
    assert.deepEqual(issuesOf({ max_restarts: -1 }), ['max_restarts: expected a non-negative integer, got -1 (number)']);
    assert.deepEqual(issuesOf({ worker_memory: '300MB' }), [
      `worker_memory: expected a size like "150M" (K, M, G are powers of 1024), got '300MB'`,
    ]);
    assert.deepEqual(issuesOf({ env: 'PORT=3000' }), [`env: expected an object of KEY: value pairs, got 'PORT=3000'`]);
  });

  it('reports every problem at once, and suggests the closest name for an unknown key', () => {
    assert.deepEqual(issuesOf({ instnces: 2, kill_timeout: 'soon' }), [
      `kill_timeout: expected a duration in milliseconds or like "5s", got 'soon'`,
      "instnces: unknown option; did you mean 'instances'?",
    ]);
    assert.deepEqual(issuesOf({ frobnicate: true }), ['frobnicate: unknown option']);
  });

  it('uses the caller\'s names for fields', () => {
    try {
      validateAppOptions({ script, max_restarts: 'x' }, { label: (field) => `apps[0].${field}` });
      assert.fail('expected an error');
    } catch (error) {
      assert.equal((error as Error).message, "apps[0].max_restarts: expected a non-negative integer, got 'x'");
    }
  });
});

describe('units', () => {
  it('parseDuration', () => {
    assert.equal(parseDuration(1500), 1500);
    assert.equal(parseDuration('1500'), 1500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration(-1), undefined);
  });
  it('parseSize and formatBytes', () => {
    assert.equal(parseSize('300M'), 300 * 1024 ** 2);
    assert.equal(parseSize('1G'), 1024 ** 3);
    assert.equal(parseSize('512k'), 512 * 1024);
    assert.equal(parseSize('300MB'), undefined);
    assert.equal(formatBytes(1024 ** 3), '1 GiB');
    assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  });
  it('splitArgs keeps quoted arguments whole', () => {
    assert.deepEqual(splitArgs('--max-old-space-size=512 --import tsx'), ['--max-old-space-size=512', '--import', 'tsx']);
    assert.deepEqual(splitArgs(`--title "my app" --x='a b'`), ['--title', 'my app', "--x='a", "b'"]);
  });
});
