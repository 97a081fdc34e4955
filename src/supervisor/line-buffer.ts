// A worker's output arrives in chunks that may end mid-line; this turns them into
// whole lines, cuts a line that grows past a limit (so memory stays bounded), and
// keeps the last few lines for crash reports.

import { NODE_INSPECTOR_LINE } from '../inspector/inspect-flags.js';

export const MAX_LINE_BYTES = 16 * 1024;
export const TAIL_LINES = 20;
const CUT_MARKER = ' [line cut by drover]';

export class LineBuffer {
  readonly #tail: string[] = [];
  #partial = '';
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  /** Feed a chunk; emits each completed line. */
  push(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#emit(line);
    if (this.#partial.length > MAX_LINE_BYTES) {
      this.#emit(this.#partial.slice(0, MAX_LINE_BYTES) + CUT_MARKER);
      this.#partial = '';
    }
  }

  /** Emit what is left of an unterminated last line (the stream ended). */
  flush(): void {
    if (this.#partial) this.#emit(this.#partial);
    this.#partial = '';
  }

  /** The last lines seen, oldest first. */
  tail(): string[] {
    return [...this.#tail];
  }

  /** The tail without Node's own stack frames and inspector lines, which say nothing about the app. */
  appTail(): string[] {
    return this.#tail.filter((line) => !/^\s+at .*\(?node:internal\//.test(line) && !NODE_INSPECTOR_LINE.test(line));
  }

  #emit(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    this.#tail.push(text);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    this.#onLine(text);
  }
}
