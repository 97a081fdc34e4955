import { createWriteStream, fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { errorCode } from '../errors/index.js';

/** Where the supervisor's own lines go: notes to stdout, problems to stderr. */
export interface Output {
  info(line: string): void;
  warn(line: string): void;
}

// The supervisor's stdout and stderr may fail: a background supervisor's log on a full
// disk, a foreground one piped into `head`. A failed line is dropped and counted; it
// never throws or crashes the supervisor (which would take every worker down), and
// whoever listens hears once when writing fails and once when it works again.
const outputProblemListeners = new Set<(message: string) => void>();

/** Hear when the supervisor's own output cannot be written, and when it can again; returns the unsubscribe. */
export function onOutputProblem(listener: (message: string) => void): () => void {
  outputProblemListeners.add(listener);
  return () => outputProblemListeners.delete(listener);
}

// A background supervisor's stdout and stderr are its log file ($DROVER_HOME/logs/<app>.log):
// there each line starts with when it was written, as an ISO 8601 time. On a terminal or
// a pipe (drover run) lines stay as they are, unless an app asks for times (`time`).
let stampAlways = false;
// In container mode the lines are JSON, as the workers' are.
let asJson = false;

/** Start every line of the supervisor's own output with an ISO 8601 time, wherever it goes (an app's `time` option). */
export function stampConsoleLines(): void {
  stampAlways = true;
}

/** Write every line of the supervisor's own output as a JSON record (container mode). */
export function jsonConsoleLines(): void {
  asJson = true;
}

// "[drover] api: worker 1 ..." as the record `drover logs --json` prints for drover's lines.
function jsonLine(line: string, level: 'info' | 'warn'): string {
  const [, app, msg] = /^\[drover\] (.+?): ([^]*)$/.exec(line) ?? [undefined, null, line.replace(/^\[drover\] /, '')];
  return JSON.stringify({ ts: new Date().toISOString(), app, worker: null, pid: process.pid, stream: 'drover', level, msg });
}

function isFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

// Each line of a message (a crash report has several) gets the time: a log reader sees lines.
const stamp = (text: string) => {
  const now = new Date().toISOString();
  return text
    .split('\n')
    .map((line) => `${now} ${line}`)
    .join('\n');
};

function resilientLines(stream: Writable, fd: number, name: string): (line: string, level: 'info' | 'warn') => void {
  const toFile = isFile(fd);
  let failure: { code: string; lost: number } | undefined;
  const tell = (message: string) => outputProblemListeners.forEach((listener) => listener(message));
  // Failures are seen in the write callbacks below; the event must not go unhandled.
  stream.on('error', () => undefined);
  return (line, level) => {
    if (stream.destroyed) {
      if (failure) failure.lost += 1;
      return;
    }
    stream.write(`${asJson ? jsonLine(line, level) : stampAlways || toFile ? stamp(line) : line}\n`, (error) => {
      if (error) {
        if (failure) failure.lost += 1;
        else {
          failure = { code: errorCode(error), lost: 1 };
          tell(`cannot write the supervisor's ${name} (${failure.code}); its lines are dropped until it can be written again`);
        }
      } else if (failure) {
        const { code, lost } = failure;
        failure = undefined;
        tell(`writing the supervisor's ${name} again; ${lost} line(s) were dropped while it could not be written (${code})`);
      }
    });
  };
}

const stdout = resilientLines(process.stdout, 1, 'stdout');
const stderr = resilientLines(process.stderr, 2, 'stderr');

export const consoleOutput: Output = {
  info: (line) => stdout(line, 'info'),
  warn: (line) => stderr(line, 'warn'),
};

/**
 * One app's own lines in a file of its own, stamped like a background supervisor's
 * log: for apps whose supervisors share one background process (`start --one-process`),
 * each keeps its `<app>.log`. `fd` is open for appending (openForAppend).
 */
export function fileOutput(fd: number, name: string): Output {
  const write = resilientLines(createWriteStream('', { fd }), fd, name);
  return { info: (line) => write(line, 'info'), warn: (line) => write(line, 'warn') };
}
