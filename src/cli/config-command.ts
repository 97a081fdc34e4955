import { detectCapacity } from '../capacity/index.js';
import { displayPath, formatBytes, formatDuration, loadApps, type AppOptions } from '../config/index.js';
import { maskEnv } from '../config/mask-env.js';
import { buildAppRequest, type AppFlags } from './app-request.js';
import { decideWorkers } from './run-command.js';


/** `drover config`: print the apps as drover would run them, defaults applied, with where each option came from. */
export async function configCommand(target: string | undefined, flags: AppFlags & { json?: boolean }): Promise<number> {
  const loaded = await loadApps(buildAppRequest(target, [], flags));
  const capacity = detectCapacity();
  const apps = loaded.apps.map((app, i) => ({
    app: { ...app, env: maskEnv(app.env) },
    origins: loaded.origins[i]!,
    workers: decideWorkers(app, loaded.origins[i]!, capacity, flags.instances === undefined),
  }));

  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file: loaded.file ?? null, apps, warnings: loaded.warnings }, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(
    loaded.file
      ? `${displayPath(loaded.file.path)} (${loaded.file.kind === 'pm2' ? "PM2 ecosystem file: PM2's defaults for instances and exec_mode" : 'drover config'})`
      : 'command line',
  );
  for (const { app, origins, workers } of apps) {
    lines.push('', `app '${app.name}': ${workers.reason}`);
    for (const [key, value] of displayRows(app)) lines.push(`  ${key.padEnd(26)} ${value.padEnd(40)} ${origins[key] ?? 'default'}`);
  }
  for (const warning of loaded.warnings) lines.push(`warning: ${warning}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The rows `drover config` and `drover describe` print for an app's options. */
export function displayRows(app: AppOptions): [keyof AppOptions & string, string][] {
  const ms = (value: number) => `${value} (${formatDuration(value)})`;
  const list = (values: readonly (string | number)[]) => (values.length > 0 ? values.join(' ') : '-');
  const env = Object.entries(app.env).map(([key, value]) => `${key}=${value}`);
  const logs = app.logs;
  const logsText = [
    logs.out_file && `out ${logs.out_file}`,
    logs.error_file && `err ${logs.error_file}`,
    logs.log_file && `combined ${logs.log_file}`,
    logs.merge_logs && 'merged',
    logs.date_format && `time ${logs.date_format}`,
    logs.json && 'json',
  ].filter(Boolean);
  return [
    ['script', app.script],
    ['args', list(app.args)],
    ['cwd', app.cwd],
    ['exec_mode', app.exec_mode],
    ['instances', String(app.instances)],
    ['node_args', list(app.node_args)],
    ['env', list(env)],
    ['instance_var', app.instance_var],
    ['increment_var', app.increment_var ?? '-'],
    ['autorestart', String(app.autorestart)],
    ['stop_exit_codes', list(app.stop_exit_codes)],
    ['min_uptime', ms(app.min_uptime)],
    ['max_restarts', String(app.max_restarts)],
    ['restart_delay', ms(app.restart_delay)],
    ['exp_backoff_restart_delay', ms(app.exp_backoff_restart_delay)],
    ['max_memory_restart', app.max_memory_restart === undefined ? '-' : formatBytes(app.max_memory_restart)],
    ['kill_timeout', ms(app.kill_timeout)],
    ['kill_signal', app.kill_signal ?? 'SIGTERM, or SIGINT'],
    ['listen_timeout', ms(app.listen_timeout)],
    ['wait_ready', String(app.wait_ready)],
    ['shutdown_with_message', String(app.shutdown_with_message)],
    ['logs', logsText.length > 0 ? logsText.join(', ') : 'console'],
    ['pid_file', app.pid_file ?? '-'],
    ['uid', app.uid === undefined ? '-' : String(app.uid)],
    ['gid', app.gid === undefined ? '-' : String(app.gid)],
    ['worker_memory', formatBytes(app.worker_memory)],
    ['max_workers', app.max_workers === undefined ? 'from CPUs and memory' : String(app.max_workers)],
  ];
}
