/** A one-line progress bar on a terminal (stderr); silent when stderr is not a TTY (CI, a pipe). */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #totalMs: number;
  #doneMs = 0;
  #phase = '';
  #phaseStart = 0;
  #phaseMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(totalMs: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#totalMs = totalMs;
  }

  get enabled(): boolean {
    return this.#stream.isTTY === true;
  }

  /** A phase of `ms` of load begins (a warm-up, a measurement). */
  phase(label: string, ms: number): void {
    this.#doneMs += this.#phaseMs;
    this.#phase = label;
    this.#phaseStart = Date.now();
    this.#phaseMs = ms;
    if (!this.enabled) return;
    this.#timer ??= setInterval(() => this.#draw(), 200).unref();
    this.#draw();
  }

  /** Clear the line; the report follows. */
  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.enabled) this.#stream.write('\r\u001b[2K');
  }

  #draw(): void {
    const done = Math.min(this.#totalMs, this.#doneMs + Math.min(this.#phaseMs, Date.now() - this.#phaseStart));
    const width = 30;
    const filled = Math.round((done / this.#totalMs) * width);
    const left = Math.max(0, Math.ceil((this.#totalMs - done) / 1000));
    this.#stream.write(`\r\u001b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.#phase}, about ${left} s left`);
  }
}
