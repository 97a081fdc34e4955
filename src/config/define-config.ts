import type { AppInput } from './app-schema.js';

/** One app in a drover config: PM2's option names, plus `env_<name>` blocks for `--env <name>`. */
export type AppConfig = AppInput & { [envBlock: `env_${string}`]: Record<string, string | number | boolean | undefined> };

/** What `drover.config.ts` exports: one app, or several under `apps`. */
export type DroverConfig = AppConfig | { apps: AppConfig[] };

/**
 * Type a drover config for editor completion and checking; returns it unchanged.
 *
 *     import { defineConfig } from 'drover';
 *     export default defineConfig({ apps: [{ name: 'api', script: 'server.js', instances: 'max' }] });
 */
export function defineConfig<T extends DroverConfig>(config: T): T {
  return config;
}
