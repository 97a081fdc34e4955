import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { callSupervisor, checkOwner, findRunningApps } from '../control/client.js';
import { droverHome } from '../control/paths.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import type { LogFiles } from '../log/app-output.js';
import type { LogRecord } from '../log/line-format.js';
import { notice } from './control-commands.js';
import { defaultLogFiles, supervisorLogPath } from './start-command.js';

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

  // Subscribe before reading the files, so that no line falls between the two.
  const following = flags.follow ? apps.filter((app) => app.socket !== undefined).map((app) => follow(app, streams)) : [];
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
  const logsDir = path.join(droverHome(), 'logs');
  const logged = existsSync(logsDir) ? readdirSync(logsDir).flatMap((file) => /^(.+?)\.(out|err)?\.?log$/.exec(file)?.[1] ?? []) : [];
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
        const files = socket
          ? (await callSupervisor<{ logFiles: LogFiles }>(socket, 'GET', '/v1/describe')).logFiles
          : { out: [defaultLogFiles(name).out], err: [defaultLogFiles(name).err] };
        const existing = (list: string[]) => [...new Set(list)].filter((file) => existsSync(file));
        return { name, socket, files: { drover: existing([supervisorLogPath(name)]), out: existing(files.out), err: existing(files.err) } };
      }),
  );
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
  return { ts: null, app, worker: null, pid: null, stream, msg: line };
}

function display(record: LogRecord): string {
  return `${record.app} ${record.stream}${record.worker === null ? '' : ` ${record.worker}`} | ${record.msg}`;
}

// The last `count` lines of a file, reading back from its end in blocks.
function tail(file: string, count: number): string[] {
  if (count === 0) return [];
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    let text = '';
    for (let end = size; end > 0 && text.split('\n').length <= count + 1; ) {
      const start = Math.max(0, end - 64 * 1024);
      const buffer = Buffer.alloc(end - start);
      readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8') + text;
      end = start;
    }
    return text.split('\n').filter(Boolean).slice(-count);
  } finally {
    closeSync(fd);
  }
}

// The live feed of one app: connected at once, its records held until `start`.
function follow(app: AppLogs, streams: Stream[]): { start: (print: (record: LogRecord) => void) => Promise<void> } {
  const held: LogRecord[] = [];
  let print: ((record: LogRecord) => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    checkOwner(app.socket!);
    const req = http.get({ socketPath: app.socket, path: '/v1/logs' }, (res) => {
      let partial = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts) {
          const record = JSON.parse(part) as LogRecord;
          if (!streams.includes(record.stream)) continue;
          if (print) print(record);
          else held.push(record);
        }
      });
      res.on('close', () => {
        notice(`drover: '${app.name}': its supervisor stopped; no more lines`);
        resolve();
      });
    });
    req.on('error', (error) => {
      notice(`drover: '${app.name}': cannot follow its log (${error.message})`);
      resolve();
    });
  });
  return {
    start: (printer) => {
      held.splice(0).forEach(printer);
      print = printer;
      return ended;
    },
  };
}
