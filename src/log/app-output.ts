import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AppOptions } from '../config/index.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { DroverError } from '../errors/index.js';
import { formatLine, type LogRecord } from './line-format.js';
import { RotatingFile } from './rotating-file.js';

/** Where one worker's lines go. `stdout: undefined` means the worker writes to our stdout directly. */
export interface WorkerOutput {
  stdout: ((line: string, pid: number) => void) | undefined;
  stderr: (line: string, pid: number) => void;
}

/** The files an app's lines are written to, by stream. */
export interface LogFiles {
  out: string[];
  err: string[];
}

/**
 * An app's log files (PM2's out_file, error_file, log_file, merge_logs) and line
 * format, and the live feed of its lines (`drover logs --follow`). Files are opened at
 * start, so that an unwritable path fails at once with a clear error instead of
 * later. Without files or formatting, stdout is not piped through the supervisor.
 */
export class AppOutput {
  readonly #app: AppOptions;
  // By the path written to; `of` is the configured path it stands for (app-out.log for app-out-1.log).
  readonly #streams = new Map<string, { file: RotatingFile; of: string }>();
  readonly #followers = new Set<(record: LogRecord) => void>();
  readonly #onProblem: (message: string) => void;

  /** `onProblem` hears when a file cannot be written or rotated, and when it can again. */
  constructor(app: AppOptions, onProblem: (message: string) => void = () => undefined) {
    this.#app = app;
    this.#onProblem = onProblem;
  }

  /** Open (or create) the files for these slots; throws DROVER_E_LOG_FILE when one cannot be written. */
  open(slots: number): void {
    for (let slot = 0; slot < slots; slot++) {
      for (const file of [this.#app.logs.out_file, this.#app.logs.error_file, this.#app.logs.log_file]) this.#stream(file, slot, slots);
    }
  }

  /** The files written so far, by stream (log_file counts as both). */
  files(): LogFiles {
    const { out_file, error_file, log_file } = this.#app.logs;
    const of = (file: string | undefined) => [...this.#streams].filter(([, stream]) => stream.of === file).map(([target]) => target);
    return { out: [...of(out_file), ...of(log_file)], err: [...of(error_file), ...of(log_file)] };
  }

  /** Receive every line from now on (and drover's own, through `publish`); returns the unsubscribe. */
  follow(listener: (record: LogRecord) => void): () => void {
    this.#followers.add(listener);
    return () => this.#followers.delete(listener);
  }

  /** Hand a line to the followers only (drover's own lines: they have their own file). */
  publish(record: LogRecord): void {
    for (const follower of this.#followers) follower(record);
  }

  /** The writers for the worker in `slot`, given the app's worker count. */
  forWorker(slot: number, slots: number): WorkerOutput {
    const { logs, name } = this.#app;
    const format = { dateFormat: logs.date_format, json: logs.json, workerPrefix: logs.worker_prefix };
    const plain = logs.out_file === undefined && logs.log_file === undefined && !format.dateFormat && !format.json && !format.workerPrefix;
    const combined = this.#stream(logs.log_file, slot, slots);
    const writer = (file: string | undefined, stream: 'out' | 'err', console: NodeJS.WriteStream) => {
      const target = file === undefined ? console : this.#stream(file, slot, slots);
      return (msg: string, pid: number) => {
        const now = new Date();
        const record: LogRecord = { ts: now.toISOString(), app: name, worker: slot, pid, stream, msg };
        const text = `${formatLine(record, format, now)}\n`;
        target?.write(text);
        combined?.write(text);
        this.publish(record);
      };
    };
    return {
      stdout: plain ? undefined : writer(logs.out_file, 'out', process.stdout),
      stderr: writer(logs.error_file, 'err', process.stderr),
    };
  }

  /** Flush and close every file. */
  async close(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((stream) => stream.file.end()));
    this.#streams.clear();
  }

  // One stream per path; without merge_logs each worker of a multi-worker app gets
  // its own file (app-out-1.log), as PM2 names them.
  #stream(file: string | undefined, slot: number, slots: number): RotatingFile | undefined {
    if (file === undefined || file === '/dev/null') return undefined;
    const target = this.#app.logs.merge_logs || slots === 1 ? file : withSlotSuffix(file, slot);
    const open = this.#streams.get(target);
    if (open) return open.file;
    try {
      mkdirSync(path.dirname(target), { recursive: true });
      const { rotate_size, rotate_daily, rotate_keep, compress } = this.#app.logs;
      const stream = new RotatingFile(target, { maxSize: rotate_size, daily: rotate_daily, keep: rotate_keep, compress }, this.#onProblem);
      this.#streams.set(target, { file: stream, of: file });
      return stream;
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ELOOP'
          ? 'it is a symbolic link, and drover does not follow links for the files it writes; give the real path'
          : (error as Error).message;
      throw new DroverError('DROVER_E_LOG_FILE', `${this.#app.name}: cannot write the log file ${target}: ${why}`, { cause: error });
    }
  }
}
