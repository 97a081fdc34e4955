import { formatBytes, formatDuration } from '../config/units.js';
import type { AppSnapshot } from '../supervisor/index.js';
import { formatTable } from '../log/text-table.js';

/** A compact table of an app's workers and their latest figures, for `drover run --stats`. */
export function formatStatsTable(snapshot: AppSnapshot): string {
  const header = ['slot', 'pid', 'state', 'uptime', 'restarts', 'cpu', 'rss', 'heap', 'loop p99', 'requests', 'in flight', 'conns'];
  const rows = snapshot.workers.map((worker) => {
    const stats = worker.stats;
    return [
      String(worker.slot),
      String(worker.pid),
      worker.state,
      formatDuration(worker.uptimeMs),
      String(worker.restarts),
      stats ? `${stats.cpuPercent}%` : '-',
      stats ? formatBytes(stats.rss) : '-',
      stats ? formatBytes(stats.heapUsed) : '-',
      stats ? `${stats.eventLoopDelay.p99} ms` : '-',
      stats ? String(stats.requestsServed) : '-',
      stats ? String(stats.requestsInFlight) : '-',
      stats ? String(stats.connections) : '-',
    ];
  });
  const restarts = Object.entries(snapshot.restarts)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const { totals } = snapshot;
  const summary = `${snapshot.name}: ${snapshot.workers.length} workers, ${formatBytes(totals.rss)} RSS, ${totals.requestsServed} requests, restarts: ${restarts || 'none'}`;
  return `${summary}\n${formatTable(header, rows)}`;
}
