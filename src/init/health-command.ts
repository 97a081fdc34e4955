import type { InitContext } from './context.js';

/**
 * A health check that runs inside the container with what the image has: node itself,
 * whose global fetch asks the admin listener's /healthz (slim images have no curl).
 * Exec form: no shell needed, and exit 0 only for a 2xx answer.
 */
export function healthCheckCommand(context: InitContext, route: '/healthz' | '/readyz' = '/healthz'): string[] {
  const url = `http://127.0.0.1:${context.adminPort}${route}`;
  return ['node', '-e', `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
}
