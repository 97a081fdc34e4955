import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadApps } from '../../src/config/index.js';
import { isDroverError } from '../../src/errors/index.js';
import { ROOT } from '../helpers/drover-process.js';

// One config file per bad input under test/fixtures/config/bad/, each next to the exact
// error it must give (<file>.error.txt: the code, then the message). UPDATE_EXPECTED=1
// rewrites them; read the diff before committing one.

const BAD = `${ROOT}test/fixtures/config/bad/`;
const files = readdirSync(BAD).filter((name) => !name.endsWith('.error.txt') && name !== 'package.json');
const envFor: Record<string, string> = { 'env-block-not-object.config.js': 'production' };

describe('bad config files', () => {
  for (const name of files) {
    it(name, async () => {
      const error = await loadApps({ target: `${BAD}${name}`, envName: envFor[name] }).then(
        () => assert.fail('expected an error'),
        (caught: unknown) => caught,
      );
      assert.ok(isDroverError(error), `a DroverError, got ${String(error)}`);
      const message = error.message.replaceAll(BAD.slice(0, -1), '<bad>').replaceAll('test/fixtures/config/bad', '<bad>').replaceAll(`${ROOT}test/fixtures/config`, '<fixtures>');
      const actual = `${error.code}\n${message}\n`;
      const expectedFile = `${BAD}${name}.error.txt`;
      if (process.env.UPDATE_EXPECTED === '1' || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      assert.equal(actual, readFileSync(expectedFile, 'utf8'));
    });
  }
});
