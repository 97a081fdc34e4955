import { CONTAINER_SHUTDOWN_DELAY_MS, detectContainer, type ContainerSign } from '../capacity/index.js';
import type { AppOptions } from '../config/index.js';
import { formatDuration } from '../config/units.js';
import { GRACE_MARGIN_MS, graceNeededMs } from '../init/grace.js';

/** An app's options with container mode decided, and the start line that says so (undefined outside one). */
export interface ContainerDecision {
  app: AppOptions;
  line: string | undefined;
}

/**
 * Container mode, on when the app says `container: true` or, unless it says false, when
 * drover finds itself in one: shutdown_delay defaults to 5 s (endpoints are removed
 * after SIGTERM, not before), and worker lines become JSON on stdout unless the app
 * configured its logs.
 */
export function decideContainerMode(app: AppOptions, sign: ContainerSign | undefined = detectContainer()): ContainerDecision {
  const on = app.container ?? sign !== undefined;
  if (!on) return { app: { ...app, container: false, shutdown_delay: app.shutdown_delay ?? 0 }, line: undefined };
  const { logs } = app;
  const configured = logs.out_file !== undefined || logs.error_file !== undefined || logs.log_file !== undefined || logs.date_format !== undefined || logs.worker_prefix;
  const decided: AppOptions = {
    ...app,
    container: true,
    shutdown_delay: app.shutdown_delay ?? CONTAINER_SHUTDOWN_DELAY_MS,
    logs: configured ? logs : Object.freeze({ ...logs, json: true }),
  };
  const why = app.container === true ? 'container: true' : `detected ${sign!.runtime}: ${sign!.evidence}`;
  // From SIGTERM to the supervisor gone: the delay, at most kill_timeout of drain, and
  // the margin `drover init` writes into the files it generates: one rule for both.
  const grace = graceNeededMs(decided.shutdown_delay!, decided.kill_timeout);
  const line =
    `container mode (${why}): on SIGTERM drover keeps serving for shutdown_delay ${formatDuration(decided.shutdown_delay!)} while endpoints are removed, ` +
    `then drains for at most kill_timeout ${formatDuration(decided.kill_timeout)}: give it a grace period of at least ${formatDuration(grace)}, ${formatDuration(GRACE_MARGIN_MS)} of it for drover to exit` +
    ` (Kubernetes' terminationGracePeriodSeconds, 30 s by default; docker stop -t / stop_grace_period, 10 s by default)` +
    (decided.logs.json && !logs.json ? '; worker output as JSON lines' : '');
  return { app: decided, line };
}

/**
 * Whether clustering inside this container is advised, as `drover doctor` says it: one
 * worker's worth of CPU and memory means one process per container, scaled out by the
 * orchestrator; more is a cluster, and in Kubernetes replicas are the other way.
 */
export function clusterAdvice(workers: number, kubernetes: boolean): string {
  if (workers < 2) return 'one worker here: scale out with more containers (replicas), not workers';
  const other = kubernetes ? `; or -i 1 and ${workers}x the replicas, so that Kubernetes balances and scales (an HPA)` : '';
  return `${workers} workers share this container's CPUs${other}; drover doctor shows why, drover bench whether it pays`;
}
