import { formatDuration } from '../config/units.js';
import { describeCapture } from '../inspector/format-stack.js';
import { consoleOutput, type Output } from '../log/console-output.js';
import { describeExitAfter } from '../supervisor/describe-exit.js';
import type { Supervisor, WorkerAddress, WorkerInfo } from '../supervisor/index.js';

/** Print one line per supervisor event, each prefixed with the app's name. */
export function reportSupervisor(supervisor: Supervisor, output: Output = consoleOutput): void {
  const prefix = `[drover] ${supervisor.app.name}:`;
  const info = (line: string) => output.info(`${prefix} ${line}`);
  const warn = (line: string) => output.warn(`${prefix} ${line}`);
  const who = (worker: WorkerInfo) => `worker ${worker.slot} (pid ${worker.pid})`;

  supervisor.on('ready', (workers, address) => {
    const count = `${workers.length} worker${workers.length === 1 ? '' : 's'}`;
    // A worker that never listens (a queue worker, a bot) is up once it has lived min_uptime.
    const what = supervisor.app.wait_ready ? 'ready' + (address ? ', listening' : '') : address ? 'listening' : `running, no port (up after min_uptime ${formatDuration(supervisor.app.min_uptime)})`;
    const where = address ? ` on ${describeAddress(address)}` : '';
    info(`${count} ${what}${where} (pids ${workers.map((w) => w.pid).join(', ')})`);
  });
  supervisor.on('slow-listen', (worker, waited) => {
    const what = supervisor.app.wait_ready ? "ready (no process.send('ready') yet)" : 'listening';
    warn(`${who(worker)} is not ${what} after ${formatDuration(waited)}; still waiting (listen_timeout)`);
  });
  supervisor.on('unresponsive', (worker, silentMs, stack) => {
    warn(`${who(worker)} unresponsive for ${formatDuration(silentMs)} (no heartbeat within heartbeat_timeout), ${describeCapture(stack, supervisor.app.cwd)}: killed and replaced`);
  });
  supervisor.on('health-warning', (worker, detail) => warn(`${who(worker)}: ${detail}`));
  supervisor.on('warning', (message) => warn(message));
  supervisor.on('replacing', (worker, _reason, detail) => warn(`${who(worker)}: ${detail}: starting its replacement, then draining it`));
  supervisor.on('replaced', (entry, reason) =>
    info(`worker ${entry.slot} replaced (${reason}): pid ${entry.newPid} serving, pid ${entry.oldPid ?? '-'} draining`),
  );
  supervisor.on('replace-failed', (worker, reason, why) => warn(`${who(worker)}: its replacement (${reason}) failed: ${why}; it keeps serving`));
  supervisor.on('crash', (report) => {
    // An unresponsive worker's kill is reported when it happens; its exit adds nothing.
    if (report.killed) return;
    const how = describeExitAfter(report.code, report.signal, report.uptime);
    const cause = report.cause ? (report.sameCauseAsBefore ? ' (same error as before)' : `: ${report.cause}`) : '';
    const { decision } = report;
    if (decision.action === 'not-restarted') {
      (report.code === 0 ? info : warn)(`${who(report.worker)} exited with ${how}${cause}; not restarted: ${decision.why}`);
      return;
    }
    const next =
      decision.action === 'restart'
        ? `; restarting in ${formatDuration(decision.delay)}${report.unstable ? ` (${decision.unstableInARow}/${supervisor.app.max_restarts} quick crashes)` : ''}`
        : '';
    warn(`${who(report.worker)} ${report.listened ? 'crashed' : 'crashed on start'} with ${how}${cause}${next}`);
  });
  let explained: unknown;
  supervisor.on('give-up', (error) => {
    explained = error;
    const [first, ...rest] = error.message.split('\n');
    warn([`${first} [${error.code}]`, ...rest].join('\n'));
  });
  supervisor.on('stopping', (reason, delay) => {
    const first = delay > 0 ? `serving for shutdown_delay ${formatDuration(delay)} (not ready any more), then ` : '';
    info(`${reason}: ${first}draining ${supervisor.workers.length} worker(s), kill_timeout ${formatDuration(supervisor.app.kill_timeout)}`);
  });
  supervisor.on('killed', (worker, report, why) => {
    const open = report ? ` (${report.inFlightAtStart} request(s) in flight and ${report.connectionsAtStart} connection(s) open when the drain began)` : '';
    warn(`${who(worker)} ${why === 'forced' ? 'killed by a second signal' : `still draining at kill_timeout: killed`}${open}`);
  });
  supervisor.on('trigger', (detail) => info(detail));
  const why = (reason: string | undefined) => (reason ? ` (${reason})` : '');
  supervisor.on('restarting', (workers, reason) =>
    info(`restart${why(reason)}: ${workers.length} worker${workers.length === 1 ? '' : 's'} (pids ${workers.map((w) => w.pid).join(', ')}) draining; each starts afresh once gone`),
  );
  supervisor.on('reload-start', (slots, batch, reason) =>
    info(`reload${why(reason)}: replacing ${slots} worker${slots === 1 ? '' : 's'}, ${supervisor.app.reload_strategy === 'surge' ? 'all at once, each up and healthy before any old one drains (surge)' : `${batch} at a time`}`),
  );
  supervisor.on('reload-replaced', (entry) => {
    const old = entry.oldPid === undefined ? 'an empty slot' : `pid ${entry.oldPid}, now draining`;
    info(`reload: worker ${entry.slot} is pid ${entry.newPid} (up after ${formatDuration(entry.startupMs)}), replacing ${old}`);
  });
  supervisor.on('reload-end', (result) => {
    const pids = result.replaced.map((entry) => entry.newPid).join(', ');
    if (result.ok) {
      info(`reload done in ${formatDuration(result.durationMs)}: ${result.replaced.length} worker${result.replaced.length === 1 ? '' : 's'} replaced (pids ${pids})`);
      return;
    }
    const failure = result.failure!;
    const serving = supervisor.workers.map((w) => w.pid).join(', ');
    if (result.rolledBack) {
      warn(
        `reload rolled back after ${formatDuration(result.durationMs)}: the new worker ${failure.slot} (pid ${failure.pid}) ${failure.why}. ` +
          `Every new worker was stopped; the old ones never stopped serving (pids ${serving || 'none'})`,
      );
      return;
    }
    warn(
      `reload stopped after ${formatDuration(result.durationMs)}: the new worker ${failure.slot} (pid ${failure.pid}) ${failure.why}. ` +
        `${result.replaced.length} of ${supervisor.app.name}'s slots were replaced; the others keep their old workers (serving: pids ${serving || 'none'})`,
    );
  });
  supervisor.on('exit', (result) => {
    if (result.error && result.error !== explained) warn(`${result.error.message} [${result.error.code}]`);
    if (result.error) warn(`stopped with exit code ${result.exitCode}`);
    else info('all workers drained; stopped');
  });
}

function describeAddress(address: WorkerAddress): string {
  if ('path' in address) return address.path;
  const wildcard = address.address === '::' || address.address === '0.0.0.0';
  const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
