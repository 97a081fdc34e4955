import { createRequire } from 'node:module';
import { scratchDir } from '../helpers/drover-process.js';

// PM2 7's own resolution of an app (lib/Common.js: verifyConfs, then
// resolveAppAttributes, the code `pm2 start` runs before it hands an app to its
// daemon), so that tests compare drover's reading with PM2's. No daemon is started;
// PM2_HOME is a scratch folder.

export interface Pm2Resolved {
  script: string;
  interpreter: string;
  exec_mode: string;
  instances: number;
  out: string;
  pid: string;
}

interface Pm2Common {
  verifyConfs(apps: unknown[]): Record<string, unknown>[];
  resolveAppAttributes(opts: { cwd: string }, app: Record<string, unknown>): Record<string, unknown>;
  mergeEnvironmentVariables(app: Record<string, unknown>, envName: string, deploy: unknown): Record<string, unknown>;
}

let common: Pm2Common | undefined;
function pm2Common(): Pm2Common {
  process.env.PM2_HOME ??= scratchDir('pm2-home');
  process.env.PM2_SILENT = 'true';
  return (common ??= createRequire(import.meta.url)('pm2/lib/Common.js') as Pm2Common);
}

/** How `pm2 start` run in `cwd` reads one app. */
export function pm2Resolve(app: Record<string, unknown>, cwd: string): Pm2Resolved {
  const pm2 = pm2Common();
  const [verified] = pm2.verifyConfs([structuredClone(app)]);
  const resolved = pm2.resolveAppAttributes({ cwd }, verified!);
  return {
    script: resolved.pm_exec_path as string,
    interpreter: resolved.exec_interpreter as string,
    exec_mode: (resolved.exec_mode as string).replace(/_mode$/, ''),
    instances: resolved.instances as number,
    out: resolved.pm_out_log_path as string,
    pid: resolved.pm_pid_path as string,
  };
}

/** The variables PM2 gives an app under `--env <envName>` (deploy.<env>.env, env, env_<env>). */
export function pm2Env(app: Record<string, unknown>, envName: string, deploy: unknown): Record<string, unknown> {
  const env = pm2Common().mergeEnvironmentVariables(structuredClone(app), envName, deploy);
  delete env.current_conf;
  return env;
}
