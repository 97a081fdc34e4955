import assert from 'node:assert/strict';
import { it } from 'node:test';
import { colour, formatTable } from '../../src/log/text-table.js';

it('colours cells for a terminal without moving the columns; none when piped or NO_COLOR', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const rows = [
    ['web', 'ready', '1'],
    ['api', 'starting', '2'],
  ];
  const plain = formatTable(['app', 'state', 'n'], rows);
  const painted = formatTable(['app', 'state', 'n'], rows, (cell, column) => (column === 1 ? colour(cell, 'green', tty) : cell));
  assert.match(painted, /\u001b\[32mready {3}\u001b\[39m/);
  assert.equal(painted.replace(/\u001b\[\d+m/g, ''), plain);
  assert.equal(colour('ready', 'green', { isTTY: false } as NodeJS.WriteStream), 'ready');
  process.env.NO_COLOR = '1';
  try {
    assert.equal(colour('ready', 'green', tty), 'ready');
  } finally {
    delete process.env.NO_COLOR;
  }
});
