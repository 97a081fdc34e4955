import os from 'node:os';
import { readCgroupLimits } from './cgroup.js';

/** What this machine (or container) gives the app, and which limit decided each figure. */
export interface Capacity {
  hostCpus: number;
  /** CPUs' worth of time the app may use; fractional under a CPU quota. */
  cpuAllowance: number;
  cpuLimitedBy: 'cgroup CPU quota' | 'cgroup cpuset' | 'CPU affinity' | 'host';
  memoryLimit: number;
  memoryLimitedBy: 'cgroup memory limit' | 'total memory';
  cgroupVersion: 1 | 2 | undefined;
}

/** Facts about the host; injectable so that tests can describe any machine. */
export interface HostFacts {
  root: string;
  hostCpus: number;
  availableParallelism: number;
  totalMemory: number;
}

export function currentHostFacts(): HostFacts {
  return {
    root: '/',
    hostCpus: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    totalMemory: os.totalmem(),
  };
}

/** Work out the CPU and memory allowance from the cgroup limits, the affinity mask and the host. */
export function detectCapacity(facts: HostFacts = currentHostFacts()): Capacity {
  const limits = readCgroupLimits(facts.root);
  const hostCpus = Math.max(1, facts.hostCpus);
  let cpuAllowance = hostCpus;
  let cpuLimitedBy: Capacity['cpuLimitedBy'] = 'host';
  // The tightest limit below the host's count decides; on a tie the later, more
  // specific name (the quota) is the more useful one to print.
  const candidates: [number | undefined, Capacity['cpuLimitedBy']][] = [
    [facts.availableParallelism, 'CPU affinity'],
    [limits.cpusetCount, 'cgroup cpuset'],
    [limits.cpuQuota, 'cgroup CPU quota'],
  ];
  for (const [value, source] of candidates) {
    if (value === undefined || value <= 0 || value >= hostCpus) continue;
    if (value <= cpuAllowance) {
      cpuAllowance = value;
      cpuLimitedBy = source;
    }
  }
  const cgroupMemory = limits.memoryLimit !== undefined && limits.memoryLimit < facts.totalMemory;
  return {
    hostCpus,
    cpuAllowance,
    cpuLimitedBy,
    memoryLimit: cgroupMemory ? limits.memoryLimit! : facts.totalMemory,
    memoryLimitedBy: cgroupMemory ? 'cgroup memory limit' : 'total memory',
    cgroupVersion: limits.version,
  };
}
