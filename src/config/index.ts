export { APP_DEFAULTS, splitArgs, type AppInput, type AppOptions, type InstancesSpec } from './app-schema.js';
export { validateAppOptions, type FieldLabel } from './validate.js';
export { formatBytes, formatDuration, parseDuration, parseSize } from './units.js';
export { closestMatch } from './closest.js';
