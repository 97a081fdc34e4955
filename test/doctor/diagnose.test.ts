import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildAppRequest, type AppFlags } from '../../src/cli/app-request.js';
import { loadApps } from '../../src/config/index.js';
import { diagnose } from '../../src/doctor/command.js';
import type { DoctorHost } from '../../src/doctor/host.js';
import { DROVER_HOME, ROOT, example } from '../helpers/drover-process.js';

// drover doctor against fake machines: each tree under test/fixtures/cgroup is a "/"
// holding the /proc and /sys files a host or a container shows (the same trees the
// worker count's tests read), and the rest of the host is given here.

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

before(() => {
  // No app runs in this folder: the "under drover now" fact reads an empty one.
  process.env.DROVER_HOME = DROVER_HOME;
});

function host(tree: string, overrides: Partial<DoctorHost> = {}): DoctorHost {
  return { root: `${ROOT}test/fixtures/cgroup/${tree}`, hostCpus: 64, availableParallelism: 64, totalMemory: 16 * GiB, env: {}, uid: 1000, pid: 4242, ...overrides };
}

async function ask(machine: DoctorHost, flags: AppFlags = {}) {
  const loaded = await loadApps(buildAppRequest(example('hello/server.js'), [], flags));
  return diagnose(machine, { app: loaded.apps[0]!, origins: loaded.origins[0]!, named: true, fromEnv: flags.instances === undefined });
}

