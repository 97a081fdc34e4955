import { REQUEST_BUCKETS, type WorkerStats } from '../ipc/messages.js';
import type { RestartReason } from '../supervisor/events.js';
import type { WorkerState } from '../supervisor/worker-state.js';
import { Exposition } from './exposition.js';
import type { RequestTotals } from './request-counts.js';

/** How reloads ended, counted since the supervisor started. */
export type ReloadOutcome = 'ok' | 'failed' | 'rolled_back';

/** What drover's own metrics are made of, read at the moment of a scrape. */
export interface DroverFigures {
  app: string;
  /** Slots the app is meant to have. */
  desired: number;
  /** Every live worker process (candidates and draining ones too), with its latest report. */
  workers: { slot: number; pid: number; state: WorkerState; startedAt: number; stats: WorkerStats | undefined }[];
  /** Since the supervisor started; `drover reset` does not touch these. */
  restarts: Readonly<Record<RestartReason, number>>;
  reloads: Readonly<Record<ReloadOutcome, number>>;
  requests: RequestTotals;
  /** Workers that answered this scrape, and those that did not (their last known counts stand in). */
  answered: { ok: number; noAnswer: number };
  /** Why the app's metrics could not be aggregated, if they could not. */
  appMetricsError: string | undefined;
}

const LIVE_STATES: readonly WorkerState[] = ['starting', 'listening', 'ready', 'draining'];

/** drover's own metrics, in the text format (the list is in the README, "Metrics"). */
export function formatDroverMetrics(figures: DroverFigures): string {
  const out = new Exposition();
  const app = { app: figures.app };

  out.family('drover_workers', 'gauge', 'Worker processes by state (a reload\'s new workers and draining ones included).');
  for (const state of LIVE_STATES) out.sample('drover_workers', { ...app, state }, figures.workers.filter((worker) => worker.state === state).length);
  out.family('drover_workers_desired', 'gauge', 'Worker slots the app is meant to have.').sample('drover_workers_desired', app, figures.desired);

  out.family('drover_restarts_total', 'counter', 'Workers restarted or replaced, by reason, since the supervisor started.');
  for (const [reason, count] of Object.entries(figures.restarts)) out.sample('drover_restarts_total', { ...app, reason: reason.replace(/-/g, '_') }, count);
  out.family('drover_reloads_total', 'counter', 'Reloads by result, since the supervisor started.');
  for (const [result, count] of Object.entries(figures.reloads)) out.sample('drover_reloads_total', { ...app, result }, count);

  // Per worker: labelled by slot and pid, since a reload runs two workers in one slot for a moment.
  const reporting = figures.workers.filter((worker) => worker.stats !== undefined);
  const perWorker = (name: string, help: string, pick: (stats: WorkerStats) => number) => {
    out.family(name, 'gauge', help);
    for (const { slot, pid, stats } of reporting) out.sample(name, { ...app, slot, pid }, pick(stats!));
  };
  out.family('drover_worker_start_time_seconds', 'gauge', 'When the worker started, in seconds since the Unix epoch.');
  for (const { slot, pid, startedAt } of figures.workers) out.sample('drover_worker_start_time_seconds', { ...app, slot, pid }, startedAt / 1000);
  perWorker('drover_worker_resident_memory_bytes', "The worker's resident memory (RSS).", (stats) => stats.rss);
  perWorker('drover_worker_heap_used_bytes', "The worker's V8 heap in use.", (stats) => stats.heapUsed);
  perWorker('drover_worker_heap_total_bytes', "The worker's V8 heap size.", (stats) => stats.heapTotal);
  perWorker('drover_worker_cpu_ratio', 'CPU time of the worker over its last stats interval, as a share of one core.', (stats) => stats.cpuPercent / 100);
  // `stat`, not `quantile`: that label belongs to summaries, and these are gauges.
  out.family('drover_worker_event_loop_delay_seconds', 'gauge', "Event-loop delay over the worker's last stats interval: its median (stat p50), p99 and max.");
  for (const { slot, pid, stats } of reporting) {
    const delay = stats!.eventLoopDelay;
    for (const [stat, ms] of [['p50', delay.p50], ['p99', delay.p99], ['max', delay.max]] as const) {
      out.sample('drover_worker_event_loop_delay_seconds', { ...app, slot, pid, stat }, ms / 1000);
    }
  }
  perWorker('drover_worker_requests_in_flight', 'Requests the worker is answering now.', (stats) => stats.requestsInFlight);
  perWorker('drover_worker_open_connections', 'Connections open to the worker (HTTP, upgraded, raw TCP).', (stats) => stats.connections);

  const { requests } = figures;
  out.family('drover_http_requests_total', 'counter', "HTTP requests the app's servers received, every worker since the app started (exited workers' last counts included).");
  out.sample('drover_http_requests_total', app, requests.served);
  if (requests.durations) {
    const name = 'drover_http_request_duration_seconds';
    out.family(name, 'histogram', "Time from a request's arrival to the end of its response, measured by drover's worker runtime, every worker since the app started.");
    let cumulative = 0;
    REQUEST_BUCKETS.forEach((bound, i) => {
      cumulative += requests.durations!.counts[i]!;
      out.sample(`${name}_bucket`, { ...app, le: bound }, cumulative);
    });
    cumulative += requests.durations.counts[REQUEST_BUCKETS.length]!;
    out.sample(`${name}_bucket`, { ...app, le: '+Inf' }, cumulative);
    out.sample(`${name}_sum`, app, requests.durations.sum);
    out.sample(`${name}_count`, app, cumulative);
  }

  const cpu = process.cpuUsage();
  out.family('drover_supervisor_cpu_seconds_total', 'counter', "CPU time of the supervisor's process (user and system).").sample('drover_supervisor_cpu_seconds_total', app, (cpu.user + cpu.system) / 1e6);
  out.family('drover_supervisor_resident_memory_bytes', 'gauge', "The supervisor's resident memory (RSS).").sample('drover_supervisor_resident_memory_bytes', app, process.memoryUsage.rss());
  out.family('drover_scrape_workers', 'gauge', "Workers that answered this scrape with their counts and the app's metrics, and those that did not in time (their last known values stand in).");
  out.sample('drover_scrape_workers', { ...app, answer: 'ok' }, figures.answered.ok);
  out.sample('drover_scrape_workers', { ...app, answer: 'none' }, figures.answered.noAnswer);
  out.family('drover_app_metrics_error', 'gauge', "1 when the app's prom-client metrics could not be aggregated at this scrape (the supervisor's log says why).");
  out.sample('drover_app_metrics_error', app, figures.appMetricsError === undefined ? 0 : 1);
  return out.text();
}
