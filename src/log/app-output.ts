import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AppOptions } from '../config/index.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { DroverError } from '../errors/index.js';
import { formatLine, type LineContext } from './line-format.js';
import { RotatingFile } from './rotating-file.js';

/** Where one worker's lines go. `stdout: undefined` means the worker writes to our stdout directly. */
export interface WorkerOutput {
  stdout: ((line: string) => void) | undefined;
  stderr: (line: string) => void;
}

/**
 * An app's log files (PM2's out_file, error_file, log_file, merge_logs) and line
 * format. Files are opened at start, so that an unwritable path fails at once with
 * a clear error instead of later. Without files or formatting, stdout is not piped
 * through the supervisor at all.
 */
export class AppOutput {
  readonly #app: AppOptions;
  readonly #streams = new Map<string, RotatingFile>();

  constructor(app: AppOptions) {
    this.#app = app;
  }

  /** Open (or create) the files for these slots; throws DROVER_E_LOG_FILE when one cannot be written. */
  open(slots: number): void {
    for (let slot = 0; slot < slots; slot++) {
      for (const file of [this.#app.logs.out_file, this.#app.logs.error_file, this.#app.logs.log_file]) this.#stream(file, slot, slots);
    }
  }

  /** The writers for the worker in `slot`, given the app's worker count. */
  forWorker(slot: number, slots: number): WorkerOutput {
    const { logs, name } = this.#app;
    const format = { dateFormat: logs.date_format, json: logs.json };
    const plain = logs.out_file === undefined && logs.log_file === undefined && !format.dateFormat && !format.json;
    const combined = this.#stream(logs.log_file, slot, slots);
    const writer = (file: string | undefined, stream: 'out' | 'err', console: NodeJS.WriteStream) => {
      const target = file === undefined ? console : this.#stream(file, slot, slots);
      const context: LineContext = { app: name, slot, stream };
      return (line: string) => {
        const text = `${formatLine(line, context, format)}\n`;
        target?.write(text);
        combined?.write(text);
      };
    };
    return {
      stdout: plain ? undefined : writer(logs.out_file, 'out', process.stdout),
      stderr: writer(logs.error_file, 'err', process.stderr),
    };
  }

  /** Flush and close every file. */
  async close(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((stream) => stream.end()));
    this.#streams.clear();
  }

  // One stream per path; without merge_logs each worker of a multi-worker app gets
  // its own file (app-out-1.log), as PM2 names them.
  #stream(file: string | undefined, slot: number, slots: number): RotatingFile | undefined {
    if (file === undefined || file === '/dev/null') return undefined;
    const target = this.#app.logs.merge_logs || slots === 1 ? file : withSlotSuffix(file, slot);
    let stream = this.#streams.get(target);
    if (!stream) {
      try {
        mkdirSync(path.dirname(target), { recursive: true });
        const { rotate_size, rotate_daily, rotate_keep } = this.#app.logs;
        stream = new RotatingFile(target, { maxSize: rotate_size, daily: rotate_daily, keep: rotate_keep });
      } catch (error) {
        throw new DroverError('DROVER_E_LOG_FILE', `${this.#app.name}: cannot write the log file ${target}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.#streams.set(target, stream);
    }
    return stream;
  }
}
