import { CONTAINER_SHUTDOWN_DELAY_MS } from '../capacity/index.js';
import type { AppOptions } from '../config/index.js';

// PENDING OPTIONS. The generated files depend on options that other work adds to
// APP_OPTIONS: `admin_port` / `admin_host` (issue 15, the admin listener with /healthz
// and /readyz), `container` and `shutdown_delay` (issue 16, container mode) and
// `store: { redis }` (issue 14, the shared store). Until an option is declared there,
// the config loader rejects it, so these readers return the documented default; once
// it lands, the same readers see the value the app's config gives. Each default below
// is the one its issue documents; change it here, in one place, if the option lands
// with another.

/** The admin listener's port in generated files when the config sets none (the admin listener is off by default). */
export const DEFAULT_ADMIN_PORT = 9100;
/** admin_host's documented default: probes from outside the container need 0.0.0.0. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
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

/** Read the pending options from an app's resolved options, where they are present. */
export function readPendingOptions(app: AppOptions): PendingOptions {
  const raw = app as unknown as Record<string, unknown>;
  const adminPort = typeof raw.admin_port === 'number' ? raw.admin_port : undefined;
  const adminHost = typeof raw.admin_host === 'string' ? raw.admin_host : DEFAULT_ADMIN_HOST;
  const container = app.container;
  const shutdownDelaySet = app.shutdown_delay !== undefined;
  const store = raw.store;
  const redis = typeof store === 'object' && store !== null ? (store as Record<string, unknown>).redis : undefined;
  return {
    adminPort,
    adminHost,
    container,
    // Outside container mode drover does not wait (issue 16); the generated files run it in container mode.
    shutdownDelayMs: app.shutdown_delay ?? (container === false ? 0 : CONTAINER_SHUTDOWN_DELAY_MS),
    shutdownDelaySet,
    redisUrl: typeof redis === 'string' ? redis : undefined,
  };
}
