import type { EventEmitter } from 'node:events';
import type { AppOptions } from '../config/index.js';
import { formatDuration } from '../config/units.js';
import { describeCapture } from '../inspector/format-stack.js';
import { describeExitAfter } from './describe-exit.js';
import type { SupervisorEvents } from './events.js';
import { describeReloadEnd } from './reloader.js';
import type { Timeline, TimelineKind } from './timeline.js';
import type { WorkerInfo, WorkerView } from './worker-handle.js';
import type { WorkerPool } from './worker-pool.js';
import { drainReason } from './worker-state.js';

/**
 * Fill an app's timeline from the lifecycle stream and the supervisor's events: one
 * entry per thing that happened, in the order it happened, in words a person can act
 * on. Nothing else writes to the timeline.
 */
export function recordTimeline(timeline: Timeline, appOf: () => AppOptions, pool: WorkerPool, supervisor: EventEmitter<SupervisorEvents>): void {
  const add = (kind: TimelineKind, worker: WorkerView | WorkerInfo | undefined, detail: string, stderrTail?: string[]) =>
    timeline.add({ kind, slot: worker?.slot, pid: worker?.pid, detail, ...(stderrTail ? { stderrTail } : {}) });
  let stopping = false;

  pool.on('spawn', (worker) => add('spawned', worker, worker.role === 'candidate' ? 'started (to replace the current worker)' : 'started'));
  pool.on('listening', (worker, address) => add('listening', worker, `listening on ${'path' in address ? address.path : `${address.address}:${address.port}`}`));
  pool.on('transition', (worker, _from, to) => {
    if (to === 'ready' && appOf().wait_ready) add('ready', worker, 'ready');
    if (to === 'draining' && worker.intent) add('draining', worker, `draining (${drainReason(worker.intent)})`);
  });
  pool.on('killed', (worker, _report, why) =>
    add('killed', worker, why === 'forced' ? 'killed by a second signal' : `still draining at kill_timeout ${formatDuration(appOf().kill_timeout)}: killed`),
  );
  pool.on('ipc-invalid', (worker, why) => add('ipc-invalid', worker, `dropped a malformed message from the worker: ${why}`));
  // An exit drover asked for; crashes are told by the 'crash' event below.
  pool.on('exit', (worker, facts) => {
    if ((facts.intent !== undefined && facts.intent !== 'unresponsive') || stopping) add('exited', worker, `exited with ${worker.exitedWith}`);
  });

  supervisor.on('stopping', () => (stopping = true));
  supervisor.on('crash', (report) => {
    const exit = describeExitAfter(report.code, report.signal, report.uptime);
    const cause = report.cause ? `: ${report.cause}` : '';
    add(report.killed ? 'exited' : 'crashed', report.worker, `${report.killed ? 'killed' : 'crashed'} with ${exit}${cause}`, report.stderrTail);
    const { decision } = report;
    if (decision.action === 'restart') {
      add('restarting', report.worker, `restarting worker ${report.worker.slot} in ${formatDuration(decision.delay)} (${report.killed ? 'unresponsive' : 'crash'})`);
    }
  });
  supervisor.on('unresponsive', (worker, silentMs, stack) =>
    add('unresponsive', worker, `unresponsive for ${formatDuration(silentMs)} (no heartbeat), ${describeCapture(stack, appOf().cwd)}: killed and replaced`),
  );
  supervisor.on('health-warning', (worker, detail, kind) => add(kind, worker, detail));
  supervisor.on('replacing', (worker, reason, detail) => add(reason as TimelineKind, worker, `${detail}: replacing it`));
  const replaced = (entry: { slot: number; oldPid: number | undefined; newPid: number; startupMs: number }) =>
    add('replaced', { slot: entry.slot, pid: entry.newPid, state: 'ready', startedAt: 0 }, `replaced ${entry.oldPid === undefined ? 'an empty slot' : `pid ${entry.oldPid}`} (up after ${formatDuration(entry.startupMs)})`);
  supervisor.on('replaced', (entry) => replaced(entry));
  supervisor.on('reload-replaced', replaced);
  const why = (reason: string | undefined) => (reason ? ` (${reason})` : '');
  supervisor.on('reload-start', (slots, batch, reason) => add('reload-started', undefined, `reload of ${slots} worker(s), ${batch} at a time${why(reason)}`));
  supervisor.on('reload-end', (result) => add('reload-finished', undefined, describeReloadEnd(result)));
  supervisor.on('restarting', (workers, reason) => add('restart', undefined, `restart of ${workers.length} worker(s) ${reason ? `(${reason})` : 'requested'}`));
  supervisor.on('scaled', (from, to) => add('scaled', undefined, `scaled from ${from} to ${to} worker(s)`));
  supervisor.on('warning', (message) => add('warning', undefined, message));
  supervisor.on('updated', (changed) => add('config-updated', undefined, `config updated (${changed.join(', ') || 'nothing changed'}): reloading`));
}
