import { detectCapacity, readCgroupLimits, type Capacity, type CgroupLimits, type LimitSource } from '../capacity/index.js';
import { formatBytes } from '../config/units.js';
import { known, readUnder, unknown, type Fact } from './fact.js';
import type { DoctorHost } from './host.js';

// CPUs and memory: each figure drover's worker count reads (src/capacity), with the
// file or call it came from. The capacity itself is detectCapacity's, the same that
// `drover run` uses, so that doctor and run cannot disagree.

export interface CpuFacts {
  host: Fact<number>;
  affinity: Fact<number>;
  /** CPUs' worth of the cgroup quota; 'none' when no quota is set. */
  cgroupQuota: Fact<number | 'none'>;
  cgroupCpuset: Fact<number | 'none'>;
  /** What the worker count reads: the tightest of the above. */
  allowance: Fact<number>;
}

export interface MemoryFacts {
  host: Fact<number>;
  cgroupLimit: Fact<number | 'none'>;
  hostSwap: Fact<number>;
  cgroupSwap: Fact<number | 'none'>;
  /** What the worker count and the memory budget read. */
  limit: Fact<number>;
}

export interface ResourceFacts {
  cgroup: Fact<'v1' | 'v2' | 'none'>;
  cpu: CpuFacts;
  memory: MemoryFacts;
  /** For the recommendation: exactly what `drover run` decides from. */
  capacity: Capacity;
}

export function readResourceFacts(host: DoctorHost): ResourceFacts {
  const capacity = detectCapacity(host);
  const limits = readCgroupLimits(host.root);
  const noCgroup = limits.version === undefined;
  const cgroup: Fact<'v1' | 'v2' | 'none'> = noCgroup
    ? known('none', '/proc/self/cgroup unreadable or names no hierarchy drover reads (not Linux, or /proc not mounted)')
    : known<'v1' | 'v2'>(`v${limits.version!}`, limits.version === 2 ? '/proc/self/cgroup "0::" and /sys/fs/cgroup/cgroup.controllers' : '/proc/self/cgroup, per-controller hierarchies');
  const limit = (key: keyof NonNullable<CgroupLimits['sources']>, value: number | undefined, show: (n: number) => string): Fact<number | 'none'> => {
    if (noCgroup) return unknown('no cgroup found');
    const source = limits.sources?.[key];
    if (value !== undefined) return known(value, describeSource(source, show(value)));
    return source ? known('none', describeSource(source, 'no limit')) : unknown('no cgroup file for it could be read');
  };
  const cpus = (n: number) => (n === 1 ? '1 CPU' : `${Number.isInteger(n) ? n : n.toFixed(2)} CPUs`);
  const cpu: CpuFacts = {
    host: host.hostCpus > 0 ? known(host.hostCpus, 'os.cpus(): what a hand-written cluster script and PM2 see') : unknown('os.cpus() listed no CPU'),
    affinity: host.availableParallelism > 0 ? known(host.availableParallelism, 'the CPU affinity mask (os.availableParallelism())') : unknown('os.availableParallelism() gave none'),
    cgroupQuota: limit('cpuQuota', limits.cpuQuota, cpus),
    cgroupCpuset: limit('cpusetCount', limits.cpusetCount, cpus),
    allowance: known(capacity.cpuAllowance, capacity.cpuLimitedBy === 'host' ? 'the host: no tighter limit' : `the ${capacity.cpuLimitedBy}, the tightest limit`),
  };
  const memory: MemoryFacts = {
    host: host.totalMemory > 0 ? known(host.totalMemory, 'os.totalmem()') : unknown('os.totalmem() gave 0'),
    cgroupLimit: limit('memoryLimit', limits.memoryLimit, formatBytes),
    hostSwap: readSwap(host.root),
    cgroupSwap: limit('swapLimit', limits.swapLimit, formatBytes),
    limit: known(capacity.memoryLimit, capacity.memoryLimitedBy === 'cgroup memory limit' ? 'the cgroup memory limit' : 'total memory: no cgroup limit below it'),
  };
  return { cgroup, cpu, memory, capacity };
}

function describeSource(source: LimitSource | undefined, meaning: string): string {
  return source ? `${source.file}: ${source.text} (${meaning})` : meaning;
}

function readSwap(root: string): Fact<number> {
  const meminfo = readUnder(root, 'proc/meminfo');
  if ('error' in meminfo) return unknown(meminfo.error);
  const kb = /^SwapTotal:\s+(\d+) kB/m.exec(meminfo.text)?.[1];
  return kb === undefined ? unknown('/proc/meminfo has no SwapTotal line') : known(Number(kb) * 1024, '/proc/meminfo SwapTotal');
}
