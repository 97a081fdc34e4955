import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { it } from 'node:test';
import { ERROR_CATALOG } from '../../src/errors/index.js';
import { ROOT } from '../helpers/drover-process.js';

// The error catalog, docs/errors.md and the code that raises errors stay in step.

const docs = readFileSync(`${ROOT}docs/errors.md`, 'utf8');
const documented = new Map([...docs.matchAll(/^\| `(DROVER_E_[A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

it('every code in the catalog is documented with its exit code', () => {
  for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
    assert.equal(documented.get(code), entry.exitCode, `${code} in docs/errors.md`);
  }
});

it('every documented code exists in the catalog', () => {
  for (const code of documented.keys()) assert.ok(code in ERROR_CATALOG, `${code} is documented but not in the catalog`);
});

it('every code used in src/ is in the catalog', () => {
  const used = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = `${dir}/${entry}`;
      if (statSync(path).isDirectory()) walk(path);
      else for (const match of readFileSync(path, 'utf8').matchAll(/'(DROVER_E_[A-Z_]+)'/g)) used.add(match[1]!);
    }
  };
  walk(`${ROOT}src`);
  for (const code of used) assert.ok(code in ERROR_CATALOG, `${code} is used but not in the catalog`);
});
