export {
  APP_DEFAULTS,
  APP_OPTIONS,
  type OptionSpec,
  PM2_FILE_DEFAULTS,
  splitArgs,
  type AppInput,
  type AppOptions,
  type InstancesSpec,
  type LogOptions,
  type WatchOptions,
} from './app-schema.js';
export { validateAppOptions, describeValue, type FieldLabel, type ValidateOptions } from './validate.js';
export { loadApps, type AppRequest, type LoadedApps, type OptionOrigin } from './load-apps.js';
export { CONFIG_FILE_NAMES, displayPath, isConfigFile } from './config-file.js';
export { defineConfig, type DroverConfig, type AppConfig } from './define-config.js';
export { formatBytes, formatDuration, parseDuration, parseSize } from './units.js';
export { closestMatch } from './closest.js';
