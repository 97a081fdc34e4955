import { existsSync } from 'node:fs';
import path from 'node:path';
import { readText } from './cgroup.js';

// Whether drover runs inside a container, and what says so. Inside one the rules
// change: the orchestrator restarts and scales, a load balancer must stop sending
// before the drain (shutdown_delay), and logs go to stdout as JSON lines. Read under
// `root`, from `env` and `pid`, so that tests can describe any machine.

/** Without shutdown_delay, how long an app in container mode keeps serving after SIGTERM before it drains. */
export const CONTAINER_SHUTDOWN_DELAY_MS = 5000;

export interface ContainerFacts {
  root: string;
  env: NodeJS.ProcessEnv;
  pid: number;
}

/** The first sign found, or undefined on a plain host. */
export interface ContainerSign {
  /** 'Kubernetes', 'docker', 'podman', a cgroup's runtime, or 'PID 1'. */
  runtime: string;
  /** Where that came from, for the start line and `drover doctor`. */
  evidence: string;
}

export function currentContainerFacts(): ContainerFacts {
  return { root: '/', env: process.env, pid: process.pid };
}

// cgroup v1 paths (and v2 ones outside a cgroup namespace) name the runtime.
const CGROUP_RUNTIMES: [RegExp, string][] = [
  [/kubepods/, 'Kubernetes'],
  [/docker/, 'docker'],
  [/libpod/, 'podman'],
  [/containerd|cri-o|crio/, 'a container runtime'],
  [/lxc/, 'LXC'],
];

/** The container runtime a /proc/<pid>/cgroup file names, and the line that names it; also `drover doctor`'s. */
export function runtimeInCgroup(cgroup: string | undefined): { runtime: string; line: string } | undefined {
  for (const [pattern, runtime] of CGROUP_RUNTIMES) {
    const line = cgroup?.split('\n').find((entry) => pattern.test(entry));
    if (line) return { runtime, line: line.trim() };
  }
  return undefined;
}

/** The sign that drover runs in a container, most specific first; undefined when none is found. */
export function detectContainer(facts: ContainerFacts = currentContainerFacts()): ContainerSign | undefined {
  const { root, env, pid } = facts;
  // Said outright: DROVER_CONTAINER=0 on a host that looks like a container (a CI
  // runner, a dev container), =1 where nothing shows it.
  if (env.DROVER_CONTAINER === '0' || env.DROVER_CONTAINER === 'false') return undefined;
  if (env.DROVER_CONTAINER === '1' || env.DROVER_CONTAINER === 'true') return { runtime: 'a container', evidence: `DROVER_CONTAINER=${env.DROVER_CONTAINER}` };
  if (env.KUBERNETES_SERVICE_HOST) return { runtime: 'Kubernetes', evidence: 'KUBERNETES_SERVICE_HOST is set' };
  if (existsSync(path.join(root, '.dockerenv'))) return { runtime: 'docker', evidence: '/.dockerenv exists' };
  if (existsSync(path.join(root, 'run/.containerenv'))) return { runtime: 'podman', evidence: '/run/.containerenv exists' };
  // systemd's convention, set by podman, systemd-nspawn and LXC.
  if (env.container) return { runtime: env.container, evidence: `container=${env.container} is set` };
  const inCgroup = runtimeInCgroup(readText(root, 'proc/self/cgroup'));
  if (inCgroup) return { runtime: inCgroup.runtime, evidence: `/proc/self/cgroup: ${inCgroup.line}` };
  if (pid === 1) return { runtime: 'a container (PID 1)', evidence: 'drover is PID 1' };
  return undefined;
}
