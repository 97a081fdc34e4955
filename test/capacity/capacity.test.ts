import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectCapacity, memoryBudget, readCgroupLimits, resolveInstances, type HostFacts } from '../../src/capacity/index.js';
import { parseCpuList, parseCpuMax, parseCfsQuota } from '../../src/capacity/cgroup.js';
import { ROOT } from '../helpers/drover-process.js';

// cgroup detection against fixture trees under test/fixtures/cgroup, each a fake "/"
// holding proc/self/cgroup and sys/fs/cgroup as a container or a host would show them.

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const host = (tree: string, overrides: Partial<HostFacts> = {}): HostFacts => ({
  root: `${ROOT}test/fixtures/cgroup/${tree}`,
  hostCpus: 64,
  availableParallelism: 64,
  totalMemory: 16 * GiB,
  ...overrides,
});
const auto = (facts: HostFacts) => resolveInstances('auto', detectCapacity(facts), 150 * MiB);

describe('detectCapacity and auto', () => {
  it('cgroup v2 quota of 2 CPUs and 1 GiB in a 64-CPU host', () => {
    const capacity = detectCapacity(host('v2-quota'));
    assert.deepEqual(capacity, {
      hostCpus: 64,
      cpuAllowance: 2,
      cpuLimitedBy: 'cgroup CPU quota',
      memoryLimit: GiB,
      memoryLimitedBy: 'cgroup memory limit',
      cgroupVersion: 2,
    });
    assert.deepEqual(auto(host('v2-quota')), {
      count: 2,
      reason: '2 workers: cgroup CPU quota 2.0 of 64 CPUs; cgroup memory limit 1 GiB fits 6 at 150 MiB each',
    });
  });

  it('fractional quota rounds down, never below 1', () => {
    assert.equal(detectCapacity(host('v2-fractional')).cpuAllowance, 1.5);
    assert.equal(auto(host('v2-fractional')).count, 1);
    assert.match(auto(host('v2-fractional')).reason, /^1 worker: cgroup CPU quota 1\.5 of 64 CPUs; memory 16 GiB fits 109/);
  });

  it('no limit: the host decides', () => {
    const facts = host('v2-unlimited', { hostCpus: 8, availableParallelism: 8 });
    assert.deepEqual(auto(facts), { count: 8, reason: '8 workers: 8 CPUs; memory 16 GiB fits 109 at 150 MiB each' });
    assert.equal(detectCapacity(facts).cgroupVersion, 2);
  });

  it('a limit on a parent cgroup applies (host view of a nested cgroup)', () => {
    const capacity = detectCapacity(host('v2-nested'));
    assert.equal(capacity.cpuAllowance, 4);
    assert.equal(capacity.memoryLimit, 512 * MiB);
    assert.deepEqual(auto(host('v2-nested')), {
      count: 3,
      reason: '3 workers: cgroup CPU quota 4.0 of 64 CPUs; cgroup memory limit 512 MiB fits 3 at 150 MiB each',
    });
  });

  it('cgroup v2 cpuset', () => {
    assert.deepEqual(auto(host('v2-cpuset')).reason, '3 workers: cgroup cpuset 3 of 64 CPUs; memory 16 GiB fits 109 at 150 MiB each');
  });

  it('cgroup v1 quota and memory limit (container view)', () => {
    const capacity = detectCapacity(host('v1-quota'));
    assert.equal(capacity.cgroupVersion, 1);
    assert.equal(capacity.cpuAllowance, 3);
    assert.equal(capacity.memoryLimit, 2 * GiB);
    assert.equal(auto(host('v1-quota')).reason, '3 workers: cgroup CPU quota 3.0 of 64 CPUs; cgroup memory limit 2 GiB fits 13 at 150 MiB each');
  });

  it('cgroup v1 without limits: quota -1 and the huge "unlimited" memory value', () => {
    const capacity = detectCapacity(host('v1-unlimited', { hostCpus: 4, availableParallelism: 4 }));
    assert.equal(capacity.cpuAllowance, 4);
    assert.equal(capacity.cpuLimitedBy, 'host');
    assert.equal(capacity.memoryLimitedBy, 'total memory');
  });

  it('cgroup v1 cpuset', () => {
    assert.equal(auto(host('v1-cpuset')).reason, '2 workers: cgroup cpuset 2 of 64 CPUs; memory 16 GiB fits 109 at 150 MiB each');
  });

  it('no cgroup files at all (macOS, or /proc not mounted): CPU affinity and total memory', () => {
    const facts = host('none', { hostCpus: 16, availableParallelism: 6, totalMemory: 512 * MiB });
    assert.deepEqual(auto(facts), { count: 3, reason: '3 workers: CPU affinity 6 of 16 CPUs; memory 512 MiB fits 3 at 150 MiB each' });
    assert.equal(detectCapacity(facts).cgroupVersion, undefined);
  });

  it('max ignores memory; a number is taken as given', () => {
    const capacity = detectCapacity(host('v2-nested'));
    assert.deepEqual(resolveInstances('max', capacity, 150 * MiB), { count: 4, reason: '4 workers: -i max, cgroup CPU quota 4.0 of 64 CPUs' });
    assert.deepEqual(resolveInstances(7, capacity, 150 * MiB), { count: 7, reason: '7 workers: -i 7' });
    assert.deepEqual(resolveInstances(3, capacity, 150 * MiB, 'DROVER_INSTANCES='), { count: 3, reason: '3 workers: DROVER_INSTANCES=3' });
  });
});

