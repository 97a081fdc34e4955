import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAppOptions } from '../../src/config/index.js';
import type { WorkerStats } from '../../src/ipc/messages.js';
import { freshHealthState, judgeReport } from '../../src/supervisor/health-rules.js';
import { example } from '../helpers/drover-process.js';

const MB = 1024 * 1024;
const app = (options: Record<string, unknown> = {}) => validateAppOptions({ script: example('hello/server.js'), ...options });
const report = (overrides: Partial<WorkerStats> = {}): WorkerStats => ({
  rss: 80 * MB,
  heapUsed: 10 * MB,
  heapTotal: 20 * MB,
  cpuPercent: 5,
  eventLoopDelay: { p50: 0, p99: 1, max: 2 },
  requestsServed: 0,
  requestsInFlight: 0,
  connections: 0,
  uptimeMs: 1000,
  health: undefined,
  ...overrides,
});

describe('judgeReport', () => {
  it('a healthy report: nothing to do', () => {
    assert.deepEqual(judgeReport(report(), freshHealthState(), app({ max_memory_restart: '300M' })), { action: 'none' });
  });

  it('RSS over max_memory_restart: replace, naming the figure and the limit', () => {
    assert.deepEqual(judgeReport(report({ rss: 320 * MB }), freshHealthState(), app({ max_memory_restart: '300M' })), {
      action: 'replace',
      kind: 'memory-limit',
      detail: 'RSS 320 MiB is over max_memory_restart 300 MiB',
    });
  });

  it('event-loop delay: a warning after N reports in a row, once per episode; a restart only when asked', () => {
    const state = freshHealthState();
    const slow = report({ eventLoopDelay: { p50: 150, p99: 450, max: 900 } });
    const options = app({ event_loop_delay_limit: 200, event_loop_delay_reports: 3 });
    assert.equal(judgeReport(slow, state, options).action, 'none');
    assert.equal(judgeReport(slow, state, options).action, 'none');
    assert.deepEqual(judgeReport(slow, state, options), {
      action: 'warn',
      kind: 'event-loop-delay',
      detail: 'event-loop delay p99 450 ms (max 900 ms) over 200 ms for 3 reports',
    });
    assert.equal(judgeReport(slow, state, options).action, 'none', 'warned once');
    judgeReport(report(), state, options);
    for (let i = 0; i < 2; i++) judgeReport(slow, state, options);
    assert.equal(judgeReport(slow, state, options).action, 'warn', 'a new episode warns again');

    const restarting = freshHealthState();
    const optIn = app({ event_loop_delay_limit: 200, event_loop_delay_reports: 1, restart_on_event_loop_delay: true });
    assert.equal(judgeReport(slow, restarting, optIn).action, 'replace');
  });

  it("the app's health check: replace after health_check_failures failures in a row", () => {
    const state = freshHealthState();
    const failing = report({ health: { ok: false, reason: 'db down' } });
    const options = app({ health_check_failures: 2 });
    assert.equal(judgeReport(failing, state, options).action, 'none');
    assert.equal(judgeReport(report({ health: { ok: true } }), state, options).action, 'none', 'a pass resets the count');
    assert.equal(judgeReport(failing, state, options).action, 'none');
    assert.deepEqual(judgeReport(failing, state, options), {
      action: 'replace',
      kind: 'health-check',
      detail: 'health check failed 2 times in a row: db down',
    });
  });
});
