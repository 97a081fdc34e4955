// The worker API, for apps that want more than drover does without them:
//   import { ready, onShutdown } from 'drover/worker';   (or require('drover/worker'))
// CommonJS, so that apps of either kind load it; it shares its state with the worker
// runtime through a global symbol, whichever copy of drover the app resolves.

type Hook = () => unknown;
/** A health check: true (or nothing) is healthy; false, a string (the reason) or a throw is not. */
type HealthCheck = () => unknown;

interface SharedState {
  hooks: Hook[];
  healthCheck: HealthCheck | undefined;
}

const STATE = Symbol.for('drover.worker.state');

function shared(): SharedState {
  const holder = globalThis as { [STATE]?: SharedState };
  return (holder[STATE] ??= { hooks: [], healthCheck: undefined });
}

/**
 * Say the worker is ready to serve: with `wait_ready`, drover counts the worker as up
 * (for start and for reloads) only from here. The same message PM2 waits for.
 */
export function ready(): void {
  process.send?.('ready');
}

/**
 * Run `hook` when this worker begins to drain (stop, reload, scale down): stop
 * background jobs, release pools, close long-lived connections (drover closes the
 * WebSockets left open, spread out, once the app has heard its stop signal).
 * In-flight requests may still be finishing; the worker exits once every hook has
 * settled and every connection has closed, or at kill_timeout.
 */
export function onShutdown(hook: Hook): void {
  shared().hooks.push(hook);
}

/**
 * Register the app's own health check, run every stats interval. It fails when it
 * returns false or a string (the reason), or throws or rejects; after
 * `health_check_failures` failures in a row drover replaces the worker gracefully.
 */
export function healthCheck(check: HealthCheck): void {
  shared().healthCheck = check;
}

/** Whether this process is a worker started by drover. */
export function isSupervised(): boolean {
  return process.env.DROVER_APP_NAME !== undefined;
}

/** For the worker runtime: run the registered hooks, reporting failures, never throwing. */
export async function runShutdownHooks(): Promise<void> {
  await Promise.all(
    shared().hooks.map(async (hook) => {
      try {
        await hook();
      } catch (error) {
        process.stderr.write(`drover: an onShutdown hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      }
    }),
  );
}

/** For the worker runtime: run the app's health check, if any, within `timeoutMs`. */
export async function runHealthCheck(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string } | undefined> {
  const check = shared().healthCheck;
  if (!check) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve(check()), timeout.then((reason) => ({ timedOut: reason }))]);
    if (typeof result === 'object' && result !== null && 'timedOut' in result) return { ok: false, reason: String(result.timedOut) };
    if (result === false) return { ok: false, reason: 'the check returned false' };
    if (typeof result === 'string') return { ok: false, reason: result };
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
