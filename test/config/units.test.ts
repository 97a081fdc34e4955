import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStatsTable } from '../../src/cli/stats-table.js';
import { APP_DEFAULTS, formatBytes, parseSize } from '../../src/config/index.js';
import type { AppOptions } from '../../src/config/index.js';
import { judgeReport, freshHealthState } from '../../src/supervisor/health-rules.js';
import type { WorkerStats } from '../../src/ipc/messages.js';

// One unit system for sizes everywhere: K, M and G are read as powers of 1024 (PM2's),
// and every size drover prints is labelled as such (KiB, MiB, GiB), so what a user
// writes ('300M') comes back as the same number ('300 MiB') in ls, config, describe,
// the stats table and the memory-limit message.

const MiB = 1024 ** 2;

describe('size units', () => {
  it('formatBytes labels powers of 1024, and reads back what parseSize read', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(150 * MiB), '150 MiB');
    assert.equal(formatBytes(1024 ** 4), '1 TiB');
    for (const written of ['512K', '300M', '1G', '1.5G']) {
      assert.equal(formatBytes(parseSize(written)!), `${written.slice(0, -1)} ${written.at(-1)}iB`, written);
    }
  });

  it('the memory-limit message and the stats table use the same units', () => {
    const stats = { rss: 320 * MiB, heapUsed: 40 * MiB } as WorkerStats;
    const report = { ...stats, heapTotal: 64 * MiB, cpuPercent: 1, requestsServed: 0, requestsInFlight: 0, connections: 0, eventLoopDelay: { p50: 1, p99: 1, max: 1 } } as WorkerStats;
    const app = { ...APP_DEFAULTS, max_memory_restart: parseSize('300M') } as unknown as AppOptions;
    const verdict = judgeReport(report, freshHealthState(), app);
    assert.equal(verdict.action === 'replace' && verdict.detail, 'RSS 320 MiB is over max_memory_restart 300 MiB');
    const table = formatStatsTable({
      name: 'api',
      workers: [{ slot: 0, pid: 1, state: 'ready', uptimeMs: 1000, restarts: 0, stats: report }],
      degraded: undefined,
      restarts: { crash: 0, unresponsive: 0, 'memory-limit': 0, 'event-loop-delay': 0, 'health-check': 0, requested: 0 },
      totals: { rss: 320 * MiB, requestsServed: 0, requestsInFlight: 0, connections: 0 },
      store: undefined,
      bus: { pending: 0 },
    });
    assert.match(table, /^api: 1 workers, 320 MiB RSS/);
    assert.match(table, /320 MiB\s+40 MiB/);
  });
});
