import { writeFileSync } from 'node:fs';
import { validateAppOptions, type AppOptions } from '../../src/config/index.js';
import { buildContext, type InitContext } from '../../src/init/index.js';
import { DroverProcess, scratchDir } from '../helpers/drover-process.js';

/** An app's folder as `drover init` expects one: package.json (drover in dependencies), a lockfile, a server and a config. */
export function makeProject(name: string, config: string | undefined, pkg: Record<string, unknown> = { dependencies: { drover: '^0.1.0' } }): string {
  const dir = scratchDir(`init-${name}`);
  writeFileSync(`${dir}/package.json`, `${JSON.stringify({ name, version: '1.0.0', ...pkg }, null, 2)}\n`);
  writeFileSync(`${dir}/package-lock.json`, `${JSON.stringify({ name, lockfileVersion: 3, packages: {} })}\n`);
  writeFileSync(`${dir}/server.js`, "require('node:http').createServer((req, res) => res.end('ok')).listen(process.env.PORT);\n");
  if (config !== undefined) writeFileSync(`${dir}/ecosystem.config.js`, config);
  return dir;
}

/** A config file with one app and these options. */
export const ecosystem = (options: Record<string, unknown>) => `module.exports = { apps: [${JSON.stringify({ name: 'api', script: 'server.js', ...options })}] };\n`;

/** Run the real `drover init` in a folder. */
export async function runInit(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const drover = new DroverProcess(['init', ...args], { cwd });
  const exit = await drover.exited;
  return { code: exit.code, stdout: drover.stdout, stderr: drover.stderr };
}

/**
 * A context for the generators, for options the config loader does not take yet
 * (admin_port, shutdown_delay, container, store: see src/init/pending-options.ts):
 * they are added to the app's resolved options, as the loader will once they exist.
 */
export function contextWith(options: Record<string, unknown>, pending: Record<string, unknown> = {}): InitContext {
  const dir = makeProject('unit', undefined);
  const app: AppOptions = { ...validateAppOptions({ name: 'api', script: 'server.js', ...options }, { source: 'file', baseDir: dir }), ...pending };
  return buildContext({ app, projectDir: dir, configFile: `${dir}/ecosystem.config.js`, script: undefined, envName: undefined, only: undefined });
}