describe('where each limit was read', () => {
  it('the tightest file on the path, with its text (v2, limit on the parent)', () => {
    const limits = readCgroupLimits(host('v2-nested').root);
    assert.deepEqual(limits.sources?.cpuQuota, { file: '/sys/fs/cgroup/kubepods/pod1/cpu.max', text: '400000 100000' });
    assert.deepEqual(limits.sources?.memoryLimit, { file: '/sys/fs/cgroup/kubepods/pod1/ctr/memory.max', text: '536870912' });
  });

  it('no limit: the file that says so', () => {
    const limits = readCgroupLimits(host('v2-unlimited').root);
    assert.equal(limits.cpuQuota, undefined);
    assert.deepEqual(limits.sources?.cpuQuota, { file: '/sys/fs/cgroup/user.slice/cpu.max', text: 'max 100000' });
  });

  it('v1 quota names both files', () => {
    const limits = readCgroupLimits(host('v1-quota').root);
    assert.deepEqual(limits.sources?.cpuQuota, { file: '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us', text: '300000 / 100000 (cpu.cfs_period_us)' });
  });
});

describe('memoryBudget (auto_heap and drover doctor)', () => {
  it('the limit less the supervisor and a replacement, split among the workers; 3/4 of a share for the heap', () => {
    const budget = memoryBudget(detectCapacity(host('v2-quota')), 2);
    // 1024 - 64 - 40 = 920 MiB; / 2 = 460 MiB; * 0.75 = 345.
    assert.equal(budget.share, 460 * MiB);
    assert.equal(budget.heapMb, 345);
    assert.match(budget.steps.join('\n'), /cgroup memory limit 1 GiB - 64 MiB for the supervisor - 40 MiB .* = 920 MiB\n920 MiB \/ 2 workers = 460 MiB each: max_memory_restart 460M/);
  });

  it('never a heap under 64 MB', () => {
    assert.equal(memoryBudget(detectCapacity(host('none', { totalMemory: 128 * MiB })), 1).heapMb, 64);
  });
});

describe('cgroup file parsers', () => {
  it('cpu.max', () => {
    assert.equal(parseCpuMax('max 100000'), undefined);
    assert.equal(parseCpuMax('250000 100000'), 2.5);
    assert.equal(parseCpuMax(''), undefined);
  });
  it('cfs quota', () => {
    assert.equal(parseCfsQuota('-1', '100000'), undefined);
    assert.equal(parseCfsQuota('50000', '100000'), 0.5);
  });
  it('cpu lists', () => {
    assert.equal(parseCpuList('0-3,8,10-11'), 7);
    assert.equal(parseCpuList('5'), 1);
    assert.equal(parseCpuList(''), undefined);
  });
});
