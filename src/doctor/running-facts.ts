import { callSupervisor, findRunningApps } from '../control/client.js';
import { errorCode } from '../errors/index.js';
import { known, unknown, type Fact } from './fact.js';

// Whether the app runs under drover now, and what its workers measure: asked of its
// supervisor over the control socket (GET /v1/status), as `drover ls` does.

export interface MeasuredWorker {
  slot: number;
  pid: number;
  /** Resident memory, bytes; null before the worker's first report. */
  rss: number | null;
  /** Event-loop delay p99 since its last report, ms. */
  loopDelayP99: number | null;
  cpuPercent: number | null;
}

export interface RunningApp {
  name: string;
  workers: MeasuredWorker[];
  /** The largest RSS of a worker that reported: what one worker needs. */
  largestRss: number | null;
  worstLoopDelayP99: number | null;
}

/** The running apps named in `names` (every running app when undefined): measured, or why not. */
export async function readRunningApps(names: readonly string[] | undefined): Promise<Fact<RunningApp[]>> {
  let running;
  try {
    running = await findRunningApps();
  } catch (error) {
    return unknown(`the control sockets could not be listed (${errorCode(error)})`);
  }
  const wanted = running.filter((app) => names === undefined || names.includes(app.name));
  const apps: RunningApp[] = [];
  const missed: string[] = [];
  for (const app of wanted) {
    try {
      const status = await callSupervisor(app.socket, 'GET /v1/status', { timeoutMs: 2000 });
      const workers = status.workers.map((worker): MeasuredWorker => ({
        slot: worker.slot,
        pid: worker.pid,
        rss: worker.stats?.rss ?? null,
        loopDelayP99: worker.stats?.eventLoopDelay.p99 ?? null,
        cpuPercent: worker.stats?.cpuPercent ?? null,
      }));
      const most = (values: (number | null)[]) => (values.some((v) => v !== null) ? Math.max(...values.filter((v): v is number => v !== null)) : null);
      apps.push({ name: app.name, workers, largestRss: most(workers.map((w) => w.rss)), worstLoopDelayP99: most(workers.map((w) => w.loopDelayP99)) });
    } catch (error) {
      missed.push(`${app.name} (${(error as Error).message})`);
    }
  }
  const source = `GET /v1/status on the control sockets in $DROVER_HOME/sockets${missed.length > 0 ? `; no answer from ${missed.join(', ')}` : ''}`;
  return known(apps, source);
}
