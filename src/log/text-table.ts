/**
 * Lay out rows under a header in columns two spaces apart, each as wide as its widest
 * cell. `paint` may colour a padded cell (colour codes take no room on screen).
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  paint: (cell: string, column: number, raw: string) => string = (cell) => cell,
): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[], painted: boolean) =>
    cells
      .map((cell, i) => (painted ? paint(cell.padEnd(widths[i]!), i, cell) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((row) => line(row, true))].join('\n');
}

const COLOURS = { green: 32, yellow: 33, red: 31, grey: 90 } as const;

/** ANSI colour, only for a terminal that wants it (not piped, no NO_COLOR). */
export function colour(text: string, name: keyof typeof COLOURS, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY && !process.env.NO_COLOR ? `\u001b[${COLOURS[name]}m${text}\u001b[39m` : text;
}
