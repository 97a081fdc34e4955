import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatChart } from '../../src/bench/chart.js';
import type { LoadFigures } from '../../src/bench/load.js';
import { benchOptions, defaultWorkerCounts } from '../../src/bench/options.js';
import { compareRows, medianFigures, recommendFromRows } from '../../src/bench/results.js';

// What bench makes of its measurements, on figures given here.

const figures = (rps: number, p99 = 10): LoadFigures => ({ rps, latency: { p50: 1, p97_5: p99 - 1, p99 }, errors: 0, requests: rps * 10 });
const rowsFor = (single: number, byWorkers: Record<number, number>) =>
  compareRows(
    figures(single),
    Object.entries(byWorkers).map(([workers, rps]) => ({ workers: Number(workers), figures: figures(rps) })),
  );

describe('bench results', () => {
  it('speedup over the plain process, and per worker', () => {
    const rows = rowsFor(1000, { 1: 950, 2: 1900 });
    assert.deepEqual(
      rows.map((row) => [row.target, row.workers, row.speedup, row.efficiency]),
      [
        ['single', 1, 1, 1],
        ['drover', 1, 0.95, 0.95],
        ['drover', 2, 1.9, 0.95],
      ],
    );
  });

  it('stops at the count after which a step adds under 10 %', () => {
    const recommendation = recommendFromRows(rowsFor(1000, { 1: 980, 2: 1900, 4: 1957 }))!;
    assert.equal(recommendation.workers, 2);
    assert.equal(recommendation.text, '2 workers: 1.90x; 4 add 3 %: stop at 2; drover with 1 worker ran at 0.98x of plain node');
  });

  it('a step that loses says so', () => {
    assert.equal(recommendFromRows(rowsFor(1000, { 1: 1300, 2: 870 }))!.text, '1 worker: 1.30x; 2 lose 33 %: stop at 1');
  });

  it('over rounds: the median of each figure, the sum of errors, each round\'s req/s kept', () => {
    const rounds = [figures(900, 12), { ...figures(1200, 30), errors: 2 }, figures(1000, 10)];
    assert.deepEqual(medianFigures(rounds), { rps: 1000, latency: { p50: 1, p97_5: 11, p99: 12 }, errors: 2, requests: 31_000, rpsByRound: [900, 1200, 1000] });
  });

  it('every step still gains: the largest count, and try more', () => {
    const recommendation = recommendFromRows(rowsFor(1000, { 1: 1000, 2: 1900, 4: 3600 }))!;
    assert.equal(recommendation.workers, 4);
    assert.match(recommendation.text, /^4 workers: 3\.60x, and every step gained 10 % or more/);
  });

  it('no count beats one process by 15 %: run one process', () => {
    const recommendation = recommendFromRows(rowsFor(1000, { 1: 800, 2: 1100 }))!;
    assert.equal(recommendation.workers, 1);
    assert.match(recommendation.text, /^clustering does not help this route here: the best, 2 workers, ran at 1\.10x of one process; drover with 1 worker ran at 0\.80x/);
  });

  it('a chart bar per row, scaled to the largest', () => {
    const chart = formatChart(rowsFor(1000, { 2: 2000 }));
    assert.match(chart, /^req\/s \(longer is better\)\n {2}plain node {2}#{20} {22}1,000\n {2}2 workers {3}#{40} {2}2,000\n/);
  });
});

describe('bench options', () => {
  it('defaults, and the counts run when not told: powers of two up to the most, and the most', () => {
    assert.deepEqual(benchOptions({}), { route: '/', durationMs: 10_000, connections: 100, workers: undefined, rounds: 1, json: false });
    assert.deepEqual(defaultWorkerCounts(1), [1]);
    assert.deepEqual(defaultWorkerCounts(2), [1, 2]);
    assert.deepEqual(defaultWorkerCounts(7), [1, 2, 4, 7]);
    assert.deepEqual(defaultWorkerCounts(8), [1, 2, 4, 8]);
  });

  it('worker counts are sorted and deduplicated; each bad value gets its own line', () => {
    assert.deepEqual(benchOptions({ workers: '4, 2,2,1' }).workers, [1, 2, 4]);
    assert.throws(() => benchOptions({ route: 'cpu', connections: '0' }), {
      code: 'DROVER_E_INVALID_OPTION',
      message: 'bench --route: expected a path starting with /, such as /cpu or /api?id=1, got `cpu`\nbench --connections: expected a whole number from 1 to 10000, got `0`',
    });
  });
});
