import { CONTAINER_SHUTDOWN_DELAY_MS } from '../capacity/index.js';
import type { AppOptions } from '../config/index.js';

// The run-time options the generated files depend on: the admin listener (`admin_port`,
// `admin_host`: the probes), container mode (`container`, `shutdown_delay`: the grace
// period) and the store on Redis (`store.redis`: a Redis service). Where the app's
// config leaves one unset, the generated command line sets what a container needs.

/** The admin listener's port in generated files when the config sets none (the admin listener is off by default). */
export const DEFAULT_ADMIN_PORT = 9100;
export { CONTAINER_SHUTDOWN_DELAY_MS };

/** The flags `drover run` takes for them (the option names, as every app option's flag is spelled). */
export const PENDING_FLAGS = {
  container: '--container',
  admin_port: '--admin-port',
  admin_host: '--admin-host',
} as const;

/** What the generators need of the pending options, with the defaults filled in. */
export interface PendingOptions {
  /** The config's admin_port, or undefined: the generated command line then sets DEFAULT_ADMIN_PORT. */
  readonly adminPort: number | undefined;
  readonly adminHost: string;
  /** The config's `container`, or undefined: the generated command line then sets --container. */
  readonly container: boolean | undefined;
  /** shutdown_delay as drover will apply it in the container. */
  readonly shutdownDelayMs: number;
  /** Whether the config set shutdown_delay (0 included). */
  readonly shutdownDelaySet: boolean;
  /** The store's Redis URL, when the store uses Redis. */
  readonly redisUrl: string | undefined;
}

/** Read those options from an app's resolved options, with what a container needs where they are unset. */
export function readPendingOptions(app: AppOptions): PendingOptions {
  return {
    adminPort: app.admin_port,
    adminHost: app.admin_host,
    container: app.container,
    // The generated files run drover in container mode, unless the config says container: false.
    shutdownDelayMs: app.shutdown_delay ?? (app.container === false ? 0 : CONTAINER_SHUTDOWN_DELAY_MS),
    shutdownDelaySet: app.shutdown_delay !== undefined,
    redisUrl: app.store?.redis,
  };
}
