import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildAppRequest } from '../../src/cli/app-request.js';
import { APP_OPTIONS, type OptionSpec } from '../../src/config/index.js';
import { ROOT } from '../helpers/drover-process.js';

// One option, one place: every app option is declared once in APP_OPTIONS, and its
// flag, its README rows and its command-line mapping follow from that entry.

const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const options = Object.entries(APP_OPTIONS) as [string, OptionSpec][];

describe('the app options table', () => {
  it('every option has a row in the README\'s app options table', () => {
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    const missing = options.map(([name]) => name).filter((name) => !rows.some((row) => row.split('|')[1]!.includes(`\`${name}\``)));
    assert.deepEqual(missing, []);
  });

  it('every flag has a row in the README\'s command-line options table', () => {
    const missing = options.flatMap(([, spec]) => (spec.flag !== undefined && !readme.includes(`| \`${spec.flag}\``) ? [spec.flag] : []));
    assert.deepEqual(missing, []);
  });

  it('every flag reaches its option, with no per-option code', () => {
    for (const [name, spec] of options) {
      if (spec.flag === undefined || name === 'instances') continue;
      const attribute = /--(?:no-)?([a-z-]+)/.exec(spec.flag)![1]!.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
      const request = buildAppRequest(undefined, [], { [attribute]: 'given' });
      assert.equal(request.overrides?.[name], 'given', `${spec.flag} -> ${name}`);
    }
  });

  it('plain options with a default say how they show; defaults match their schema', () => {
    for (const [name, spec] of options) {
      if (spec.default !== undefined) assert.ok(spec.schema.safeParse(spec.default).success, `${name}'s default parses`);
      if (spec.plain) assert.ok(spec.show !== undefined, `${name} shows in drover config`);
    }
  });
});
