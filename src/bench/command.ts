import { existsSync } from 'node:fs';
import path from 'node:path';
import { detectCapacity, workerCounts } from '../capacity/index.js';
import { typeScriptSupport } from '../config/typescript.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import { formatTable } from '../log/text-table.js';
import { formatChart } from './chart.js';
import { loadUrl, type LoadFigures } from './load.js';
import { benchOptions, defaultWorkerCounts, type BenchFlags, type BenchOptions } from './options.js';
import { ProgressBar } from './progress.js';
import { compareRows, medianFigures, recommendFromRows, type BenchRecommendation, type BenchRow } from './results.js';
import { killAllServers, startServer, statusOf } from './servers.js';

/** Load before each measurement, not counted: JIT warm-up, connections opened, workers' caches filled. */
const WARMUP_MS = 1000;

/** What `drover bench --json` prints. */
export interface BenchReport {
  target: string;
  route: string;
  durationMs: number;
  warmupMs: number;
  connections: number;
  rounds: number;
  machine: { cpus: number; cpuAllowance: number; loadGenerator: string };
  rows: BenchRow[];
  recommendation: BenchRecommendation | null;
}

/**
 * `drover bench <script | url>`: load the app as one plain process, then under drover
 * with each worker count, and compare; or load a URL that is already served.
 */
