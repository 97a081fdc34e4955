export { detectCapacity, currentHostFacts, type Capacity, type HostFacts } from './capacity.js';
export { readCgroupLimits, type CgroupLimits, type LimitSource } from './cgroup.js';
export { describeCpu, maxWorkers, resolveInstances, workerCounts, type InstanceDecision } from './instances.js';
export { memoryBudget, SUPERVISOR_MEMORY, REPLACEMENT_MEMORY, type MemoryBudget } from './memory-budget.js';
export { CONTAINER_SHUTDOWN_DELAY_MS, detectContainer, currentContainerFacts, runtimeInCgroup, type ContainerFacts, type ContainerSign } from './container.js';
