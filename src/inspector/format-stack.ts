import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RUNTIME_BUNDLE } from '../worker/preload.js';
import type { StackCapture, StackFrame } from './capture-stack.js';

/** How many frames a kill message names. */
const FRAMES_SHOWN = 3;
// drover's runtime in the worker (it follows the app's servers through their emit).
const RUNTIME_URL = pathToFileURL(RUNTIME_BUNDLE).href;

/**
 * The top frames, innermost first, as one line: "spin (app.js:12) <- handler
 * (app.js:40)". Node's own frames (timers, events, the HTTP parser) and drover's
 * runtime are left out when the app has frames of its own; files inside `cwd` are
 * shown relative to it.
 */
export function describeFrames(frames: readonly StackFrame[], cwd: string): string {
  const own = frames.filter((frame) => !frame.url.startsWith('node:') && frame.url !== RUNTIME_URL);
  const shown = (own.length > 0 ? own : frames).slice(0, FRAMES_SHOWN);
  return shown.map((frame) => `${frame.functionName || '(anonymous)'} (${where(frame, cwd)})`).join(' <- ');
}

/** A capture in words: "stuck at spin (app.js:12) <- …", or "no stack: why". */
export function describeCapture(capture: StackCapture, cwd: string): string {
  if (!capture.ok) return `no stack: ${capture.why}`;
  if (capture.frames.length === 0) return 'no stack: its main thread paused outside JavaScript';
  return `stuck at ${describeFrames(capture.frames, cwd)}`;
}

function where(frame: StackFrame, cwd: string): string {
  let file = frame.url || '<anonymous>';
  if (file.startsWith('file://')) {
    const absolute = fileURLToPath(file);
    const relative = path.relative(cwd, absolute);
    file = relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
  }
  return `${file}:${frame.line}`;
}