export async function benchCommand(target: string, args: readonly string[], flags: BenchFlags): Promise<number> {
  const options = benchOptions(flags);
  const isUrl = /^https?:\/\//i.test(target);
  if (isUrl && options.workers !== undefined) throw new InvalidOptionError(['bench --workers: a URL is one server that is already running; --workers is for a script, which drover starts']);
  const capacity = detectCapacity();
  const cpus = workerCounts(capacity, 1).cpu;
  // The load generator runs on this machine too: where there is more than two CPUs, the counts stop one short to leave it one.
  const most = cpus > 2 ? cpus - 1 : cpus;
  const workers = isUrl ? [] : (options.workers ?? defaultWorkerCounts(most));
  const note =
    'autocannon runs in this process, on this machine: it takes CPU the server would have, so the figures are lower than a load from another machine shows' +
    (cpus > 2 && Math.max(0, ...workers) < cpus
      ? `; ${cpus} CPUs here, and the worker counts leave it one`
      : `; it competes with the workers for the ${cpus === 1 ? 'one CPU' : `${cpus} CPUs`} here`);

  const progress = new ProgressBar(options.rounds * (1 + workers.length) * (WARMUP_MS + options.durationMs));
  // However the bench ends (Ctrl-C included), every server it started goes.
  const interrupted = (signal: NodeJS.Signals) => {
    progress.end();
    killAllServers();
    process.stderr.write(`drover bench: stopped by ${signal}; every server it started is stopped\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.once('exit', killAllServers);
  let rows: BenchRow[];
  try {
    rows = isUrl ? await benchUrl(target, options, progress) : await benchScript(target, args, options, workers, progress);
  } finally {
    progress.end();
    killAllServers();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    process.off('exit', killAllServers);
  }
  const report: BenchReport = {
    target,
    route: options.route,
    durationMs: options.durationMs,
    warmupMs: WARMUP_MS,
    connections: options.connections,
    rounds: options.rounds,
    machine: { cpus: capacity.hostCpus, cpuAllowance: capacity.cpuAllowance, loadGenerator: note },
    rows,
    recommendation: isUrl ? null : recommendFromRows(rows),
  };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return 0;
}

async function benchUrl(target: string, options: BenchOptions, progress: ProgressBar): Promise<BenchRow[]> {
  let url: string;
  try {
    url = flagsRoute(target, options.route);
  } catch {
    throw new InvalidOptionError([`bench: ${target} is not a URL`]);
  }
  const status = await statusOf(url, 5000);
  if (status === undefined) throw new DroverError('DROVER_E_BENCH_TARGET', `nothing answered ${url} within 5 s: is the server running, and on that address?`);
  if (status >= 400) throw new DroverError('DROVER_E_BENCH_TARGET', `${url} answers with status ${status}: bench a URL that answers 2xx`);
  const rounds: LoadFigures[] = [];
  for (let round = 1; round <= options.rounds; round++) rounds.push(await measure(url, options, progress, roundLabel('the URL', round, options)));
  return [{ ...medianFigures(rounds), target: 'url', workers: null, speedup: null, efficiency: null }];
}

// A URL's own path, unless --route names another.
function flagsRoute(target: string, route: string): string {
  const url = new URL(target);
  return route === '/' ? url.href : new URL(route, url).href;
}

async function benchScript(target: string, args: readonly string[], options: BenchOptions, workers: number[], progress: ProgressBar): Promise<BenchRow[]> {
  const script = path.resolve(target);
  if (!existsSync(script)) throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `script not found: ${target} (looked for ${script})`);
  let nodeArgs: string[] = [];
  if (/\.[cm]?ts$/.test(script)) {
    const support = typeScriptSupport(script);
    if (support.kind === 'none') throw new DroverError('DROVER_E_TYPESCRIPT_UNSUPPORTED', `${target}: ${support.advice}`);
    nodeArgs = support.nodeArgs;
  }
  const app = { path: script, nodeArgs, args };
  // undefined: the plain process.
  const targets: (number | undefined)[] = [undefined, ...workers];
  const figures = new Map<number | undefined, LoadFigures[]>(targets.map((target) => [target, []]));
  for (let round = 1; round <= options.rounds; round++) {
    // The order rotates each round, so that a machine growing busier or quieter hits every target alike.
    const shift = (round - 1) % targets.length;
    for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) figures.get(target)!.push(await runOne(app, options, target, progress, round));
  }
  return compareRows(
    medianFigures(figures.get(undefined)!),
    workers.map((count) => ({ workers: count, figures: medianFigures(figures.get(count)!) })),
  );
}

const roundLabel = (label: string, round: number, options: BenchOptions) => (options.rounds > 1 ? `round ${round}/${options.rounds}, ${label}` : label);

async function runOne(app: Parameters<typeof startServer>[0], options: BenchOptions, workers: number | undefined, progress: ProgressBar, round: number): Promise<LoadFigures> {
  const server = await startServer(app, options.route, workers);
  try {
    return await measure(server.url, options, progress, roundLabel(workers === undefined ? 'plain node' : `${workers} worker${workers === 1 ? '' : 's'}`, round, options));
  } finally {
    await server.stop();
  }
}

async function measure(url: string, options: BenchOptions, progress: ProgressBar, label: string): Promise<LoadFigures> {
  progress.phase(`${label}: warm-up`, WARMUP_MS);
  await loadUrl(url, options.connections, WARMUP_MS);
  progress.phase(`${label}: load`, options.durationMs);
  return loadUrl(url, options.connections, options.durationMs);
}

function formatReport(report: BenchReport): string {
  const header = ['target', 'req/s', 'p50', 'p97.5', 'p99', 'errors', 'speedup', 'per worker'];
  const ms = (value: number) => `${value} ms`;
  const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(2)}x`);
  const rows = report.rows.map((row) => [
    row.target === 'single' ? 'plain node' : row.target === 'url' ? 'url' : `drover -i ${row.workers}`,
    Math.round(row.rps).toLocaleString('en-US'),
    ms(row.latency.p50),
    ms(row.latency.p97_5),
    ms(row.latency.p99),
    String(row.errors),
    ratio(row.speedup),
    row.efficiency === null ? '-' : row.efficiency.toFixed(2),
  ]);
  const lines = [
    `drover bench: ${report.target}${report.target.includes('://') ? '' : ` ${report.route}`}, ${report.connections} keep-alive connections, ${report.durationMs / 1000} s each after a ${report.warmupMs / 1000} s warm-up` +
      `${report.rounds > 1 ? `, ${report.rounds} rounds (medians; the order rotates)` : ''}, Node.js ${process.version}`,
    `load generator: ${report.machine.loadGenerator}`,
    '',
    formatTable(header, rows),
    '',
    formatChart(report.rows),
  ];
  if (report.recommendation) lines.push('', `recommendation: ${report.recommendation.text}`);
  if (report.rows.some((row) => row.errors > 0)) lines.push('', 'errors: connection errors, timeouts and answers that were not 2xx; a figure with errors is not comparable');
  return `${lines.join('\n')}\n`;
}
