import { DroverError } from '../errors/index.js';
import { displayPath } from './config-file.js';

/** One app's raw options from a config file, and where it sits ("apps[1]"). */
export interface RawApp {
  raw: Record<string, unknown>;
  where: string;
}

// Sections of a PM2 ecosystem file that are not apps.
const NOT_APPS: Record<string, string> = {
  deploy: "PM2's deploy tooling is not supported; drover reads only deploy.<env>.env, merged into the apps' env with --env <env>",
  static: "PM2's static file serving is not supported; drover ignores it",
};

/**
 * Find the apps in whatever a config file holds, in every shape PM2 accepts:
 * `{ apps: [...] }`, `{ apps: {...} }`, a bare app object, a bare array, and the same
 * under a top-level `pm2` key.
 */
export function extractApps(value: unknown, file: string): { apps: RawApp[]; warnings: string[] } {
  const warnings: string[] = [];
  if (Array.isArray(value)) return { apps: value.map((app, i) => asApp(app, `[${i}]`, file)), warnings };
  return extractFromObject(value, file, warnings);
}

/**
 * `deploy.<env>.env` of a PM2 file: with `--env <env>`, PM2 merges it over each app's
 * `env` (and `env_<env>` over both). Undefined when the file has none for that name.
 */
export function deployEnv(value: unknown, envName: string | undefined): unknown {
  if (envName === undefined || !isObject(value)) return undefined;
  const deploy = (isObject(value.pm2) && !('apps' in value) ? value.pm2 : value).deploy;
  const target = isObject(deploy) ? deploy[envName] : undefined;
  return isObject(target) ? target.env : undefined;
}

function extractFromObject(value: unknown, file: string, warnings: string[]): { apps: RawApp[]; warnings: string[] } {
  if (!isObject(value)) throw shapeError(file, `expected an object with an 'apps' array, one app object, or an array of apps, got ${typeof value}`);

  const keys = Object.keys(value);
  for (const key of keys) if (key in NOT_APPS) warnings.push(`${key}: ${NOT_APPS[key]}`);
  const container = 'apps' in value ? 'apps' : 'pm2' in value ? 'pm2' : undefined;
  if (container === undefined) {
    if ('script' in value) return { apps: [asApp(value, '', file)], warnings };
    throw shapeError(file, `expected an 'apps' array or an app with a 'script'; found ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'an empty object'}`);
  }
  const extra = keys.filter((key) => key !== container && !(key in NOT_APPS));
  if (extra.length > 0) throw shapeError(file, `unknown top-level key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} beside '${container}'`);

  const inner = value[container];
  if (Array.isArray(inner)) return { apps: inner.map((app, i) => asApp(app, `${container}[${i}]`, file)), warnings };
  if (isObject(inner) && container === 'pm2' && 'apps' in inner) return extractFromObject(inner, file, warnings);
  return { apps: [asApp(inner, container, file)], warnings };
}

function asApp(value: unknown, where: string, file: string): RawApp {
  if (!isObject(value)) throw shapeError(file, `${where || 'the app'}: expected an app object with a 'script', got ${JSON.stringify(value)}`);
  return { raw: value, where };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeError(file: string, message: string): DroverError {
  return new DroverError('DROVER_E_CONFIG_SHAPE', `${displayPath(file)}: ${message}`);
}