describe('drover doctor on fake machines', () => {
  it('cgroup v2 in Kubernetes, 1 CPU of 64, 512 MiB, npm as PID 1: one per container, and the two warnings with their fixes', async () => {
    const { facts, recommendation, warnings } = await ask(host('k8s-npm'));
    assert.equal(facts.resources.cgroup.value, 'v2');
    assert.equal(facts.resources.cpu.cgroupQuota.value, 1);
    assert.equal(facts.resources.cpu.cgroupQuota.source, '/sys/fs/cgroup/cpu.max: 100000 100000 (1 CPU)');
    assert.equal(facts.resources.memory.cgroupLimit.value, 512 * MiB);
    assert.equal(facts.resources.memory.cgroupSwap.value, 0);
    assert.equal(facts.system.kubernetes.value, true);
    assert.equal(facts.system.pid1.value, 'npm start');
    assert.match(facts.system.initSystem.value!, /^npm \(a package runner/);
    assert.equal(recommendation.mode, 'one per container');
    assert.equal(recommendation.workers, 1);
    assert.match(recommendation.reasons[0]!, /^1 worker: cgroup CPU quota 1\.0 of 64 CPUs/);
    assert.match(recommendation.reasons.join('\n'), /raise the Deployment's replicas/);
    // 512 - 64 - 40 = 408 MiB for the one worker; 306 for its heap.
    assert.equal(recommendation.maxMemoryRestart, '408M');
    assert.equal(recommendation.maxOldSpaceSize, 306);
    const messages = warnings.map((w) => w.message).join('\n');
    assert.match(messages, /64 CPUs visible but a cgroup CPU quota 1\.0 of 64 CPUs/);
    assert.match(messages, /npm is PID 1/);
    assert.ok(warnings.every((w) => w.fix.length > 0));
  });

  it('cgroup v1 in Docker: quota 3, 2 GiB, docker-init as PID 1: a cluster of 3 with the arithmetic', async () => {
    const { facts, recommendation, warnings } = await ask(host('v1-quota'));
    assert.equal(facts.resources.cgroup.value, 'v1');
    assert.equal(facts.resources.cpu.cgroupQuota.source, '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us: 300000 / 100000 (cpu.cfs_period_us) (3 CPUs)');
    assert.equal(facts.resources.memory.cgroupSwap.value, 3145728000 - 2 * GiB);
    assert.equal(facts.system.container.value, 'docker');
    assert.equal(facts.system.kubernetes.value, false);
    assert.equal(facts.system.initSystem.value, 'docker-init (an init for containers)');
    assert.deepEqual(facts.system.openFiles.value, { soft: 1048576, hard: 1048576 });
    assert.equal(recommendation.mode, 'cluster');
    assert.equal(recommendation.workers, 3);
    // (2048 - 104) / 3 = 648 MiB each.
    assert.equal(recommendation.maxMemoryRestart, '648M');
    assert.deepEqual(warnings.map((w) => w.message.split(':')[0]), ['64 CPUs visible but a cgroup CPU quota 3.0 of 64 CPUs']);
  });

  it('nested limits (a pod cgroup over the container): the parent quota and the container memory, each named', async () => {
    const { facts, recommendation } = await ask(host('v2-nested'));
    assert.match(facts.resources.cpu.cgroupQuota.source, /^\/sys\/fs\/cgroup\/kubepods\/pod1\/cpu\.max: 400000 100000/);
    assert.match(facts.resources.memory.cgroupLimit.source, /^\/sys\/fs\/cgroup\/kubepods\/pod1\/ctr\/memory\.max: 536870912/);
    assert.equal(facts.system.kubernetes.value, true);
    assert.equal(recommendation.workers, 3);
    assert.match(recommendation.reasons[1]!, /in Kubernetes: 3 workers use this pod's CPUs/);
  });

  it('no limits (a plain host, cgroup v2): the host decides, and nothing to warn about', async () => {
    const { facts, recommendation, warnings } = await ask(host('v2-unlimited', { hostCpus: 8, availableParallelism: 8 }));
    assert.equal(facts.resources.cpu.cgroupQuota.value, 'none');
    assert.equal(facts.resources.memory.cgroupLimit.value, 'none');
    assert.equal(facts.resources.cpu.allowance.source, 'the host: no tighter limit');
    assert.equal(facts.system.container.value, 'none');
    assert.equal(recommendation.mode, 'cluster');
    assert.equal(recommendation.workers, 8);
    assert.match(recommendation.reasons.join('\n'), /no cgroup memory limit/);
    assert.deepEqual(warnings, []);
  });

  it('a Raspberry-Pi-like box (4 CPUs, 1 GiB, systemd, 1024 open files, port 80 as a user): 4 workers, and the limits that will bite', async () => {
    const machine = host('rpi', { hostCpus: 4, availableParallelism: 4, totalMemory: 999036 * 1024 });
    const { facts, recommendation, warnings } = await ask(machine, { env: ['PORT=80'] });
    assert.equal(facts.system.initSystem.value, 'systemd');
    assert.equal(facts.resources.memory.hostSwap.value, 102396 * 1024);
    assert.equal(facts.port.port.value, 80);
    assert.equal(facts.port.port.source, "the app's env PORT");
    assert.equal(facts.port.mayBind.value, 'no');
    assert.equal(recommendation.mode, 'cluster');
    assert.equal(recommendation.workers, 4);
    // (975.6 - 104) MiB / 4 = 217 MiB each, 3/4 of it for the heap.
    assert.equal(recommendation.maxMemoryRestart, '217M');
    assert.equal(recommendation.maxOldSpaceSize, 162);
    const byStart = (text: string) => warnings.find((w) => w.message.startsWith(text));
    assert.match(byStart('open-file limit 1024')!.fix, /ulimit -n 65536/);
    assert.match(byStart('port 80 is privileged')!.fix, /setcap cap_net_bind_service/);
    assert.equal(warnings.length, 2);
  });

  it('the same box as root may bind port 80; with 300 MiB a worker, memory for fewer workers than CPUs', async () => {
    const machine = host('rpi', { hostCpus: 4, availableParallelism: 4, totalMemory: 999036 * 1024, uid: 0 });
    const { facts, recommendation, warnings } = await ask(machine, { env: ['PORT=80'], workerMemory: '300M' });
    assert.equal(facts.port.mayBind.value, 'yes (root)');
    assert.equal(recommendation.workers, 3);
    assert.match(warnings.map((w) => w.message).join('\n'), /memory for fewer workers than CPUs: 976 MiB fits 3 at 300 MiB each, and there are 4 CPUs/);
  });

  it('nothing readable (no /proc, no /sys): every such fact unknown, with why; the count still comes from the host', async () => {
    const { facts, recommendation } = await ask(host('none', { hostCpus: 16, availableParallelism: 6, totalMemory: 512 * MiB }));
    assert.equal(facts.resources.cgroup.value, 'none');
    for (const fact of [facts.resources.cpu.cgroupQuota, facts.resources.memory.hostSwap, facts.system.pid1, facts.system.initSystem, facts.system.openFiles]) {
      assert.equal(fact.value, null);
      assert.match(fact.source, /^unknown: /);
    }
    assert.equal(recommendation.workers, 3);
    assert.match(recommendation.reasons[0]!, /^3 workers: CPU affinity 6 of 16 CPUs; memory 512 MiB fits 3/);
  });

  it('asked for more workers than CPUs: the count as asked, and a warning', async () => {
    const { recommendation, warnings } = await ask(host('v2-quota'), { instances: '6' });
    assert.equal(recommendation.workers, 6);
    assert.match(warnings.map((w) => w.message).join('\n'), /6 workers on cgroup CPU quota 2\.0 of 64 CPUs: more workers than CPUs/);
  });
});
