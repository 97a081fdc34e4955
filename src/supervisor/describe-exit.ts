import { formatDuration } from '../config/units.js';

/** "exit code 1", "signal SIGKILL": how a process ended, in the words a person reads. */
export function describeExit(code: number | null, signal: string | null): string {
  if (code === null && signal === null) return 'no process (it could not be started)';
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/** "exit code 1 after 45 ms" */
export function describeExitAfter(code: number | null, signal: string | null, uptime: number): string {
  return `${describeExit(code, signal)} after ${formatDuration(uptime)}`;
}

const ERROR_LINE = /^\s*(?:[\w.]*Error|[\w.]*Exception)\b|\bERR_[A-Z_]+\b/;

/** The one line that best says why a worker died: an error line of its stderr, or its last line. */
export function summarizeCause(stderrTail: readonly string[]): string | undefined {
  const lines = stderrTail.map((line) => line.trim()).filter(Boolean).filter((line) => !line.startsWith('at ') && !line.startsWith('Node.js v'));
  return lines.findLast((line) => ERROR_LINE.test(line)) ?? lines.at(-1);
}
