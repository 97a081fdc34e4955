import { DroverProcess, fixture, runDrover } from './drover-process.js';
import { freePort, get } from './http.js';

// The shared.cjs fixture (drover/worker's bus and store, driven over HTTP) under a real
// supervisor, and what the tests read of it.

export interface SharedApp {
  drover: DroverProcess;
  /** GET a route of the app; resolves with its JSON. */
  call<T = Record<string, unknown>>(path: string): Promise<T>;
  /** The app's status, as `drover ls --json` gives it. */
  status(): Promise<{ bus: { pending: number }; store?: Record<string, unknown>; workers: { slot: number; pid: number }[]; restarts: Record<string, number> }>;
}

export async function startSharedApp(name: string, workers: number, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<SharedApp> {
  const port = await freePort();
  // A long min_uptime: on a loaded machine a worker may take over the default 1 s to
  // listen, and one up that long without a port counts as an app that never listens.
  const drover = new DroverProcess(['run', fixture('shared.cjs'), '-i', String(workers), '--name', name, '--min-uptime', '10s', ...extraArgs], { env: { PORT: String(port), ...env } });
  await drover.waitUntilListening(15_000);
  return {
    drover,
    call: async (path) => (await get(`http://127.0.0.1:${port}${path}`)).json(),
    status: async () => {
      const apps = JSON.parse((await runDrover(['ls', '--json'])).stdout) as { name: string }[];
      const app = apps.find((candidate) => candidate.name === name);
      if (!app) throw new Error(`${name} is not running`);
      return app as unknown as Awaited<ReturnType<SharedApp['status']>>;
    },
  };
}
