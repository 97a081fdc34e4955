import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { callSupervisor, checkOwner, findRunningApps } from '../control/client.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { defaultLogFiles, logsDir, supervisorLogPath } from '../home/paths.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import type { LogRecord } from '../log/line-format.js';
import { notice } from './control-commands.js';

interface LogsFlags {
  lines?: string;
  follow?: boolean;
  json?: boolean;
  err?: boolean;
  out?: boolean;
}

type Stream = LogRecord['stream'];

/** One app's log files, by stream, and its control socket when it is running. */
interface AppLogs {
  name: string;
  files: Record<Stream, string[]>;
  socket: string | undefined;
}

/**
 * `drover logs [app]`: the last lines of each app's stdout, stderr and supervisor
 * logs, then with --follow, every new line live from the supervisors (which outlive
 * their workers, so reloads do not interrupt it).
 */
export async function logsCommand(target: string | undefined, flags: LogsFlags): Promise<number> {
  const lines = flags.lines === undefined ? 20 : Number(flags.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new InvalidOptionError([`--lines: expected a whole number, got '${flags.lines}'`]);
  const streams: Stream[] = flags.err ? ['err'] : flags.out ? ['out'] : ['drover', 'out', 'err'];
  const apps = await appLogs(target);
  const print = (record: LogRecord) => process.stdout.write(`${flags.json ? JSON.stringify(record) : display(record)}\n`);

  // Subscribed (the supervisor has sent the headers) before the files are read, so that
  // no line falls between the two.
  const following = flags.follow ? apps.filter((app) => app.socket !== undefined).map((app) => follow(app, streams)) : [];
  await Promise.all(following.map((feed) => feed.connected));
  for (const app of apps) {
    for (const stream of streams) for (const file of app.files[stream]) tail(file, lines).forEach((line) => print(parseLine(line, app.name, stream)));
  }
  if (!flags.follow) return 0;
  for (const app of apps.filter((candidate) => candidate.socket === undefined)) notice(`drover: '${app.name}' is not running: nothing to follow`);
  await Promise.all(following.map((feed) => feed.start(print)));
  return 0;
}

// The apps to show: one by name, or every running app and every app with logs.
async function appLogs(target: string | undefined): Promise<AppLogs[]> {
  const running = await findRunningApps(notice);
  const files = existsSync(logsDir()) ? readdirSync(logsDir()) : [];
  // <app>.log, <app>.out.log, <app>.err.log, and per-worker <app>.out-1.log.
  const logged = files.flatMap((file) => /^(.+?)(?:\.(?:out|err)(?:-\d+)?)?\.log$/.exec(file)?.[1] ?? []);
  const names = [...new Set([...running.map((app) => app.name), ...logged])].sort();
  if (target !== undefined && !names.includes(target)) {
    throw new DroverError('DROVER_E_UNKNOWN_APP', `no app named '${target}' is running or has logs; there are: ${names.map((n) => `'${n}'`).join(', ') || 'none'}`);
  }
  return Promise.all(
    names
      .filter((name) => target === undefined || name === target)
      .map(async (name) => {
        const socket = running.find((app) => app.name === name)?.socket;
        // A running supervisor knows its files (its config may name them); otherwise the defaults.
        const own = socket
          ? (await callSupervisor(socket, 'GET /v1/describe')).logFiles
          : { out: defaultFiles(files, name, 'out'), err: defaultFiles(files, name, 'err') };
        const existing = (list: string[]) => [...new Set(list)].filter((file) => existsSync(file));
        return { name, socket, files: { drover: existing([supervisorLogPath(name)]), out: existing(own.out), err: existing(own.err) } };
      }),
  );
}

// A stopped app's default files for a stream: <app>.out.log, or one per worker
// (<app>.out-0.log, <app>.out-1.log ... named as the supervisor names them).
function defaultFiles(files: string[], name: string, stream: 'out' | 'err'): string[] {
  const single = defaultLogFiles(name)[stream];
  const perWorker: string[] = [];
  for (let slot = 0; files.includes(path.basename(withSlotSuffix(single, slot))); slot++) perWorker.push(withSlotSuffix(single, slot));
  return [single, ...perWorker];
}

// A line from a file: a JSON line (log_type json) says everything; a plain one says
// only which app and stream it belongs to.
function parseLine(line: string, app: string, stream: Stream): LogRecord {
  if (line.startsWith('{')) {
    try {
      const record = JSON.parse(line) as Partial<LogRecord>;
      if (typeof record.msg === 'string') return { ts: record.ts ?? null, app, worker: record.worker ?? null, pid: record.pid ?? null, stream: record.stream ?? stream, msg: record.msg };
    } catch {
      // An app's own JSON output, or not JSON at all: a plain line.
    }
  }
  // The supervisor's own log says when each line was written (see console-output.ts).
  const stamped = stream === 'drover' ? STAMPED.exec(line) : null;
  if (stamped) return { ts: stamped[1]!, app, worker: null, pid: null, stream, msg: stamped[2]! };
  return { ts: null, app, worker: null, pid: null, stream, msg: line };
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (.*)$/;

// drover's own lines show when they were written; the app's lines show as the app wrote them.
function display(record: LogRecord): string {
  const when = record.stream === 'drover' && record.ts !== null ? `${record.ts} ` : '';
  return `${record.app} ${record.stream}${record.worker === null ? '' : ` ${record.worker}`} | ${when}${record.msg}`;
}

// The last `count` lines of a file, reading back from its end in blocks (at most 8 MiB:
// a file without line breaks is not read whole).
function tail(file: string, count: number): string[] {
  if (count === 0) return [];
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const blocks: Buffer[] = [];
    let newlines = 0;
    for (let end = size; end > 0 && newlines <= count && size - end < 8 * 1024 * 1024; ) {
      const start = Math.max(0, end - 64 * 1024);
      const block = Buffer.alloc(end - start);
      readSync(fd, block, 0, block.length, start);
      blocks.unshift(block);
      for (const byte of block) if (byte === 0x0a) newlines += 1;
      end = start;
    }
    // Decoded whole, so that a character split between two blocks stays whole.
    return Buffer.concat(blocks).toString('utf8').split('\n').filter(Boolean).slice(-count);
  } finally {
    closeSync(fd);
  }
}

// The live feed of one app: connected at once, its records held until `start`.
function follow(app: AppLogs, streams: Stream[]): { connected: Promise<void>; start: (print: (record: LogRecord) => void) => Promise<void> } {
  const held: LogRecord[] = [];
  let print: ((record: LogRecord) => void) | undefined;
  let connected!: () => void;
  const whenConnected = new Promise<void>((resolve) => (connected = resolve));
  const ended = new Promise<void>((resolve) => {
    let stopped = false;
    const stop = (message: string) => {
      if (stopped) return;
      stopped = true;
      notice(`drover: '${app.name}': ${message}`);
      connected();
      resolve();
    };
    try {
      checkOwner(app.socket!);
    } catch (error) {
      return stop((error as Error).message);
    }
    const req = http.get({ socketPath: app.socket, path: '/v1/logs' }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return stop(`cannot follow its log (its supervisor answered ${res.statusCode})`);
      }
      connected();
      let partial = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) {
          let record: LogRecord;
          try {
            record = JSON.parse(part) as LogRecord;
          } catch {
            continue; // Not a record: nothing to show.
          }
          if (!streams.includes(record.stream)) continue;
          if (print) print(record);
          else held.push(record);
        }
      });
      res.on('close', () => stop('its supervisor stopped; no more lines'));
    });
    req.on('error', (error) => stop(`cannot follow its log (${error.message})`));
  });
  return {
    connected: whenConnected,
    start: (printer) => {
      held.splice(0).forEach(printer);
      print = printer;
      return ended;
    },
  };
}
