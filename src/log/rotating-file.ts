import { closeSync, constants, createReadStream, createWriteStream, existsSync, fstatSync, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { errorCode } from '../errors/index.js';
import { openForAppend } from '../home/private-files.js';
import { pipeline } from 'node:stream/promises';

/** When to rotate: past a size, and/or when the day changes; how many old files to keep. */
export interface RotationOptions {
  /** Bytes; undefined: no size limit. */
  maxSize: number | undefined;
  daily: boolean;
  /** Rotated files kept (app.log.1 ... app.log.N); older ones are removed. */
  keep: number;
  /** Gzip each rotated file (app.log.1.gz), off the event loop's hot path. */
  compress?: boolean;
}

/** How often a file that could not be written is opened again. */
export const WRITE_RETRY_MS = 1000;

/**
 * An append-only log file that rotates (app.log -> app.log.1 -> app.log.2 ...). Writes
 * are whole lines from one process, and the rename and reopen happen between two of
 * them, so a line is never split, lost or written twice across a rotation.
 *
 * A file that cannot be written (disk full, its folder removed) never stops the app:
 * its lines are dropped and counted, the file is opened again every second, and
 * `onProblem` hears once when writing fails and once when it works again, with the
 * count. A rotation that fails is reported the same way.
 */
export class RotatingFile {
  readonly path: string;
  readonly #options: RotationOptions;
  readonly #onProblem: (message: string) => void;
  #stream: WriteStream;
  #size: number;
  #day: string;
  #ended = false;
  // The current stream failed: lines wait for the next reopen (at #retryAt).
  #broken = false;
  #retryAt = 0;
  // From the first failed write until one succeeds again: why, and how many lines were dropped.
  #failure: { code: string; lost: number } | undefined;
  #rotationFailed = false;
  // Rotated files still being gzipped, by their current number: a rotation that comes
  // before one is done shifts it like any other file.
  readonly #compressing = new Map<number, { done: Promise<void>; cancel: () => void }>();

  constructor(path: string, options: RotationOptions, onProblem: (message: string) => void = () => undefined) {
    this.path = path;
    this.#onProblem = onProblem;
    const fd = openForAppend(path);
    const stat = fstatSync(fd);
    // A device (/dev/stdout) is written to, never renamed.
    this.#options = stat.isFile() ? options : { ...options, maxSize: undefined, daily: false };
    this.#size = stat.size;
    this.#stream = this.#open(fd);
    this.#day = today();
  }

  write(text: string): void {
    // A worker's last lines may come after the app has stopped: there is nowhere to put them.
    if (this.#ended) return;
    if (this.#broken && !this.#reopen()) {
      this.#failure!.lost += 1;
      return;
    }
    const bytes = Buffer.byteLength(text);
    const { maxSize, daily } = this.#options;
    if ((maxSize !== undefined && this.#size > 0 && this.#size + bytes > maxSize) || (daily && today() !== this.#day)) this.rotate();
    this.#size += bytes;
    if (!this.#failure) {
      this.#stream.write(text);
      return;
    }
    // Writing again after a failure: the first line that lands says so.
    const failure = this.#failure;
    this.#stream.write(text, (error) => {
      if (error || this.#failure !== failure) return;
      this.#failure = undefined;
      this.#onProblem(`writing ${this.path} again; ${failure.lost} line(s) were dropped while it could not be written (${failure.code})`);
    });
  }

  // The stream failed (ENOSPC, EIO): drop lines until the file can be opened again.
  #onError(stream: WriteStream, error: NodeJS.ErrnoException): void {
    if (stream !== this.#stream || this.#ended) return;
    this.#broken = true;
    this.#retryAt = Date.now() + WRITE_RETRY_MS;
    if (this.#failure) return;
    this.#failure = { code: errorCode(error), lost: 0 };
    this.#onProblem(`cannot write ${this.path} (${this.#failure.code}); its lines are dropped until it can be written again (tried every ${WRITE_RETRY_MS / 1000} s)`);
  }

  #reopen(): boolean {
    if (Date.now() < this.#retryAt) return false;
    this.#retryAt = Date.now() + WRITE_RETRY_MS;
    let fd: number;
    try {
      fd = openForAppend(this.path);
    } catch {
      return false;
    }
    this.#stream.destroy();
    this.#stream = this.#open(fd);
    this.#size = fstatSync(fd).size;
    this.#broken = false;
    return true;
  }

  #open(fd: number): WriteStream {
    const stream: WriteStream = createWriteStream('', { fd });
    return stream.on('error', (error) => this.#onError(stream, error));
  }

  /**
   * Move the current file to .1 (shifting older ones), and continue in a new file. If
   * that cannot be done (disk full, a file removed by hand), the current file goes on,
   * and the next rotation tries again.
   */
  rotate(): void {
    const { keep } = this.#options;
    let fd: number;
    try {
      this.#dropOldest(keep);
      for (let n = keep - 1; n >= 1; n--) this.#shift(n);
      // Lines still buffered in the old stream go to the renamed file: its fd follows it.
      if (keep > 0) renameSync(this.path, `${this.path}.1`);
      else rmSync(this.path, { force: true });
      fd = openForAppend(this.path);
    } catch (error) {
      this.#size = 0;
      this.#day = today();
      if (!this.#rotationFailed) {
        this.#rotationFailed = true;
        this.#onProblem(`cannot rotate ${this.path} (${errorCode(error)}); writing on in the current file, and trying again at the next rotation`);
      }
      return;
    }
    if (this.#rotationFailed) {
      this.#rotationFailed = false;
      this.#onProblem(`rotated ${this.path} again`);
    }
    const old = this.#stream;
    this.#stream = this.#open(fd);
    old.end();
    if (keep > 0 && this.#options.compress) this.#compress(old);
    this.#size = 0;
    this.#day = today();
  }

  #dropOldest(keep: number): void {
    const job = this.#compressing.get(keep);
    this.#compressing.delete(keep);
    job?.cancel();
    for (const suffix of ['', '.gz']) rmSync(`${this.path}.${keep}${suffix}`, { force: true });
  }

  // app.log.n (and .n.gz, and its gzip job if one is running) becomes app.log.n+1.
  #shift(n: number): void {
    for (const suffix of ['', '.gz']) {
      if (existsSync(`${this.path}.${n}${suffix}`)) renameSync(`${this.path}.${n}${suffix}`, `${this.path}.${n + 1}${suffix}`);
    }
    const job = this.#compressing.get(n);
    this.#compressing.delete(n);
    if (job) this.#compressing.set(n + 1, job);
  }

  /** Flush and close; waits for rotated files still being gzipped. */
  async end(): Promise<void> {
    this.#ended = true;
    await new Promise((resolve) => this.#stream.end(resolve));
    await Promise.all([...this.#compressing.values()].map((job) => job.done));
  }

  // Gzip the file just renamed to .1 once its last lines are written. Both files are
  // opened by descriptor, which follows the renames of later rotations; at the end the
  // plain file is removed under whatever number it has reached.
  #compress(old: WriteStream): void {
    let source: number | undefined;
    let target: number;
    try {
      source = openSync(`${this.path}.1`, 'r');
      target = openSync(`${this.path}.1.gz`, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
    } catch {
      if (source !== undefined) closeSync(source);
      return; // The plain file stays.
    }
    const abort = new AbortController();
    const job = {
      cancel: () => abort.abort(),
      done: new Promise<void>((resolve) => old.once('close', resolve))
        // zlib is loaded only by apps that compress: a supervisor's idle memory counts.
        .then(() => import('node:zlib'))
        .then(({ createGzip }) => pipeline(createReadStream('', { fd: source }), createGzip(), createWriteStream('', { fd: target }), { signal: abort.signal }))
        .then(
          () => {
            const at = this.#numberOf(job);
            if (at !== undefined) rmSync(`${this.path}.${at}`, { force: true });
          },
          () => {
            // Cancelled (it fell off the end), or the disk failed: the plain file stays.
            const at = this.#numberOf(job);
            if (at !== undefined) rmSync(`${this.path}.${at}.gz`, { force: true });
          },
        )
        .finally(() => {
          const at = this.#numberOf(job);
          if (at !== undefined) this.#compressing.delete(at);
        }),
    };
    this.#compressing.set(1, job);
  }

  #numberOf(job: unknown): number | undefined {
    for (const [n, candidate] of this.#compressing) if (candidate === job) return n;
    return undefined;
  }
}

const today = () => new Date().toISOString().slice(0, 10);
