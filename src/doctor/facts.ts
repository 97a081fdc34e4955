import type { AppOptions } from '../config/index.js';
import { readNodeFacts, readPortFacts, type NodeFacts, type PortFacts } from './app-facts.js';
import type { Fact } from './fact.js';
import type { DoctorHost } from './host.js';
import { readResourceFacts, type ResourceFacts } from './resource-facts.js';
import { readRunningApps, type RunningApp } from './running-facts.js';
import { readSystemFacts, type SystemFacts } from './system-facts.js';

/** Everything `drover doctor` read, each with where it came from. */
export interface DoctorFacts {
  /** The app asked about; null when none was given and no config file was found. */
  app: { name: string; script: string } | null;
  resources: ResourceFacts;
  system: SystemFacts;
  node: NodeFacts;
  port: PortFacts;
  /** The app (or, with none given, every app) running under drover now, as measured. */
  running: Fact<RunningApp[]>;
  /** worker_memory: what `auto` assumes one worker needs. */
  workerMemory: number;
}

/** Read every fact; none of these throws (an unreadable one is unknown). */
export async function readFacts(host: DoctorHost, apps: readonly AppOptions[], workerMemory: number): Promise<DoctorFacts> {
  const app = apps[0];
  return {
    app: app ? { name: app.name, script: app.script } : null,
    resources: readResourceFacts(host),
    system: readSystemFacts(host),
    node: readNodeFacts(app),
    port: readPortFacts(host, app),
    running: await readRunningApps(apps.length > 0 ? apps.map((a) => a.name) : undefined),
    workerMemory,
  };
}

/** In a container (or a Kubernetes pod), where the orchestrator may scale instead of drover. */
export function isContainer(facts: DoctorFacts): boolean {
  return facts.system.kubernetes.value === true || (facts.system.container.value !== null && facts.system.container.value !== 'none');
}
