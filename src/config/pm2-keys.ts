// PM2's app option names: the aliases it accepts for them, and the keys drover knows
// but does not act on. Every key of a config file is mapped to one canonical
// snake_case name here before the schema sees it.

/** Alias -> canonical name, as PM2's schema lists them. */
export const ALIASES: Readonly<Record<string, string>> = {
  exec: 'script',
  // PM2's verifyConfs reads these for `script` when it is missing.
  cmd: 'script',
  command: 'script',
  interpreter_args: 'node_args',
  out: 'out_file',
  output: 'out_file',
  out_log: 'out_file',
  error: 'error_file',
  err: 'error_file',
  err_file: 'error_file',
  err_log: 'error_file',
  log: 'log_file',
  combine_logs: 'merge_logs',
  pid: 'pid_file',
  user: 'uid',
  cron: 'cron_restart',
  exec_interpreter: 'interpreter',
  // pm2-logrotate's settings, often written into an app: drover's log rotation does the same.
  max_size: 'log_max_size',
  retain: 'log_retain',
  compress: 'log_compress',
};

/**
 * PM2 keys for its APM, deploy tooling and other features drover has no use for:
 * accepted with a one-line warning each, so that an ecosystem file runs unchanged.
 */
export const IGNORED_PM2_KEYS: Readonly<Record<string, string>> = {
  pmx: "PM2's APM wrapping",
  automation: "PM2's APM wrapping",
  vizion: "PM2's versioning metadata",
  post_update: "PM2's deploy hooks",
  install_url: "PM2's module installer",
  trace: "PM2's transaction tracing",
  disable_trace: "PM2's transaction tracing",
  v8: "PM2's APM probes",
  event_loop_inspector: "PM2's APM probes",
  deep_monitoring: "PM2's APM probes",
  io: "PM2's APM settings",
  source_map_support: 'source map support (use --node-args="--enable-source-maps")',
  disable_source_map_support: 'source map support (use --node-args="--enable-source-maps")',
  namespace: "PM2's process namespaces",
  name_prefix: "PM2's name prefixes",
  filter_env: "PM2's environment filtering (drover passes the supervisor's environment through)",
  force: "PM2's duplicate-start override",
  treekill: "PM2's tree-kill switch (drover always stops the worker it started)",
  kill_retry_time: "PM2's kill retry interval",
  username: "PM2's informational user name",
  windowsHide: 'a Windows-only setting',
  write: "PM2's internal write flag",
  execute_command: "PM2's internal flag",
};

/** Features drover accepts and validates but does not implement yet: a warning says so. */
export const NOT_YET_IMPLEMENTED: Readonly<Record<string, string>> = {};

/** "maxMemoryRestart" -> "max_memory_restart"; snake_case and env_* keys pass unchanged. */
export function toSnakeCase(key: string): string {
  if (key.startsWith('env_') || key === 'windowsHide') return key;
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
