import { formatBytes, formatDuration } from '../config/units.js';
import { callSupervisor, findRunningApps, selectRunningApps, stuck } from '../control/client.js';
import { InvalidOptionError } from '../errors/index.js';
import { colour, formatTable } from '../log/text-table.js';
import type { ReloadResult } from '../supervisor/index.js';
import type { StoreState } from '../store/backend.js';
import { displayRows } from './config-command.js';
import { dumpPath, supervisorLogPath } from '../home/paths.js';
import { forgetSaved } from './save-commands.js';
import { findStoppedApp, startAgain, stoppedApps } from './stopped-apps.js';
import { removeAppRecord } from '../home/registry.js';

/** How long `stop` waits past kill_timeout for a supervisor to be gone. */
const STOP_MARGIN_MS = 5000;
/** How long a command that starts workers (reload, restart, scale) waits for its supervisor's answer. */
const LIFECYCLE_TIMEOUT_MS = 120_000;

/** Stale and foreign sockets met on the way are reported on stderr. */
export const notice = (message: string) => process.stderr.write(`${message}\n`);

/** `drover ls`: every running app and its workers, from their supervisors. */
export async function lsCommand(flags: { json?: boolean; compact?: boolean }): Promise<number> {
  const apps = await findRunningApps(notice);
  const settled = await Promise.allSettled(
    apps.map((app) => (app.state === 'stuck' ? Promise.reject(stuck(app)) : callSupervisor(app.socket, 'GET /v1/status'))),
  );
  // A stuck supervisor does not hide the others: it is named on stderr.
  const statuses = settled.flatMap((outcome) => {
    if (outcome.status === 'fulfilled') return [outcome.value];
    notice(`drover: ${(outcome.reason as Error).message}`);
    return [];
  });
  // Background apps that ended stay listed, stopped or errored, until `drover delete`.
  const stopped = stoppedApps(apps);
  if (flags.json) {
    const ended = stopped.map(({ record, ending }) => ({ name: record.name, state: ending.status, ended: ending, workers: [] }));
    // compact: one line (jlist), for scripts that read a line.
    process.stdout.write(`${JSON.stringify([...statuses, ...ended], null, flags.compact ? undefined : 2)}\n`);
    return 0;
  }
  if (statuses.length === 0 && stopped.length === 0) {
    process.stdout.write('no app is running\n');
    return 0;
  }
  const header = ['app', 'slot', 'pid', 'state', 'uptime', 'restarts', 'cpu', 'memory', 'loop p99'];
  const rows = statuses.flatMap((status) => [
    ...status.workers.map((worker) => [
      status.name,
      String(worker.slot),
      String(worker.pid),
      worker.state,
      formatDuration(worker.uptimeMs),
      String(worker.restarts),
      worker.stats ? `${worker.stats.cpuPercent}%` : '-',
      worker.stats ? formatBytes(worker.stats.rss) : '-',
      worker.stats ? `${worker.stats.eventLoopDelay.p99} ms` : '-',
    ]),
    // Slots left empty by a crash loop given up on: the app serves with fewer workers.
    ...(status.degraded?.emptySlots ?? []).map((slot) => [status.name, String(slot), '-', 'errored', '-', '-', '-', '-', '-']),
  ]);
  rows.push(...stopped.map(({ record, ending }) => [record.name, '-', '-', ending.status, '-', '-', '-', '-', '-']));
  // On a terminal, the state says at a glance whether a worker serves.
  const stateColour = { ready: 'green', starting: 'yellow', listening: 'yellow', draining: 'grey', exited: 'red', errored: 'red', stopped: 'grey' } as const;
  const paint = (cell: string, column: number, raw: string) =>
    column === 3 && raw in stateColour ? colour(cell, stateColour[raw as keyof typeof stateColour]) : cell;
  process.stdout.write(`${formatTable(header, rows, paint)}\n`);
  for (const status of statuses.filter((candidate) => candidate.degraded)) {
    const { degraded, name } = status;
    process.stdout.write(
      `${name}: degraded, serving with ${status.workers.length} of ${status.workers.length + degraded!.emptySlots.length} workers: ${degraded!.reason} [${degraded!.code}]; ` +
        `drover reload ${name} (after a fix) or drover restart ${name} tries again\n`,
    );
  }
  for (const status of statuses) if (status.store) process.stdout.write(`${status.name}: store ${describeStore(status.store)}\n`);
  for (const { record, ending } of stopped) {
    const when = ending.at > 0 ? ` ${formatDuration(Date.now() - ending.at)} ago` : '';
    const why = ending.status === 'errored' ? `: ${ending.reason.split('\n', 1)[0]}${ending.code ? ` [${ending.code}]` : ''}` : ` (${ending.reason})`;
    process.stdout.write(`${record.name}: ${ending.status}${when}${why}; drover start ${record.name} starts it again, drover delete ${record.name} forgets it\n`);
  }
  return 0;
}

