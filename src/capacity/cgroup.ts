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
  /** Swap the cgroup may use on top of its memory, bytes; undefined when unlimited or not found. */
  swapLimit?: number | undefined;
  /** The file each figure was read from and what it said (the tightest one on the path), for `drover doctor`. */
  sources?: Partial<Record<'cpuQuota' | 'cpusetCount' | 'memoryLimit' | 'swapLimit', LimitSource>>;
}

/** Where a limit was read: the file (as an absolute path on the machine) and its text. */
export interface LimitSource {
  file: string;
  text: string;
}

/** A figure read from one file of the path, with that file. */
type Reading = { value: number | undefined; file: string; text: string | undefined };

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
  const each = (file: string, parse: (text: string | undefined) => number | undefined) => dirs.map((dir) => reading(root, `${dir}/${file}`, parse));
  return limitsOf(2, {
    cpuQuota: each('cpu.max', parseCpuMax),
    cpusetCount: each('cpuset.cpus.effective', parseCpuList),
    memoryLimit: each('memory.max', parseMemory),
    swapLimit: each('memory.swap.max', parseSwap),
  });
}

function readV1(root: string, lines: MembershipLine[]): CgroupLimits {
  const pathOf = (controller: string) => lines.find((line) => line.controllers.includes(controller))?.path ?? '/';
  const cpuMount = ['sys/fs/cgroup/cpu,cpuacct', 'sys/fs/cgroup/cpu'].find((dir) => readText(root, `${dir}/cpu.cfs_period_us`) !== undefined);
  const quotas: Reading[] = cpuMount
    ? ancestry(cpuMount, pathOf('cpu')).map((dir) => {
        const quota = readText(root, `${dir}/cpu.cfs_quota_us`);
        const period = readText(root, `${dir}/cpu.cfs_period_us`);
        return { value: parseCfsQuota(quota, period), file: `/${dir}/cpu.cfs_quota_us`, text: quota === undefined ? undefined : `${quota} / ${period ?? '?'} (cpu.cfs_period_us)` };
      })
    : [];
  const memoryDirs = ancestry('sys/fs/cgroup/memory', pathOf('memory'));
  const memories = memoryDirs.map((dir) => reading(root, `${dir}/memory.limit_in_bytes`, parseMemory));
  // v1 limits memory + swap together (memsw); the swap allowed is the difference.
  const swaps = memoryDirs.map((dir, i): Reading => {
    const both = reading(root, `${dir}/memory.memsw.limit_in_bytes`, parseMemory);
    const memory = memories[i]!.value;
    return { ...both, value: both.value !== undefined && memory !== undefined ? both.value - memory : undefined };
  });
  const cpusets = ancestry('sys/fs/cgroup/cpuset', pathOf('cpuset')).map((dir) => reading(root, `${dir}/cpuset.cpus`, parseCpuList));
  const found = quotas.length + memories.length > 0;
  return limitsOf(found ? 1 : undefined, { cpuQuota: quotas, cpusetCount: cpusets, memoryLimit: memories, swapLimit: swaps });
}

function reading(root: string, file: string, parse: (text: string | undefined) => number | undefined): Reading {
  const text = readText(root, file);
  return { value: parse(text), file: `/${file}`, text };
}

// The tightest reading of each figure, and the file it came from; where none sets a
// limit, the file nearest the process that could be read says "no limit" (max, -1).
function limitsOf(version: 1 | 2 | undefined, readings: Record<'cpuQuota' | 'cpusetCount' | 'memoryLimit' | 'swapLimit', Reading[]>): CgroupLimits {
  const sources: NonNullable<CgroupLimits['sources']> = {};
  const values: Partial<Record<keyof typeof readings, number>> = {};
  for (const [key, list] of Object.entries(readings) as [keyof typeof readings, Reading[]][]) {
    const known = list.filter((r) => r.value !== undefined);
    const tightest = known.length > 0 ? known.reduce((a, b) => (b.value! < a.value! ? b : a)) : list.findLast((r) => r.text !== undefined);
    if (tightest?.text !== undefined) sources[key] = { file: tightest.file, text: tightest.text };
    values[key] = tightest?.value;
  }
  return { version, cpuQuota: values.cpuQuota, cpusetCount: values.cpusetCount, memoryLimit: values.memoryLimit, swapLimit: values.swapLimit, sources };
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

/** A file under `root`, trimmed; undefined when it cannot be read. */
export function readText(root: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(root, file), 'utf8').trim();
  } catch {
    return undefined;
  }
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

// cgroup v2 `memory.swap.max`: "max", or bytes; 0 is a real limit (no swap).
function parseSwap(text: string | undefined): number | undefined {
  if (text === '0') return 0;
  return parseMemory(text);
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
