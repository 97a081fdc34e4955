import { createWriteStream, existsSync, fstatSync, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';

/** When to rotate: past a size, and/or when the day changes; how many old files to keep. */
export interface RotationOptions {
  /** Bytes; undefined: no size limit. */
  maxSize: number | undefined;
  daily: boolean;
  /** Rotated files kept (app.log.1 ... app.log.N); older ones are removed. */
  keep: number;
}

/**
 * An append-only log file that rotates (app.log -> app.log.1 -> app.log.2 ...). Writes
 * are whole lines from one process, and the rename and reopen happen between two of
 * them, so a line is never split, lost or written twice across a rotation.
 */
export class RotatingFile {
  readonly path: string;
  readonly #options: RotationOptions;
  #stream: WriteStream;
  #size: number;
  #day: string;

  constructor(path: string, options: RotationOptions) {
    this.path = path;
    this.#options = options;
    const fd = openSync(path, 'a');
    this.#size = fstatSync(fd).size;
    this.#stream = createWriteStream(path, { fd });
    this.#day = today();
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    const { maxSize, daily } = this.#options;
    if ((maxSize !== undefined && this.#size > 0 && this.#size + bytes > maxSize) || (daily && today() !== this.#day)) this.rotate();
    this.#size += bytes;
    this.#stream.write(text);
  }

  /** Move the current file to .1 (shifting older ones), and continue in a new file. */
  rotate(): void {
    const { keep } = this.#options;
    // Lines still buffered in the old stream go to the renamed file: its fd follows it.
    this.#stream.end();
    rmSync(`${this.path}.${keep}`, { force: true });
    for (let n = keep - 1; n >= 1; n--) if (existsSync(`${this.path}.${n}`)) renameSync(`${this.path}.${n}`, `${this.path}.${n + 1}`);
    if (keep > 0) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.#stream = createWriteStream(this.path, { fd: openSync(this.path, 'a') });
    this.#size = 0;
    this.#day = today();
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}

const today = () => new Date().toISOString().slice(0, 10);
