import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { resolveInstances } from '../../src/capacity/index.js';
import { parseSize } from '../../src/config/index.js';
import { kubernetesFiles } from '../../src/init/kubernetes.js';
import { contextWith, ecosystem, makeProject, runInit } from './project.js';
import { validateKubernetes } from './validators.js';

// `drover init k8s`: a Deployment whose resources match the workers drover runs in
// them, whose probes are drover's /readyz and /healthz, and whose grace period fits the
// drain; a Service, an autoscaling/v2 HPA and a PodDisruptionBudget. Every object is
// validated against the Kubernetes schema.

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function readObjects(dir: string): Record<string, Obj> {
  const objects: Record<string, Obj> = {};
  for (const file of readdirSync(dir)) {
    const { errors, objects: found } = validateKubernetes(readFileSync(`${dir}/${file}`, 'utf8'));
    assert.deepEqual(errors, [], file);
    for (const object of found) objects[String(object.kind)] = object;
  }
  return objects;
}

const memoryBytes = (quantity: string) => parseSize(quantity.replace(/i$/, ''))!;
const container = (objects: Record<string, Obj>) => objects.Deployment!.spec.template.spec.containers[0] as Obj;

describe('drover init k8s', () => {
  it('writes a Deployment, Service, HPA and PDB that the Kubernetes schema accepts, into k8s/', async () => {
    const dir = makeProject('k8s', ecosystem({ instances: 2, port: 4000, max_memory_restart: '300M', kill_timeout: 8000 }));
    const result = await runInit(dir, ['k8s', '--replicas', '3']);
    assert.equal(result.code, 0, result.stderr);
    // The one note: the admin token's Secret must exist before the pods start.
    assert.match(result.stderr, /^warning: the pod reads its admin token from the Secret api-drover-admin, which must exist first: kubectl create secret generic api-drover-admin --from-literal=token=\$\(openssl rand -hex 32\)\n$/);
    assert.deepEqual(readdirSync(`${dir}/k8s`).sort(), ['deployment.yaml', 'hpa.yaml', 'pdb.yaml', 'service.yaml']);
    const objects = readObjects(`${dir}/k8s`);
    assert.deepEqual(Object.keys(objects).sort(), ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service']);

    const deployment = objects.Deployment!;
    assert.equal(deployment.spec.replicas, 3);
    assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
    const pod = deployment.spec.template.spec;
    // shutdown_delay 5 s + kill_timeout 8 s + 5 s margin.
    assert.equal(pod.terminationGracePeriodSeconds, 18);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const app = container(objects);
    assert.deepEqual(app.args, ['node_modules/.bin/drover', 'run', 'ecosystem.config.js', '--container', '--admin-port', '9100', '--admin-host', '0.0.0.0']);
    assert.deepEqual(app.ports, [{ name: 'http', containerPort: 4000 }, { name: 'admin', containerPort: 9100 }]);
    assert.deepEqual(app.readinessProbe.httpGet, { path: '/readyz', port: 'admin' });
    assert.deepEqual(app.livenessProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.deepEqual(app.startupProbe.httpGet, { path: '/healthz', port: 'admin' });
    assert.ok(app.startupProbe.periodSeconds * app.startupProbe.failureThreshold >= 30, 'the startup probe gives 30 s at least');
    assert.equal(app.lifecycle, undefined, 'no preStop: drover waits shutdown_delay itself');

    // 2 workers: 2 CPUs; memory for 2 + 1 (a replacement starts before the old one drains) x 300 MiB + the supervisor.
    assert.deepEqual(app.resources.limits, app.resources.requests);
    assert.equal(app.resources.limits.cpu, '2');
    const memory = memoryBytes(app.resources.limits.memory);
    assert.ok(memory >= 3 * 300 * 1024 ** 2 + 50 * 1024 ** 2, app.resources.limits.memory);

    assert.deepEqual(objects.Service!.spec.ports, [{ name: 'http', port: 80, targetPort: 'http' }]);
    assert.deepEqual(objects.Service!.spec.selector, deployment.spec.selector.matchLabels);
    const hpa = objects.HorizontalPodAutoscaler!;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' });
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(objects.PodDisruptionBudget!.spec.maxUnavailable, 1);
    assert.deepEqual(objects.PodDisruptionBudget!.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
  });

  it("instances 'auto' gets --cpus, and the memory limit holds the workers drover picks under that CPU limit", () => {
    for (const cpus of [undefined, 0.5, 1, 3]) {
      const context = contextWith({ port: 3000, instances: 'auto', worker_memory: '200M' });
      const plan = kubernetesFiles(context, { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus, graceMs: undefined });
      const { objects } = validateKubernetes(plan.files[0]!.text);
      const limits = container({ Deployment: objects[0]! }).resources.limits;
      const cpuCount = limits.cpu.endsWith('m') ? Number(limits.cpu.slice(0, -1)) / 1000 : Number(limits.cpu);
      assert.equal(cpuCount, cpus ?? 1);
      // What drover's own `auto` will pick in that pod: the CPU quota and the memory limit.
      const picked = resolveInstances('auto', { hostCpus: 64, cpuAllowance: cpuCount, cpuLimitedBy: 'cgroup CPU quota', memoryLimit: memoryBytes(limits.memory), memoryLimitedBy: 'cgroup memory limit', cgroupVersion: 2 }, 200 * 1024 ** 2);
      assert.equal(picked.count, plan.resources.workers, `cpus ${cpus}: ${picked.reason}`);
      assert.equal(plan.resources.workers, Math.max(1, Math.floor(cpus ?? 1)));
    }
  });

  it('a surge reload gets memory for twice the workers', () => {
    const rolling = kubernetesFiles(contextWith({ port: 3000, instances: 4, max_memory_restart: '256M' }), { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus: undefined, graceMs: undefined });
    const surge = kubernetesFiles(contextWith({ port: 3000, instances: 4, max_memory_restart: '256M', reload_strategy: 'surge' }), { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus: undefined, graceMs: undefined });
    assert.equal(rolling.resources.memory, `${5 * 256 + 64}Mi`);
    assert.equal(surge.resources.memory, `${8 * 256 + 64}Mi`);
  });

  it('shutdown_delay 0 gets a preStop sleep instead, counted in the grace period; an admin listener the config puts on 0.0.0.0 is left as it is', () => {
    const context = contextWith({ port: 3000, kill_timeout: 10_000 }, { shutdown_delay: 0, admin_port: 9300, admin_host: '0.0.0.0', container: true });
    const plan = kubernetesFiles(context, { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus: undefined, graceMs: undefined });
    const { errors, objects } = validateKubernetes(plan.files[0]!.text);
    assert.deepEqual(errors, []);
    const app = container({ Deployment: objects[0]! });
    assert.deepEqual(app.lifecycle, { preStop: { exec: { command: ['sleep', '5'] } } });
    assert.equal((objects[0] as Obj).spec.template.spec.terminationGracePeriodSeconds, 20);
    assert.deepEqual(app.args, ['node_modules/.bin/drover', 'run', 'ecosystem.config.js']);
    assert.deepEqual(app.ports[1], { name: 'admin', containerPort: 9300 });
  });

  it('sticky by client address carries over to the Service', () => {
    const plan = kubernetesFiles(contextWith({ port: 3000, balance: 'sticky' }), { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus: undefined, graceMs: undefined });
    const service = validateKubernetes(plan.files[1]!.text).objects[0]!;
    assert.equal((service.spec as Obj).sessionAffinity, 'ClientIP');
  });

  it('--out, and never over existing files without --force, naming every one', async () => {
    const dir = makeProject('k8s-out', ecosystem({ port: 3000 }));
    assert.equal((await runInit(dir, ['k8s', '--out', 'deploy/k8s'])).code, 0);
    writeFileSync(`${dir}/deploy/k8s/service.yaml`, '# mine\n');
    const again = await runInit(dir, ['k8s', '--out', 'deploy/k8s']);
    assert.equal(again.code, 2);
    assert.equal(
      again.stderr,
      'drover: init k8s: deploy/k8s/deployment.yaml, deploy/k8s/service.yaml, deploy/k8s/hpa.yaml, deploy/k8s/pdb.yaml already exist; drover does not overwrite them: add --force to replace them, or --out <dir> to write elsewhere [DROVER_E_FILE_EXISTS]\n',
    );
    assert.equal(readFileSync(`${dir}/deploy/k8s/service.yaml`, 'utf8'), '# mine\n');
    const forced = await runInit(dir, ['k8s', '--out', 'deploy/k8s', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(validateKubernetes(readFileSync(`${dir}/deploy/k8s/service.yaml`, 'utf8')).errors, []);
    assert.match(readFileSync(`${dir}/deploy/k8s/service.yaml`, 'utf8'), /^kind: Service$/m);
  });

  it('the schema check catches a broken object (it is not vacuous)', () => {
    const plan = kubernetesFiles(contextWith({ port: 3000 }), { replicas: 2, maxReplicas: undefined, image: 'api:1', cpus: undefined, graceMs: undefined });
    const broken = plan.files[0]!.text.replace('containerPort: 3000', 'containerPort: http').replace('replicas: 2', 'replicas: two');
    assert.equal(validateKubernetes(broken).errors.length, 1);
    assert.match(validateKubernetes(broken).errors[0]!, /replicas must be integer, data\/spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/);
  });
});
