import Module from 'node:module';
import type { AppMetric } from '../ipc/messages.js';

// The app's own prom-client metrics, read with no change to the app: it uses
// prom-client's default registry as it would in one process, and the runtime finds
// the copy of prom-client the app loaded in Node's module cache (import and require
// both put a CommonJS package there) and asks its registry, when the supervisor asks
// (a scrape). An app that never loaded prom-client has none, and nothing is loaded
// into it.

interface PromClient {
  register?: { getMetricsAsJSON?: () => Promise<AppMetric[]> | AppMetric[] };
}

const PROM_CLIENT_ENTRY = /[\\/]node_modules[\\/]prom-client[\\/]index\.js$/;
/** A collect function that never settles must not hold the answer up for ever. */
const COLLECT_TIMEOUT_MS = 3000;

/** Every prom-client the app loaded (one, usually: a dependency may bring its own copy). */
function loadedPromClients(): PromClient[] {
  const cache = (Module as unknown as { _cache: Record<string, { exports?: unknown } | undefined> })._cache;
  const found: PromClient[] = [];
  for (const [file, module] of Object.entries(cache)) {
    if (PROM_CLIENT_ENTRY.test(file) && module?.exports && !found.includes(module.exports as PromClient)) found.push(module.exports as PromClient);
  }
  return found;
}

/** The metrics of every loaded prom-client's default registry (a name met twice keeps its first), or why they could not be read. */
export async function readAppMetrics(): Promise<{ app?: AppMetric[]; appError?: string }> {
  const clients = loadedPromClients().filter((client) => typeof client.register?.getMetricsAsJSON === 'function');
  if (clients.length === 0) return {};
  try {
    const registries = await withTimeout(Promise.all(clients.map((client) => client.register!.getMetricsAsJSON!())), COLLECT_TIMEOUT_MS);
    const seen = new Set<string>();
    const app = registries.flat().filter((metric) => !seen.has(metric.name) && seen.add(metric.name));
    return { app };
  } catch (error) {
    return { appError: error instanceof Error ? error.message : String(error) };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the app's metrics took more than ${ms} ms to collect`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
