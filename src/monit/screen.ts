// The terminal under `drover monit`: the alternate screen (the user's scrollback stays
// as it was), no cursor, keys one at a time (raw mode), and whole frames drawn from the
// top-left corner. `restore()` puts it all back, once, whatever ends monit.

const ENTER = '\u001b[?1049h\u001b[?25l\u001b[2J';
const LEAVE = '\u001b[?25h\u001b[?1049l';
const HOME = '\u001b[H';
const ERASE_LINE_END = '\u001b[K';
const ERASE_BELOW = '\u001b[J';

export class Screen {
  readonly #out: NodeJS.WriteStream;
  readonly #in: NodeJS.ReadStream;
  #active = false;
  #lastFrame: string | undefined;
  #pending: string[] | undefined;

  constructor(output: NodeJS.WriteStream, input: NodeJS.ReadStream) {
    this.#out = output;
    this.#in = input;
    // A terminal that was slow to take the last frame gets the latest one, not every one.
    output.on('drain', this.#onDrain);
  }

  get columns(): number {
    return this.#out.columns || 80;
  }

  get rows(): number {
    return this.#out.rows || 24;
  }

  enter(): void {
    this.#active = true;
    this.#in.setRawMode(true);
    this.#out.write(ENTER);
  }

  /** Draw a frame: each line over the old one, then the rest of the screen erased. Unchanged frames are not sent. */
  draw(lines: readonly string[]): void {
    if (!this.#active) return;
    if (this.#out.writableNeedDrain) {
      this.#pending = [...lines];
      return;
    }
    const frame = HOME + lines.map((line) => line + ERASE_LINE_END).join('\r\n') + ERASE_BELOW;
    if (frame === this.#lastFrame) return;
    this.#lastFrame = frame;
    this.#out.write(frame);
  }

  /** The next frame is drawn in full (the terminal was resized). */
  invalidate(): void {
    this.#lastFrame = undefined;
  }

  restore(): void {
    this.#out.off('drain', this.#onDrain);
    if (!this.#active) return;
    this.#active = false;
    try {
      this.#in.setRawMode(false);
    } catch {
      // The terminal is gone (a closed pane): nothing to restore on it.
    }
    this.#out.write(LEAVE);
  }

  readonly #onDrain = () => {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) this.draw(pending);
  };
}
