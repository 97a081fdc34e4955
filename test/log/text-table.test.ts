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
  const ESC = '\u001b';
  assert.ok(painted.includes(`${ESC}[32mready   ${ESC}[39m`), 'the padded cell is coloured');
  assert.equal(painted.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[\d+m/, ''))).join(''), plain, 'columns unchanged');
  assert.equal(colour('ready', 'green', { isTTY: false } as NodeJS.WriteStream), 'ready');
  process.env.NO_COLOR = '1';
  try {
    assert.equal(colour('ready', 'green', tty), 'ready');
  } finally {
    delete process.env.NO_COLOR;
  }
});