/** "embedded, 12 keys, 3.1 KiB of 64 MiB" or "redis://127.0.0.1:6379 unavailable for 12 s: connect ECONNREFUSED ...". */
export function describeStore(store: StoreState): string {
  if (store.backend === 'embedded') {
    const saved = store.file ? `; saved to ${store.file}${store.savedAt ? ` ${formatDuration(Date.now() - store.savedAt)} ago` : ''}` : '';
    const evicted = store.evicted ? `, ${store.evicted} evicted to make room` : '';
    return `embedded, ${store.keys} keys, ${formatBytes(store.bytes ?? 0)} of ${formatBytes(store.maxBytes ?? 0)}${evicted}${saved}`;
  }
  const since = store.since ? ` for ${formatDuration(Date.now() - store.since)}` : '';
  if (store.state === 'ready') return `${store.url} ready${since}`;
  return `${store.url} ${store.state}${since}${store.error ? `: ${store.error}` : ''}; store operations fail with DROVER_E_STORE_UNAVAILABLE, drover reconnects on its own`;
}

/** `drover reload <app|all>`: a rolling reload of each, through its supervisor. */
export async function reloadCommand(target: string, flags: { json?: boolean }): Promise<number> {
  const apps = await selectRunningApps(target, notice);
  let failed = 0;
  const results: (ReloadResult & { name: string })[] = [];
  for (const app of apps) {
    // A reload waits for new workers (listen_timeout each): allow it the time.
    const result = await callSupervisor(app.socket, 'POST /v1/reload', { timeoutMs: LIFECYCLE_TIMEOUT_MS }).catch((error: Error): ReloadResult => ({
      ok: false,
      durationMs: 0,
      replaced: [],
      failure: { slot: -1, pid: -1, why: error.message },
    }));
    if (!result.ok) failed += 1;
    results.push({ name: app.name, ...result });
    if (!flags.json) {
      process.stdout.write(
        !result.ok
          ? result.rolledBack
            ? `${app.name}: reload rolled back: the new worker ${result.failure?.slot} ${result.failure?.why}; every new worker was stopped, the old ones kept serving\n`
            : `${app.name}: reload stopped: ${result.failure?.why}\n`
          : result.restarted !== undefined
            ? `${app.name}: restarted in ${formatDuration(result.durationMs)}, ${result.restarted} worker(s) (a server in fork mode: each worker binds its own port, so a new one cannot start beside the old)\n`
            : `${app.name}: reloaded in ${formatDuration(result.durationMs)}, ${result.replaced.length} worker(s) replaced\n`,
      );
    }
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}

/**
 * `drover stop <app|all>`: a graceful stop, as on SIGTERM; waits until each supervisor
 * is gone. `drover delete` also removes the apps from the saved list.
 */
export async function stopCommand(target: string, flags: { forget?: boolean } = {}): Promise<number> {
  const running = await findRunningApps();
  const stopped = target === 'all' ? [] : [findStoppedApp(running, target)].filter((app) => app !== undefined);
  // `stop` of an app already stopped is done; `delete` of one forgets it.
  const apps = stopped.length > 0 ? [] : await selectRunningApps(target, notice);
  for (const { record } of stopped) if (!flags.forget) process.stdout.write(`${record.name}: already stopped\n`);
  const stillRunning: string[] = [];
  for (const app of apps) {
    const { killTimeoutMs } = await callSupervisor(app.socket, 'POST /v1/stop');
    // Every worker is gone by kill_timeout; the supervisor then closes its files and exits.
    const waitMs = killTimeoutMs + STOP_MARGIN_MS;
    const deadline = Date.now() + waitMs;
    const running = async () => (await findRunningApps()).some((candidate) => candidate.name === app.name);
    while ((await running()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (await running()) {
      stillRunning.push(app.name);
      process.stderr.write(
        `drover: ${app.name}: its supervisor is still there ${formatDuration(waitMs)} after the stop (kill_timeout ${formatDuration(killTimeoutMs)}); ` +
          `drover ls shows it; its log is ${supervisorLogPath(app.name)}\n`,
      );
    } else {
      process.stdout.write(`${app.name}: stopped\n`);
    }
  }
  if (flags.forget) {
    // Every app named, running or not, leaves the registry (ls) and the saved list.
    // One still running (stuck) keeps its record: its supervisor writes it when it ends.
    const names = [...apps.map((app) => app.name).filter((name) => !stillRunning.includes(name)), ...(target === 'all' ? stoppedApps(running) : stopped).map(({ record }) => record.name)];
    for (const name of names) removeAppRecord(name);
    process.stdout.write(`deleted: ${names.join(', ') || 'none'}\n`);
    const forgotten = forgetSaved(names);
    if (forgotten.length > 0) process.stdout.write(`removed from ${dumpPath()}: ${forgotten.join(', ')}\n`);
  }
  return stillRunning.length > 0 ? 1 : 0;
}

/**
 * `drover restart <app|all>`: PM2's restart. Every worker drains and starts afresh;
 * unlike reload, capacity drops meanwhile. Waits until each app serves again.
 */
export async function restartCommand(target: string, flags: { json?: boolean }): Promise<number> {
  const running = await findRunningApps();
  // A stopped app is started as it was (PM2's restart of a stopped process).
  const stopped = target === 'all' ? stoppedApps(running) : [findStoppedApp(running, target)].filter((app) => app !== undefined);
  const apps = stopped.length > 0 && target !== 'all' ? [] : await selectRunningApps(target, notice);
  let failed = 0;
  for (const { record } of stopped) if (startAgain(record) !== 0) failed += 1;
  const results = [];
  for (const app of apps) {
    const started = Date.now();
    // The supervisor answers once every slot is up again: each old worker drains first.
    const outcome = await callSupervisor(app.socket, 'POST /v1/restart', { timeoutMs: LIFECYCLE_TIMEOUT_MS });
    const status = await callSupervisor(app.socket, 'GET /v1/status');
    const ok = outcome.notUp.length === 0;
    if (!ok) failed += 1;
    results.push({ name: app.name, ok, durationMs: Date.now() - started, pids: status.workers.map((worker) => worker.pid), notUp: outcome.notUp });
    if (!flags.json) {
      process.stdout.write(
        ok
          ? `${app.name}: restarted in ${formatDuration(Date.now() - started)}, ${status.workers.length} worker(s)\n`
          : `${app.name}: worker${outcome.notUp.length > 1 ? 's' : ''} ${outcome.notUp.join(', ')} did not come back up; see drover describe ${app.name}\n`,
      );
    }
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}

/** `drover describe <app>`: the config in effect (secrets masked), paths, workers and the events timeline. */
export async function describeCommand(target: string, flags: { json?: boolean }): Promise<number> {
  const [app] = await selectRunningApps(target, notice);
  const description = await callSupervisor(app!.socket, 'GET /v1/describe');
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `app '${description.app.name}': supervisor pid ${description.supervisorPid}, up ${formatDuration(Date.now() - description.startedAt)}`,
    `  control socket             ${description.socket}`,
    ...displayRows(description.app).map(([key, value]) => `  ${key.padEnd(26)} ${value}`),
    ...(description.snapshot.store ? [`  ${'store now'.padEnd(26)} ${describeStore(description.snapshot.store)}`] : []),
    '',
    'events:',
    ...description.events.map((event) => {
      const who = event.slot === undefined ? '' : ` worker ${event.slot}${event.pid === undefined ? '' : ` (pid ${event.pid})`}`;
      return `  ${new Date(event.at).toISOString()} ${event.kind}${who}: ${event.detail}`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * `drover metrics <app>`: the app's /metrics, in Prometheus' text format, over its
 * control socket: for whoever has no admin port (or no token) to read it through.
 */
export async function metricsCommand(target: string): Promise<number> {
  // Two apps' texts would declare the same families twice: not one valid exposition.
  if (target === 'all') throw new InvalidOptionError(['metrics: name one app (each app has its own metrics)']);
  const [app] = await selectRunningApps(target, notice);
  process.stdout.write(await callSupervisor(app!.socket, 'GET /metrics', { timeoutMs: 10_000 }));
  return 0;
}

/** `drover scale <app> <N|+N|-N>`: add workers at once, or drain the highest slots. */
export async function scaleCommand(target: string, change: string): Promise<number> {
  const match = /^([+-]?)(\d+)$/.exec(change);
  if (!match) throw new InvalidOptionError([`scale: expected N, +N or -N workers, got '${change}'`]);
  const [app] = await selectRunningApps(target, notice);
  // +N and -N are worked out by the supervisor, in its turn: two `+1` at once make two more.
  const amount = Number(match[2]);
  const query: Record<string, number> = match[1] === '' ? { to: amount } : { by: match[1] === '+' ? amount : -amount };
  // Answered once the new workers are up: allow them the time.
  const result = await callSupervisor(app!.socket, 'POST /v1/scale', { query, timeoutMs: LIFECYCLE_TIMEOUT_MS });
  process.stdout.write(`${app!.name}: scaled from ${result.from} to ${result.to} worker(s)\n`);
  return 0;
}
