import { DevToolsSession } from './devtools-session.js';

// Where a hung worker's JavaScript is stuck. A busy main thread cannot answer IPC, but
// V8 still services interrupts in running JavaScript: SIGUSR1 makes Node open its
// inspector from one, and Debugger.pause over the DevTools protocol stops the loop where
// it is and reports its call frames. The worker is killed right after; a worker that
// keeps running is never left with an open inspector.

/** One call frame of the paused main thread. */
export interface StackFrame {
  functionName: string;
  /** The script's URL as V8 knows it: file:///…, node:internal/…, or '' (eval). */
  url: string;
  /** 1-based, as editors count. */
  line: number;
  column: number;
}

/** What a capture found: the frames, or why there are none. `ms`: how long it took. */
export type StackCapture = { ok: true; frames: StackFrame[]; ms: number } | { ok: false; why: string; ms: number };

/** How a capture reaches the worker: opens its inspector and resolves with the ws:// address, within the time given. */
export type OpenInspector = (timeoutMs: number) => Promise<string>;

/** The whole capture, from SIGUSR1 to the frames, is bounded by this by default. */
export const STACK_CAPTURE_TIMEOUT_MS = 2000;

interface PausedParams {
  callFrames: { functionName: string; url?: string; location: { scriptId: string; lineNumber: number; columnNumber: number } }[];
}

/**
 * Open the worker's inspector (`open`), pause its main thread and read the call frames,
 * all within `timeoutMs`. Never throws: a capture that fails says why.
 */
export async function captureStack(open: OpenInspector, timeoutMs = STACK_CAPTURE_TIMEOUT_MS): Promise<StackCapture> {
  const started = Date.now();
  const left = () => Math.max(1, started + timeoutMs - Date.now());
  let session: DevToolsSession | undefined;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => {
    const url = await open(left());
    const opened = await DevToolsSession.open(url, left());
    // Connected after the deadline: nobody reads it, close it now.
    if (finished) opened.close();
    session = opened;
    return pauseAndRead(opened);
  })();
  // What fails after the deadline has been answered already.
  work.catch(() => undefined);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no stack within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const frames = await Promise.race([work, deadline]);
    return { ok: true, frames, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, why: (error as Error).message, ms: Date.now() - started };
  } finally {
    finished = true;
    clearTimeout(timer);
    session?.close();
  }
}

// Debugger.enable reports every script (scriptParsed), which is how a frame's
// scriptId becomes a file: Node 20's frames carry an empty `url`.
async function pauseAndRead(session: DevToolsSession): Promise<StackFrame[]> {
  const scripts = new Map<string, string>();
  session.on('Debugger.scriptParsed', (params) => {
    const { scriptId, url } = params as { scriptId: string; url: string };
    scripts.set(scriptId, url);
  });
  const paused = new Promise<PausedParams>((resolve) => session.on('Debugger.paused', (params) => resolve(params as PausedParams)));
  await session.call('Debugger.enable');
  await session.call('Debugger.pause');
  const { callFrames } = await paused;
  return callFrames.map((frame) => ({
    functionName: frame.functionName,
    url: frame.url || scripts.get(frame.location.scriptId) || '',
    line: frame.location.lineNumber + 1,
    column: frame.location.columnNumber + 1,
  }));
}
