// The worker API, for apps that want more than drover does without them:
//   import { ready, onShutdown } from 'drover/worker';   (or require('drover/worker'))
// CommonJS, so that apps of either kind load it; it shares its state with the worker
// runtime through a global symbol, whichever copy of drover the app resolves.

type Hook = () => unknown;

interface SharedState {
  hooks: Hook[];
}

const STATE = Symbol.for('drover.worker.state');

function shared(): SharedState {
  const holder = globalThis as { [STATE]?: SharedState };
  return (holder[STATE] ??= { hooks: [] });
}

/**
 * Say the worker is ready to serve: with `wait_ready`, drover counts the worker as up
 * (for start and for reloads) only from here. The same message PM2 waits for.
 */
export function ready(): void {
  process.send?.('ready');
}

/**
 * Run `hook` when this worker begins to drain (stop, reload, scale down): close
 * WebSockets and other long-lived connections, stop background jobs, release pools.
 * In-flight requests may still be finishing; the worker exits once every hook has
 * settled and every connection has closed, or at kill_timeout.
 */
export function onShutdown(hook: Hook): void {
  shared().hooks.push(hook);
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
