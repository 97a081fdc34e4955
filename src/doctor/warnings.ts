import { describeCpu, memoryBudget, workerCounts, type InstanceDecision } from '../capacity/index.js';
import { packageRunner, packageRunnerWarning, PID1_WARNING } from '../cli/entry-warnings.js';
import { formatBytes } from '../config/units.js';
import { isContainer, type DoctorFacts } from './facts.js';

/** Something wrong for running the app here, and what to do about it. */
export interface DoctorWarning {
  message: string;
  fix: string;
}

/** An open-file limit under this caps a worker near this many connections (each holds a descriptor). */
export const MIN_OPEN_FILES = 4096;
/** A worker whose event loop waits longer than this (p99) is CPU-bound, or blocked. */
const SLOW_LOOP_MS = 100;

export function doctorWarnings(facts: DoctorFacts, decision: InstanceDecision): DoctorWarning[] {
  const warnings: DoctorWarning[] = [];
  const { capacity } = facts.resources;
  const counts = workerCounts(capacity, facts.workerMemory);
  const budget = memoryBudget(capacity, decision.count);
  const mib = (bytes: number) => `${Math.ceil(bytes / 1024 / 1024)}M`;

  if (capacity.cpuLimitedBy !== 'host' && capacity.hostCpus > counts.cpu) {
    warnings.push({
      message:
        `${capacity.hostCpus} CPUs visible but a ${describeCpu(capacity)}: os.cpus() (a hand-written cluster script, PM2's -i max, nproc) ` +
        `would start ${capacity.hostCpus} workers here, and they would share ${counts.cpu === 1 ? "1 CPU's" : `${counts.cpu} CPUs'`} worth of time`,
      fix: `let drover count (-i auto or -i max read the limit); never pass -i $(nproc) or os.cpus().length`,
    });
  }
  if (counts.memory < counts.cpu) {
    warnings.push({
      message: `memory for fewer workers than CPUs: ${formatBytes(capacity.memoryLimit)} fits ${counts.memory} at ${formatBytes(facts.workerMemory)} each, and there are ${counts.cpu} CPUs`,
      fix:
        `raise the memory limit to ${formatBytes(counts.cpu * facts.workerMemory)} or more for ${counts.cpu} workers, or, if a worker needs less, ` +
        'measure it (drover doctor while the app runs) and set --worker-memory to its RSS',
    });
  }
  if (decision.count > counts.cpu) {
    warnings.push({
      message: `${decision.count} workers on ${describeCpu(capacity)}: more workers than CPUs only help an app that waits on I/O, and each costs memory`,
      fix: `measure it: drover bench <script> --workers ${counts.cpu},${decision.count}; or let drover count (-i auto)`,
    });
  }
  if (budget.share < facts.workerMemory) {
    warnings.push({
      message: `each worker's share of the memory limit is ${formatBytes(budget.share)}, less than the ${formatBytes(facts.workerMemory)} a worker is assumed to need`,
      fix: `fewer workers (-i ${Math.max(1, Math.floor(budget.available / facts.workerMemory))}), or a higher memory limit`,
    });
  }
  for (const app of facts.running.value ?? []) {
    if (app.largestRss !== null && app.largestRss > facts.workerMemory) {
      warnings.push({
        message: `app '${app.name}': a worker measures ${formatBytes(app.largestRss)} RSS, more than the ${formatBytes(facts.workerMemory)} that -i auto assumes, so auto may start more workers than the memory holds`,
        fix: `--worker-memory ${mib(app.largestRss * 1.2)} (the largest worker plus a fifth) in the app's options`,
      });
    }
    if (app.largestRss !== null && app.largestRss > budget.share) {
      warnings.push({
        message: `app '${app.name}': a worker measures ${formatBytes(app.largestRss)} RSS, over its ${formatBytes(budget.share)} share of the memory limit`,
        fix: 'fewer workers, a higher memory limit, or find what the worker holds (a heap snapshot)',
      });
    }
    if (app.worstLoopDelayP99 !== null && app.worstLoopDelayP99 > SLOW_LOOP_MS) {
      warnings.push({
        message: `app '${app.name}': event-loop delay p99 ${app.worstLoopDelayP99} ms: a worker's loop is blocked (CPU-bound work, or synchronous I/O); its other requests wait meanwhile`,
        fix: 'more workers help only while CPUs are free (drover bench shows it); move the heavy work to worker threads (piscina), or make it asynchronous',
      });
    }
  }
  const pid1 = facts.system.pid1.value;
  const runner = pid1 === null ? undefined : packageRunner(pid1);
  if (runner) {
    warnings.push({ message: `${runner} is PID 1 (the container's entry point): ${packageRunnerWarning(runner).split('; ')[0]}`, fix: packageRunnerWarning(runner).split('; ').slice(1).join('; ') });
  } else if (facts.system.initSystem.value?.startsWith('node ') && isContainer(facts)) {
    const [what, fix] = PID1_WARNING.split('; ');
    warnings.push({ message: `drover (node) is PID 1: ${what!.replace('running as PID 1: ', '')}`, fix: fix! });
  }
  const files = facts.system.openFiles.value;
  if (files && files.soft !== 'unlimited' && files.soft < MIN_OPEN_FILES) {
    const raiseTo = files.hard === 'unlimited' ? 65536 : Math.max(files.soft, Math.min(files.hard, 65536));
    warnings.push({
      message: `open-file limit ${files.soft}: each connection holds a file descriptor, so a worker refuses connections (EMFILE) near ${files.soft}`,
      fix:
        raiseTo > files.soft
          ? `ulimit -n ${raiseTo} before drover starts; LimitNOFILE=65536 in a systemd unit; docker run --ulimit nofile=65536:65536`
          : `the hard limit is ${files.hard}: raise it as root (/etc/security/limits.conf, LimitNOFILE=65536 in a systemd unit, docker run --ulimit nofile=65536:65536)`,
    });
  }
  const { port, mayBind, unprivilegedFrom } = facts.port;
  if (port.value !== null && mayBind.value === 'no') {
    warnings.push({
      message: `port ${port.value} is privileged (below ${unprivilegedFrom.value}): binding it needs root or CAP_NET_BIND_SERVICE, and this user has neither: the workers will fail with EACCES`,
      fix:
        `sudo setcap cap_net_bind_service=+ep $(command -v node); or AmbientCapabilities=CAP_NET_BIND_SERVICE in a systemd unit; ` +
        `or sysctl net.ipv4.ip_unprivileged_port_start=${port.value}; or listen on a port from ${unprivilegedFrom.value} behind a proxy`,
    });
  }
  if (facts.app && /\.[cm]?ts$/.test(facts.app.script) && facts.node.typeStripping.value?.startsWith('none, and no tsx')) {
    warnings.push({ message: `${facts.app.script} is TypeScript, and this Node.js cannot run it`, fix: facts.node.typeStripping.source });
  }
  return warnings;
}
