import { displayPath, formatDuration } from '../config/index.js';
import { composeFiles, COMPOSE_HTTP_PORT, usesRedis } from './compose.js';
import type { InitContext } from './context.js';
import { dockerFiles, type GeneratedFile } from './dockerfile.js';
import { DOCKER_DEFAULT_STOP_TIMEOUT_MS, planGrace } from './grace.js';
import type { InitKind } from './kinds.js';
import { kubernetesFiles } from './kubernetes.js';
import { upstreamPolicy } from './nginx.js';

/** The choices `drover init` takes beside the app itself. */
export interface InitOptions {
  /** The folder the files go to, absolute. */
  readonly outDir: string;
  readonly replicas: number;
  readonly maxReplicas: number | undefined;
  readonly image: string | undefined;
  readonly cpus: number | undefined;
  /** The grace period the platform gives on stop (--grace), in ms. */
  readonly graceMs: number | undefined;
}

/** What to write, what to tell the user, and what to warn about. */
export interface InitResult {
  readonly files: GeneratedFile[];
  /** Lines saying what the files decided, and why. */
  readonly notes: string[];
  readonly warnings: string[];
  /** The commands that use the files. */
  readonly next: string[];
}

/** Generate the files of one kind for the app. */
export function generate(kind: InitKind, context: InitContext, options: InitOptions): InitResult {
  const image = options.image ?? `${context.name}:latest`;
  const killTimeoutMs = context.app.kill_timeout;
  const grace = (statedAs: string) => planGrace({ delayMs: context.pending.shutdownDelayMs, delayName: 'shutdown_delay', killTimeoutMs }, options.graceMs, statedAs);
  const warnings = [...context.warnings];
  const adminNote = `health checks on drover's admin listener, port ${context.adminPort}: /healthz${kind === 'k8s' ? ' and /readyz' : ''}`;

  switch (kind) {
    case 'docker': {
      // Docker gives 10 s unless told more (the next steps say how much more); --grace states what the user gives it.
      const plan = grace('--grace (docker stop timeout)');
      if (plan.warning) warnings.push(plan.warning);
      const stopTimeout = Math.max(plan.seconds, Math.ceil(DOCKER_DEFAULT_STOP_TIMEOUT_MS / 1000));
      return {
        files: dockerFiles(context),
        notes: [`runs: ${context.command.join(' ')}`, adminNote],
        warnings,
        next: [`docker build -t ${image} .`, `docker run --stop-timeout ${stopTimeout} -p ${context.appPort}:${context.appPort} ${image}`],
      };
    }
    case 'compose': {
      const plan = grace('--grace (stop_grace_period)');
      if (plan.warning) warnings.push(plan.warning);
      const policy = upstreamPolicy(context.app);
      if (policy.warning) warnings.push(policy.warning);
      return {
        files: composeFiles(context, { replicas: options.replicas, image, grace: plan, outDir: options.outDir }),
        notes: [
          `${options.replicas} replicas behind nginx (${policy.why})${usesRedis(context) ? ', Redis for the store' : ''}`,
          `stop_grace_period ${plan.seconds}s (shutdown_delay ${formatDuration(context.pending.shutdownDelayMs)} + kill_timeout ${formatDuration(killTimeoutMs)} + margin)`,
          adminNote,
        ],
        warnings,
        next: [`docker compose up --build   # then http://localhost:${COMPOSE_HTTP_PORT}`],
      };
    }
    case 'k8s': {
      const plan = kubernetesFiles(context, { replicas: options.replicas, maxReplicas: options.maxReplicas, image, cpus: options.cpus, graceMs: options.graceMs });
      warnings.push(...plan.warnings);
      if (usesRedis(context)) warnings.push("the app's store uses Redis: run Redis in the cluster (or a managed one) and give its address in the app's config or DROVER_REDIS_URL");
      return {
        files: plan.files,
        notes: [
          `per pod: ${plan.resources.cpu} CPU, ${plan.resources.memory} memory: ${plan.resources.reason}`,
          `terminationGracePeriodSeconds ${plan.grace.seconds}${plan.preStop ? ' (with a preStop sleep: shutdown_delay is 0)' : ''}`,
          adminNote,
        ],
        warnings,
        next: [`docker build -t ${image} . && docker push ${image}`, `kubectl apply -f ${displayPath(options.outDir) || '.'}`],
      };
    }
  }
}
