import type { LoadFigures } from './load.js';

/** One target's figures: the plain process ('single'), drover with N workers, or a URL. */
export interface BenchRow extends LoadFigures {
  target: 'single' | 'drover' | 'url';
  /** Workers under drover; 1 for the plain process; null for a URL (unknown). */
  workers: number | null;
  /** req/s over the plain process's; null where there is none to compare with. */
  speedup: number | null;
  /** The speedup per worker: 1.0 = each worker adds a whole process's throughput. */
  efficiency: number | null;
  /** req/s of each round (`rps` is their median). */
  rpsByRound: number[];
}

export interface BenchRecommendation {
  /** The worker count to run: 1 = one process. */
  workers: number;
  speedup: number;
  text: string;
}

/** A worker count that adds less than this over the one before is not worth its memory. */
export const WORTHWHILE_GAIN = 0.1;
/** Below this speedup over one process, clustering does not help. */
const HELPS = 1.15;

/** A target's figures; over several rounds, with each round's req/s. */
export type RoundFigures = LoadFigures & { rpsByRound?: number[] };

/** The median of each figure over the rounds (errors and requests: the sums), each round's req/s kept beside it. */
export function medianFigures(rounds: readonly LoadFigures[]): LoadFigures & { rpsByRound: number[] } {
  const median = (pick: (figures: LoadFigures) => number) => {
    const sorted = rounds.map(pick).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return {
    rps: median((f) => f.rps),
    latency: { p50: median((f) => f.latency.p50), p97_5: median((f) => f.latency.p97_5), p99: median((f) => f.latency.p99) },
    errors: rounds.reduce((sum, f) => sum + f.errors, 0),
    requests: rounds.reduce((sum, f) => sum + f.requests, 0),
    rpsByRound: rounds.map((f) => f.rps),
  };
}

/** Speedup and efficiency of each row against the plain process (the first row). */
export function compareRows(single: RoundFigures, clustered: { workers: number; figures: RoundFigures }[]): BenchRow[] {
  const rows: BenchRow[] = [{ ...single, rpsByRound: single.rpsByRound ?? [single.rps], target: 'single', workers: 1, speedup: 1, efficiency: 1 }];
  for (const { workers, figures } of clustered) {
    const speedup = single.rps > 0 ? figures.rps / single.rps : null;
    rows.push({ ...figures, rpsByRound: figures.rpsByRound ?? [figures.rps], target: 'drover', workers, speedup, efficiency: speedup === null ? null : speedup / workers });
  }
  return rows;
}

/**
 * How many workers the measurements justify: the count after which one more step
 * adds less than a tenth, or one process when no count beats it by 15 %.
 */
export function recommendFromRows(rows: readonly BenchRow[]): BenchRecommendation | null {
  const clustered = rows.filter((row) => row.target === 'drover' && row.speedup !== null);
  if (clustered.length === 0) return null;
  const best = clustered.reduce((a, b) => (b.rps > a.rps ? b : a));
  const x = (value: number) => `${value.toFixed(2)}x`;
  const one = clustered.find((row) => row.workers === 1);
  const overhead = one && best !== one ? `; drover with 1 worker ran at ${x(one.speedup!)} of plain node` : '';
  if (best.speedup! < HELPS) {
    return {
      workers: 1,
      speedup: 1,
      text: `clustering does not help this route here: the best, ${plural(best.workers!)}, ran at ${x(best.speedup!)} of one process${overhead}: run one process (-i 1), or find what limits it (I/O, a database, the load generator)`,
    };
  }
  let chosen = clustered[0]!;
  for (const next of clustered.slice(1)) {
    const gain = next.rps / chosen.rps - 1;
    if (gain < WORTHWHILE_GAIN) {
      const step = gain >= 0 ? `${next.workers} add ${percent(gain)}` : `${next.workers} lose ${percent(-gain)}`;
      return {
        workers: chosen.workers!,
        speedup: chosen.speedup!,
        text: `${plural(chosen.workers!)}: ${x(chosen.speedup!)}; ${step}: stop at ${chosen.workers}${overhead}`,
      };
    }
    chosen = next;
  }
  return {
    workers: chosen.workers!,
    speedup: chosen.speedup!,
    text: `${plural(chosen.workers!)}: ${x(chosen.speedup!)}, and every step gained ${percent(WORTHWHILE_GAIN)} or more: run ${chosen.workers}, and try more where there are more CPUs${overhead}`,
  };
}

const plural = (n: number) => (n === 1 ? '1 worker' : `${n} workers`);
const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
