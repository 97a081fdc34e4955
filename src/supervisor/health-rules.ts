import type { AppOptions } from '../config/index.js';
import { formatBytes } from '../config/units.js';
import type { WorkerStats } from '../ipc/messages.js';

// What a worker's latest report means: the memory limit, a sustained event-loop
// delay, and the app's own health check. Pure, so that the rules are tested apart.

/** Per-worker memory of past reports. */
export interface HealthState {
  delayedReports: number;
  delayWarned: boolean;
  failedChecks: number;
}

export const freshHealthState = (): HealthState => ({ delayedReports: 0, delayWarned: false, failedChecks: 0 });

export type HealthVerdict =
  | { action: 'none' }
  | { action: 'warn'; kind: 'event-loop-delay'; detail: string }
  | { action: 'replace'; kind: 'memory-limit' | 'event-loop-delay' | 'health-check'; detail: string };

/** Judge one report; updates `state`. */
export function judgeReport(stats: WorkerStats, state: HealthState, app: AppOptions): HealthVerdict {
  if (app.max_memory_restart !== undefined && stats.rss > app.max_memory_restart) {
    return { action: 'replace', kind: 'memory-limit', detail: `RSS ${formatBytes(stats.rss)} is over max_memory_restart ${formatBytes(app.max_memory_restart)}` };
  }

  if (stats.health && !stats.health.ok) {
    state.failedChecks += 1;
    if (state.failedChecks >= app.health_check_failures) {
      state.failedChecks = 0;
      return { action: 'replace', kind: 'health-check', detail: `health check failed ${app.health_check_failures} times in a row: ${stats.health.reason}` };
    }
  } else {
    state.failedChecks = 0;
  }

  if (stats.eventLoopDelay.p99 > app.event_loop_delay_limit) {
    state.delayedReports += 1;
    if (state.delayedReports >= app.event_loop_delay_reports && !state.delayWarned) {
      state.delayWarned = true;
      const detail = `event-loop delay p99 ${stats.eventLoopDelay.p99} ms (max ${stats.eventLoopDelay.max} ms) over ${app.event_loop_delay_limit} ms for ${state.delayedReports} reports`;
      return app.restart_on_event_loop_delay ? { action: 'replace', kind: 'event-loop-delay', detail } : { action: 'warn', kind: 'event-loop-delay', detail };
    }
  } else {
    state.delayedReports = 0;
    state.delayWarned = false;
  }
  return { action: 'none' };
}
