export { detectCapacity, currentHostFacts, type Capacity, type HostFacts } from './capacity.js';
export { readCgroupLimits, type CgroupLimits } from './cgroup.js';
export { maxWorkers, resolveInstances, type InstanceDecision } from './instances.js';
export { CONTAINER_SHUTDOWN_DELAY_MS, detectContainer, currentContainerFacts, type ContainerFacts, type ContainerSign } from './container.js';
