import type { BenchRow } from './results.js';

const WIDTH = 40;

/** Horizontal bars of req/s and of p99 latency, one per row, scaled to the largest. */
export function formatChart(rows: readonly BenchRow[]): string {
  const label = (row: BenchRow) => (row.target === 'single' ? 'plain node' : row.target === 'url' ? 'url' : `${row.workers} worker${row.workers === 1 ? '' : 's'}`);
  const width = Math.max(...rows.map((row) => label(row).length));
  const bars = (title: string, value: (row: BenchRow) => number, show: (n: number) => string) => {
    const most = Math.max(...rows.map(value), Number.MIN_VALUE);
    return [
      title,
      ...rows.map((row) => {
        const length = Math.round((value(row) / most) * WIDTH);
        return `  ${label(row).padEnd(width)}  ${'#'.repeat(length).padEnd(WIDTH)}  ${show(value(row))}`;
      }),
    ].join('\n');
  };
  return [
    bars('req/s (longer is better)', (row) => row.rps, (n) => Math.round(n).toLocaleString('en-US')),
    bars('p99 latency (shorter is better)', (row) => row.latency.p99, (n) => `${n} ms`),
  ].join('\n\n');
}
