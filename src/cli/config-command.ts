import { detectCapacity } from '../capacity/index.js';
import { APP_OPTIONS, displayPath, formatBytes, formatDuration, loadApps, type AppOptions, type OptionSpec } from '../config/index.js';
import { maskApp, maskUrlPassword } from '../config/mask-env.js';
import { buildAppRequest, type AppFlags } from './app-request.js';
import { decideWorkers } from './run-command.js';


/** `drover config`: print the apps as drover would run them, defaults applied, with where each option came from. */
export async function configCommand(target: string | undefined, flags: AppFlags & { json?: boolean }, args: readonly string[] = []): Promise<number> {
  const loaded = await loadApps(buildAppRequest(target, args, flags));
  const capacity = detectCapacity();
  const apps = loaded.apps.map((app, i) => ({
    app: maskApp(app),
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

// The options resolved by hand (paths, lists, the environment, the logs): how each shows.
const list = (values: readonly (string | number)[]) => (values.length > 0 ? values.join(' ') : '-');
const ms = (value: number) => `${value} (${formatDuration(value)})`;
const SPECIAL_ROWS: Record<string, { label?: string; show: (app: AppOptions) => string }> = {
  script: { show: (app) => app.script },
  args: { show: (app) => list(app.args) },
  cwd: { show: (app) => app.cwd },
  interpreter: { show: (app) => app.interpreter ?? 'node (with drover\'s worker runtime)' },
  node_args: { show: (app) => list(app.node_args) },
  instances: { show: (app) => String(app.instances) },
  exec_mode: { show: (app) => app.exec_mode },
  env: { show: (app) => list(Object.entries(app.env).map(([key, value]) => `${key}=${value}`)) },
  increment_var: { show: (app) => app.increment_var ?? '-' },
  stop_exit_codes: { show: (app) => list(app.stop_exit_codes) },
  exp_backoff_restart_delay: { show: (app) => ms(app.exp_backoff_restart_delay) },
  out_file: { label: 'logs', show: (app) => describeLogs(app) },
  pid_file: { show: (app) => app.pid_file ?? '-' },
  uid: { show: (app) => (app.uid === undefined ? '-' : String(app.uid)) },
  gid: { show: (app) => (app.gid === undefined ? '-' : String(app.gid)) },
  watch: { show: (app) => (app.watch ? `${list(app.watch.paths)}; ignoring ${list(app.watch.ignore)}; delay ${formatDuration(app.watch.delayMs)}` : 'off') },
  cron_restart: { show: (app) => app.cron_restart ?? '-' },
  store: { show: (app) => (app.store ? `redis ${maskUrlPassword(app.store.redis)}, keys under '${app.store.prefix}'` : 'embedded in the supervisor') },
  store_file: { show: (app) => app.store_file ?? '-' },
};

/**
 * The rows `drover config` and `drover describe` print for an app's options, in the
 * order of APP_OPTIONS: the plain ones as their `show` says, the others as above.
 */
export function displayRows(app: AppOptions): [string, string][] {
  const rows: [string, string][] = [];
  for (const [name, spec] of Object.entries(APP_OPTIONS) as [string, OptionSpec][]) {
    const special = SPECIAL_ROWS[name];
    if (special) rows.push([special.label ?? name, special.show(app)]);
    else if (spec.plain && spec.show) rows.push([name, showValue((app as unknown as Record<string, unknown>)[name], spec)]);
  }
  return rows;
}

function showValue(value: unknown, spec: OptionSpec): string {
  if (value === undefined) return spec.defaultText ?? '-';
  if (spec.show === 'duration') return ms(Number(value));
  if (spec.show === 'size') return formatBytes(Number(value));
  if (spec.show === 'secret') return '********';
  return String(value);
}

function describeLogs(app: AppOptions): string {
  const logs = app.logs;
  const parts = [
    logs.out_file && `out ${logs.out_file}`,
    logs.error_file && `err ${logs.error_file}`,
    logs.log_file && `combined ${logs.log_file}`,
    logs.merge_logs && 'merged',
    logs.date_format && `time ${logs.date_format}`,
    logs.json && 'json',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'console';
}
