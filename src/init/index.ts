export { buildContext, dnsLabel, DEFAULT_APP_PORT, DROVER_BIN, type AppSource, type InitContext } from './context.js';
export { generate, type InitOptions, type InitResult } from './generate.js';
export { INIT_KINDS, parseInitKind, type InitKind } from './kinds.js';
export { writeGeneratedFiles } from './write-files.js';
export { planGrace, GRACE_MARGIN_MS } from './grace.js';
export { upstreamPolicy } from './nginx.js';
export { podResources } from './resources.js';
export { readPendingOptions, DEFAULT_ADMIN_PORT, CONTAINER_SHUTDOWN_DELAY_MS } from './pending-options.js';
