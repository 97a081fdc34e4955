import { existsSync } from 'node:fs';
import path from 'node:path';
import { DroverError, InvalidOptionError, isDroverError } from '../errors/index.js';
import type { AppOptions } from './app-schema.js';
import { CONFIG_FILE_NAMES, configKind, displayPath, isConfigFile, readConfigFile } from './config-file.js';
import { deployEnv, extractApps } from './config-shapes.js';
import { normalizeKeys } from './normalize-keys.js';
import { validateAppOptions, type FieldLabel } from './validate.js';

/** What to run, as the command line says it. */
export interface AppRequest {
  /** A script, a config file, or nothing (look for a config file in `cwd`). */
  target: string | undefined;
  /** Arguments for a script's app (after `--`). */
  appArgs?: readonly string[];
  /** Options given on the command line, by canonical name; they win over a file's. */
  overrides?: Record<string, unknown>;
  /** How the command line names an option, for messages about overrides. */
  overrideLabel?: FieldLabel;
  /** `--env <name>`: merge each app's `env_<name>` over its `env`. */
  envName?: string;
  /** `--only a,b`: run these apps of the file. */
  only?: readonly string[];
  cwd?: string;
}

/** Where an app's options came from, for `drover config`. */
export type OptionOrigin = 'command line' | 'config file' | 'default';

export interface LoadedApps {
  /** The config file read, if any, and which defaults it gets. */
  file: { path: string; kind: 'drover' | 'pm2' } | undefined;
  apps: AppOptions[];
  /** Option name -> origin, per app (same order as `apps`). */
  origins: Record<string, OptionOrigin>[];
  /** One line each: ignored PM2 keys, features not implemented yet, ignored sections. */
  warnings: string[];
}

/** Turn the command line's request into validated apps: from a script, or from a config file. */
export async function loadApps(request: AppRequest): Promise<LoadedApps> {
  const cwd = request.cwd ?? process.cwd();
  const target = request.target ?? findConfigFile(cwd);
  const overrides = request.overrides ?? {};
  const overrideLabel = request.overrideLabel ?? ((field: string) => field);

  if (!isConfigFile(target)) {
    if (request.envName) {
      throw new InvalidOptionError([`--env ${request.envName}: an environment name selects env_${request.envName} in a config file; set variables with --env KEY=VALUE`]);
    }
    if (request.only) throw new InvalidOptionError(['--only: selects apps of a config file; a script is one app']);
    const input = { script: target, ...(request.appArgs?.length ? { args: [...request.appArgs] } : {}), ...overrides };
    const warnings: string[] = [];
    const app = validateAppOptions(input, { label: overrideLabel, source: 'cli', baseDir: cwd, warnings });
    return { file: undefined, apps: [app], origins: [originsOf(app, { ...overrides, script: target, args: request.appArgs }, {})], warnings };
  }

  const file = path.resolve(cwd, target);
  if (!existsSync(file)) throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `config file not found: ${target} (looked for ${file})`);
  if (request.appArgs?.length) throw new InvalidOptionError(['app arguments: put them in the config file (args) when running a config file']);
  const kind = configKind(file);
  const contents = await readConfigFile(file);
  const { apps: rawApps, warnings } = extractApps(contents, file);
  const deploy = deployEnv(contents, request.envName);

  const apps: AppOptions[] = [];
  const origins: Record<string, OptionOrigin>[] = [];
  const errors: string[] = [];
  // Apps left out by --only, named for the message about an unknown one.
  const skipped: string[] = [];
  for (const { raw, where } of rawApps) {
    // `--only a` checks only the apps it selects: a broken app beside them is not run.
    if (request.only && typeof raw.name === 'string' && !request.only.some((name) => name === raw.name || name === `${raw.name}-${request.envName}`)) {
      skipped.push(raw.name);
      continue;
    }
    const keys = normalizeKeys(raw, where);
    warnings.push(...keys.warnings);
    errors.push(...keys.errors);
    if (keys.errors.length > 0) continue;
    const label: FieldLabel = (field) => (field in overrides ? overrideLabel(field) : `${where ? `${where}.` : ''}${keys.written[field] ?? field}`);
    try {
      const appWarnings: string[] = [];
      const app = validateAppOptions(
        { ...keys.app, ...overrides },
        {
          label,
          source: 'file',
          pm2Defaults: kind === 'pm2',
          baseDir: path.dirname(file),
          fallbackDir: cwd,
          envName: request.envName,
          namedEnvs: keys.namedEnvs,
          deployEnv: deploy,
          warnings: appWarnings,
        },
      );
      warnings.push(...appWarnings.map((line) => (where && !line.startsWith(where) ? `${where}.${line}` : line)));
      apps.push(app);
      origins.push(originsOf(app, overrides, keys.app));
    } catch (error) {
      if (error instanceof InvalidOptionError) errors.push(...error.issues);
      else if (isDroverError(error)) errors.push(error.message.startsWith(where) ? error.message : `${where || 'app'}: ${error.message}`);
      else throw error;
    }
  }
  if (errors.length > 0) throw new InvalidOptionError(errors.map((line) => `${displayPath(file)}: ${line}`));
  checkUniqueNames(apps, file);
  const selected = selectApps(apps, request.only, file, skipped);
  return {
    file: { path: file, kind },
    apps: selected,
    origins: selected.map((app) => origins[apps.indexOf(app)]!),
    warnings: collapseRepeats(warnings).map((line) => `${displayPath(file)}: ${line}`),
  };
}

