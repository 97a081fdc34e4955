import { readFileSync } from 'node:fs';
import path from 'node:path';

// What the kernel's control groups allow this process: a CPU quota, a cpuset and a
// memory limit. In a container `os.cpus()` reports the host (64 CPUs in a 2-CPU
// container), so these files are the only truth. Everything is read under `root`
// so that tests can point it at a fixture tree.

export interface CgroupLimits {
  version: 1 | 2 | undefined;
  /** CPUs' worth of time per period (quota / period), undefined when unlimited. */
  cpuQuota: number | undefined;
  /** CPUs listed in the cpuset, undefined when not found. */
  cpusetCount: number | undefined;
  /** Bytes, undefined when unlimited. */
  memoryLimit: number | undefined;
}

// cgroup v1 reports "no limit" as a huge page-aligned number near 2^63.
const UNLIMITED_MEMORY = 2 ** 60;

/** Read this process's CPU quota, cpuset and memory limit from cgroup v2 or v1 under `root`. */
export function readCgroupLimits(root = '/'): CgroupLimits {
  const membership = readText(root, 'proc/self/cgroup');
  if (membership === undefined) return { version: undefined, cpuQuota: undefined, cpusetCount: undefined, memoryLimit: undefined };
  const lines = membership.split('\n').filter(Boolean).map(parseMembershipLine);
  const unified = lines.find((line) => line.hierarchy === '0' && line.controllers.length === 0);
  if (unified && readText(root, 'sys/fs/cgroup/cgroup.controllers') !== undefined) {
    return readV2(root, unified.path);
  }
  return readV1(root, lines);
}

function readV2(root: string, cgroupPath: string): CgroupLimits {
  const dirs = ancestry('sys/fs/cgroup', cgroupPath);
  const quotas = dirs.map((dir) => parseCpuMax(readText(root, `${dir}/cpu.max`)));
  const memories = dirs.map((dir) => parseMemory(readText(root, `${dir}/memory.max`)));
  const cpusets = dirs.map((dir) => parseCpuList(readText(root, `${dir}/cpuset.cpus.effective`)));
  return { version: 2, cpuQuota: smallest(quotas), cpusetCount: smallest(cpusets), memoryLimit: smallest(memories) };
}

function readV1(root: string, lines: MembershipLine[]): CgroupLimits {
  const pathOf = (controller: string) => lines.find((line) => line.controllers.includes(controller))?.path ?? '/';
  const cpuMount = ['sys/fs/cgroup/cpu,cpuacct', 'sys/fs/cgroup/cpu'].find((dir) => readText(root, `${dir}/cpu.cfs_period_us`) !== undefined);
  const quotas = cpuMount
    ? ancestry(cpuMount, pathOf('cpu')).map((dir) =>
        parseCfsQuota(readText(root, `${dir}/cpu.cfs_quota_us`), readText(root, `${dir}/cpu.cfs_period_us`)),
      )
    : [];
  const memories = ancestry('sys/fs/cgroup/memory', pathOf('memory')).map((dir) =>
    parseMemory(readText(root, `${dir}/memory.limit_in_bytes`)),
  );
  const cpusets = ancestry('sys/fs/cgroup/cpuset', pathOf('cpuset')).map((dir) =>
    parseCpuList(readText(root, `${dir}/cpuset.cpus`)),
  );
  const found = quotas.length + memories.length > 0;
  return { version: found ? 1 : undefined, cpuQuota: smallest(quotas), cpusetCount: smallest(cpusets), memoryLimit: smallest(memories) };
}

interface MembershipLine {
  hierarchy: string;
  controllers: string[];
  path: string;
}

function parseMembershipLine(line: string): MembershipLine {
  const [hierarchy = '', controllers = '', ...rest] = line.split(':');
  return { hierarchy, controllers: controllers ? controllers.split(',') : [], path: rest.join(':') || '/' };
}

// The process's own cgroup and every parent up to the mount: the tightest limit wins.
// Inside a container the cgroup path may not exist under the mount (the mount is the
// container's own cgroup), so the mount root itself is always included.
function ancestry(mount: string, cgroupPath: string): string[] {
  const dirs = [mount];
  let current = '';
  for (const part of cgroupPath.split('/').filter(Boolean)) {
    current = `${current}/${part}`;
    dirs.push(`${mount}${current}`);
  }
  return dirs;
}

function readText(root: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(root, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function smallest(values: (number | undefined)[]): number | undefined {
  const known = values.filter((value): value is number => value !== undefined);
  return known.length > 0 ? Math.min(...known) : undefined;
}

/** cgroup v2 `cpu.max`: "max 100000" (no limit) or "150000 100000" (1.5 CPUs). */
export function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').split(/\s+/);
  if (!quota || quota === 'max' || !period) return undefined;
  const value = Number(quota) / Number(period);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; a quota of -1 means no limit. */
export function parseCfsQuota(quota: string | undefined, period: string | undefined): number | undefined {
  const value = Number(quota) / Number(period);
  return Number(quota) > 0 && Number.isFinite(value) && value > 0 ? value : undefined;
}

function parseMemory(text: string | undefined): number | undefined {
  if (!text || text === 'max') return undefined;
  const bytes = Number(text);
  return Number.isFinite(bytes) && bytes > 0 && bytes < UNLIMITED_MEMORY ? bytes : undefined;
}

/** Count the CPUs in a list such as "0-3,8,10-11" (6 CPUs). */
export function parseCpuList(text: string | undefined): number | undefined {
  if (!text) return undefined;
  let total = 0;
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) return undefined;
    total += to === undefined ? 1 : to - from + 1;
  }
  return total > 0 ? total : undefined;
}
