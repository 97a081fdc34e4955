import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { WorkerStats } from '../ipc/messages.js';
import { runHealthCheck } from './api.cjs';
import type { ServerTracker } from './server-tracker.js';

const NS_PER_MS = 1e6;
// The histogram samples the loop every RESOLUTION_MS and records the time between
// samples, so an idle loop reads as RESOLUTION_MS: that much is not delay.
const RESOLUTION_MS = 10;

/**
 * Every `intervalMs`, gather the worker's figures and hand them to `send`. The report
 * is the heartbeat too: a worker whose event loop is blocked sends none. Costs one
 * timer tick and a handful of syscalls per interval; nothing per request.
 */
export function startStatsReporter(tracker: ServerTracker, intervalMs: number, send: (stats: WorkerStats) => void): void {
  const started = Date.now();
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  let checking = false;

  const report = async () => {
    // A health check still running from the last tick is not started twice.
    if (checking) return;
    checking = true;
    const health = await runHealthCheck(intervalMs);
    checking = false;
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const memory = process.memoryUsage();
    send({
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 1000) / 10,
      eventLoopDelay: {
        p50: lateness(delay.percentile(50)),
        p99: lateness(delay.percentile(99)),
        max: lateness(delay.max),
      },
      requestsServed: tracker.requestsServed,
      requestsInFlight: tracker.inFlight,
      connections: tracker.connections.size,
      uptimeMs: Date.now() - started,
      health,
      ...(tracker.durations ? { requestDurations: tracker.durations.snapshot() } : {}),
    });
    lastCpu = process.cpuUsage();
    lastAt = now;
    delay.reset();
  };
  // The first report comes early, so that a worker is known to be alive from the start.
  setTimeout(() => void report(), Math.min(intervalMs, 100)).unref();
  setInterval(() => void report(), intervalMs).unref();
}

const lateness = (ns: number) => Math.max(0, Math.round((ns / NS_PER_MS - RESOLUTION_MS) * 100) / 100);