function findConfigFile(cwd: string): string {
  const found = CONFIG_FILE_NAMES.find((name) => existsSync(path.join(cwd, name)));
  if (found) return found;
  throw new DroverError(
    'DROVER_E_CONFIG_NOT_FOUND',
    `no script given and no config file in ${cwd} (looked for ${CONFIG_FILE_NAMES.join(', ')}); run \`drover run server.js\` or name a config file`,
  );
}

function checkUniqueNames(apps: AppOptions[], file: string): void {
  const seen = new Set<string>();
  for (const app of apps) {
    if (seen.has(app.name)) {
      throw new InvalidOptionError([`${displayPath(file)}: two apps are named '${app.name}'; give each a unique name`]);
    }
    seen.add(app.name);
  }
}

function selectApps(apps: AppOptions[], only: readonly string[] | undefined, file: string, skipped: readonly string[]): AppOptions[] {
  if (!only) return apps;
  const names = [...apps.map((app) => app.name), ...skipped];
  const unknown = only.filter((name) => !apps.some((app) => app.name === name));
  if (unknown.length > 0) {
    throw new DroverError(
      'DROVER_E_UNKNOWN_APP',
      `--only: ${unknown.map((n) => `'${n}'`).join(', ')} not in ${displayPath(file)}; its apps are ${names.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  return apps.filter((app) => only.includes(app.name));
}

function originsOf(app: AppOptions, overrides: Record<string, unknown>, fromFile: Record<string, unknown>): Record<string, OptionOrigin> {
  const origins: Record<string, OptionOrigin> = {};
  // Options that the file spells differently from the resolved field.
  const spelledAs: Record<string, string[]> = {
    logs: ['out_file', 'error_file', 'log_file', 'merge_logs', 'log_date_format', 'time', 'log_type', 'disable_logs', 'log_max_size', 'log_rotate_daily', 'log_retain', 'log_compress', 'log_worker_id'],
    env: ['env', 'port'],
    watch: ['watch', 'ignore_watch', 'watch_delay'],
  };
  for (const key of Object.keys(app)) {
    const names = spelledAs[key] ?? [key];
    origins[key] = names.some((name) => name in overrides) ? 'command line' : names.some((name) => name in fromFile) ? 'config file' : 'default';
  }
  return origins;
}

// The same warning for several apps ("apps[0].pmx: ...", "apps[1].pmx: ...") is one
// line naming them all: "apps[0], apps[1].pmx: ...".
function collapseRepeats(warnings: readonly string[]): string[] {
  const byText = new Map<string, string[]>();
  for (const line of warnings) {
    const match = /^(apps\[\d+\])\.(.*)$/.exec(line);
    const [where, text] = match ? [match[1]!, match[2]!] : ['', line];
    byText.set(text, [...(byText.get(text) ?? []), where]);
  }
  return [...byText].map(([text, wheres]) => (wheres[0] === '' ? text : `${wheres.join(', ')}.${text}`));
}
