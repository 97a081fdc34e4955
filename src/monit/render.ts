import { formatBytes, formatDuration } from '../config/units.js';
import type { AppView } from './poller.js';

// One frame of `drover monit`, as text lines: a pure function of what monit knows and
// the terminal's size, so that it is tested without a terminal.

export interface FrameInput {
  apps: readonly AppView[];
  /** Index in `apps` of the app the keys act on. */
  selected: number;
  /** The last thing a key did, or why it did nothing. */
  message: string | undefined;
  intervalMs: number;
  now: number;
  columns: number;
  rows: number;
  /** ANSI colours for states (a terminal without NO_COLOR). */
  colours: boolean;
}

const HEADER = ['app', 'slot', 'pid', 'state', 'uptime', 'cpu', 'memory', 'loop p99', 'req/s', 'in flight', 'requests', 'restarts'];
const KEYS = 'q quit   r reload   + scale up   - scale down   up/down select app';
const STATE_COLOURS: Record<string, number> = { ready: 32, starting: 33, listening: 33, draining: 90, errored: 31, 'no answer': 31 };

/** Exactly `rows` lines, none wider than `columns` on screen. */
export function renderFrame(input: FrameInput): string[] {
  const { apps, columns, rows } = input;
  const workers = apps.reduce((total, app) => total + (app.status?.workers.length ?? 0), 0);
  const clock = new Date(input.now).toTimeString().slice(0, 8);
  const title = `drover monit: ${apps.length} app${apps.length === 1 ? '' : 's'}, ${workers} worker${workers === 1 ? '' : 's'}`;
  const right = `${clock}, every ${formatDuration(input.intervalMs)}`;
  const top = [title + ' '.repeat(Math.max(2, columns - title.length - right.length)) + right, ''];

  const table = workerTable(input);
  // The error names the app already: "'api': GET /v1/status: no answer within 2 s; …".
  const notes = apps.filter((app) => app.error !== undefined).map((app) => app.error!);
  const footer = ['', KEYS, input.message ?? ''];
  // The table first; the events get what is left, at least a title and a line.
  const room = Math.max(0, rows - top.length - footer.length - notes.length - 3);
  const tableShown = table.length > room ? [...table.slice(0, Math.max(1, room - 1)), `... ${table.length - Math.max(1, room - 1)} more rows (a taller terminal shows them)`] : table;
  const eventRoom = Math.max(0, rows - top.length - tableShown.length - notes.length - footer.length - 2);
  const events = latestEvents(apps, eventRoom);
  const body = [...top, ...tableShown, ...notes, '', apps.length > 0 ? 'latest events' : 'no app is running; waiting for one to start', ...events];
  const lines = [...body.slice(0, Math.max(0, rows - footer.length)), ...Array<string>(Math.max(0, rows - footer.length - body.length)).fill(''), ...footer];
  return lines.slice(0, rows).map((line) => fit(line, columns));
}

function workerTable(input: FrameInput): string[] {
  const cells: string[][] = [];
  input.apps.forEach((app, index) => {
    const marker = index === input.selected ? '>' : ' ';
    const name = (first: boolean) => (first ? `${marker} ${app.name}${app.busy ? ` (${app.busy})` : ''}` : '');
    const status = app.error === undefined ? app.status : undefined;
    if (!status) {
      cells.push([name(true), '-', '-', app.error === undefined ? 'starting' : 'no answer', '-', '-', '-', '-', '-', '-', '-', '-']);
      return;
    }
    status.workers.forEach((worker, i) => {
      const stats = worker.stats;
      const rate = input.apps[index]!.rates.of(worker.pid);
      cells.push([
        name(i === 0),
        String(worker.slot),
        String(worker.pid),
        worker.state,
        formatDuration(worker.uptimeMs),
        stats ? `${stats.cpuPercent}%` : '-',
        stats ? formatBytes(stats.rss) : '-',
        stats ? `${stats.eventLoopDelay.p99} ms` : '-',
        rate === undefined ? '-' : rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1),
        stats ? String(stats.requestsInFlight) : '-',
        stats ? String(stats.requestsServed) : '-',
        String(worker.restarts),
      ]);
    });
    // Slots a crash loop left empty: the app serves with fewer workers.
    for (const slot of status.degraded?.emptySlots ?? []) cells.push([name(status.workers.length === 0), String(slot), '-', 'errored', '-', '-', '-', '-', '-', '-', '-', '-']);
    if (status.workers.length === 0 && !status.degraded) cells.push([name(true), '-', '-', 'no workers', '-', '-', '-', '-', '-', '-', '-', '-']);
  });
  const widths = HEADER.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[], paint: boolean) =>
    row
      .map((cell, i) => {
        const padded = cell.padEnd(widths[i]!);
        return paint && i === 3 && input.colours && STATE_COLOURS[cell] ? `\u001b[${STATE_COLOURS[cell]}m${padded}\u001b[39m` : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(HEADER.map((title, i) => (i === 0 ? `  ${title}` : title)), false), ...cells.map((row) => line(row, true))];
}

// The latest events of every app, merged in time order, newest last.
function latestEvents(apps: readonly AppView[], count: number): string[] {
  if (count <= 0) return [];
  const merged = apps.flatMap((app) => app.events.map((event) => ({ app: app.name, event })));
  merged.sort((a, b) => a.event.at - b.event.at);
  return merged.slice(-count).map(({ app, event }) => {
    const time = new Date(event.at).toTimeString().slice(0, 8);
    const who = event.slot === undefined ? '' : ` worker ${event.slot}${event.pid === undefined ? '' : ` (pid ${event.pid})`}`;
    return `${time} ${app}${who} ${event.kind}: ${event.detail}`;
  });
}

/** Cut a line to `columns` visible characters; colour codes take no room (and are closed if cut). */
export function fit(line: string, columns: number): string {
  let visible = 0;
  let out = '';
  let coloured = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\u001b') {
      const end = line.indexOf('m', i);
      if (end === -1) break;
      out += line.slice(i, end + 1);
      coloured = true;
      i = end;
      continue;
    }
    if (visible === columns) return coloured ? `${out}\u001b[0m` : out;
    // Control characters from an app's output would move the cursor: shown as '?'.
    out += line.charCodeAt(i) < 32 ? '?' : line[i];
    visible += 1;
  }
  return out;
}
