import { formatDuration } from '../config/index.js';

/**
 * Time drover needs after the stop signal beyond shutdown_delay and kill_timeout: the
 * supervisor reaps the workers it killed at kill_timeout, closes its sockets and exits,
 * and the signal takes a moment to reach it through tini. 5 s is generous for all that.
 */
export const GRACE_MARGIN_MS = 5000;

/** Docker's own stop timeout (`docker stop`, `docker run` without --stop-timeout). */
export const DOCKER_DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** The grace period a platform gives drover on stop, and what drover needs of it. */
export interface GracePlan {
  /** shutdown_delay (or preStop) + kill_timeout + margin, rounded up to whole seconds. */
  readonly neededMs: number;
  /** The grace period written in the generated files: the one the user stated, else neededMs. */
  readonly seconds: number;
  /** One line when the stated grace period is shorter than drover needs. */
  readonly warning: string | undefined;
}

/**
 * The grace period drover needs from the stop signal: the delay (shutdown_delay or a
 * preStop sleep), at most kill_timeout of drain, and the margin, in whole seconds. The
 * container-mode start line and the generated files both say this figure.
 */
export function graceNeededMs(delayMs: number, killTimeoutMs: number): number {
  return Math.ceil((delayMs + killTimeoutMs + GRACE_MARGIN_MS) / 1000) * 1000;
}

/** How long drover needs to stop cleanly, and whether a stated grace period (`--grace`) fits it. */
export function planGrace(parts: { delayMs: number; delayName: string; killTimeoutMs: number }, statedMs: number | undefined, statedAs: string): GracePlan {
  const neededMs = graceNeededMs(parts.delayMs, parts.killTimeoutMs);
  const seconds = Math.ceil((statedMs ?? neededMs) / 1000);
  const warning = statedMs !== undefined && statedMs < neededMs ? tooShort(parts, statedMs, statedAs, neededMs) : undefined;
  return { neededMs, seconds, warning };
}

function tooShort(parts: { delayMs: number; delayName: string; killTimeoutMs: number }, statedMs: number, statedAs: string, neededMs: number): string {
  const sum = `${parts.delayName} ${formatDuration(parts.delayMs)} + kill_timeout ${formatDuration(parts.killTimeoutMs)} + ${formatDuration(GRACE_MARGIN_MS)} margin = ${formatDuration(neededMs)}`;
  const room = statedMs - parts.delayMs - GRACE_MARGIN_MS;
  const fix = room > 0 ? `lower kill_timeout to ${formatDuration(room)} or less, or give ${formatDuration(neededMs)}` : `give at least ${formatDuration(neededMs)}`;
  return `${statedAs} ${formatDuration(statedMs)} is shorter than drover needs to stop (${sum}): workers still draining then are killed with their requests; ${fix}`;
}
