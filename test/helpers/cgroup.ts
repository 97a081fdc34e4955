import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

// A real cgroup that limits its processes to one CPU, made by a test where the machine
// lets it (root, a writable cgroup v2 tree with the cpu controller, or a cgroup v1
// cpu hierarchy); otherwise the reason why not, for the test to skip with.

export interface CpuLimitedCgroup {
  version: 1 | 2;
  dir: string;
  /** A shell command line that moves itself into the cgroup, then execs `command`. */
  wrap(command: string): string;
  remove(): void;
}

export function makeOneCpuCgroup(): CpuLimitedCgroup | string {
  if (process.platform !== 'linux') return `cgroups are Linux's (this is ${process.platform})`;
  if (availableParallelism() < 2) return 'this machine has one CPU: a 1-CPU quota would change nothing';
  if (process.getuid?.() !== 0) return 'making a cgroup needs root';
  const name = `drover-test-${process.pid}`;
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' '));
  const unified = mounts.find(([, , type]) => type === 'cgroup2')?.[1];
  const reasons: string[] = [];
  if (unified && existsSync(`${unified}/cgroup.controllers`) && readFileSync(`${unified}/cgroup.controllers`, 'utf8').split(/\s+/).includes('cpu')) {
    const dir = path.join(unified, name);
    try {
      if (!readFileSync(`${unified}/cgroup.subtree_control`, 'utf8').includes('cpu')) writeFileSync(`${unified}/cgroup.subtree_control`, '+cpu');
      mkdirSync(dir);
      writeFileSync(`${dir}/cpu.max`, '100000 100000');
      return made(2, dir);
    } catch (error) {
      removeDir(dir);
      reasons.push(`cgroup v2 at ${unified}: ${(error as Error).message}`);
    }
  } else reasons.push(unified ? `cgroup v2 at ${unified} has no cpu controller` : 'no cgroup v2 mount');
  const cpuMount = mounts.find(([, , type, options]) => type === 'cgroup' && options?.split(',').includes('cpu'))?.[1];
  if (cpuMount) {
    const dir = path.join(cpuMount, name);
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/cpu.cfs_period_us`, '100000');
      writeFileSync(`${dir}/cpu.cfs_quota_us`, '100000');
      return made(1, dir);
    } catch (error) {
      removeDir(dir);
      reasons.push(`cgroup v1 at ${cpuMount}: ${(error as Error).message}`);
    }
  } else reasons.push('no cgroup v1 cpu hierarchy');
  return `no cgroup could be made here: ${reasons.join('; ')}`;
}

function made(version: 1 | 2, dir: string): CpuLimitedCgroup {
  return {
    version,
    dir,
    wrap: (command) => `echo $$ > ${dir}/cgroup.procs && exec ${command}`,
    remove: () => removeDir(dir),
  };
}

// A cgroup can be removed once no process is left in it.
function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not made, or still in use: nothing more to do.
  }
}
