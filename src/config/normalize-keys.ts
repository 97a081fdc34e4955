import { APP_OPTION_NAMES } from './app-schema.js';
import { closestMatch } from './closest.js';
import { ALIASES, IGNORED_PM2_KEYS, NOT_YET_IMPLEMENTED, toSnakeCase } from './pm2-keys.js';

/** One app's keys mapped to drover's canonical names, with what was said about them. */
export interface NormalizedKeys {
  /** Canonical key -> value, ready for the schema. */
  app: Record<string, unknown>;
  /** `env_production` and friends, by environment name. */
  namedEnvs: Record<string, unknown>;
  /** Canonical key -> the key as the user wrote it, so that messages quote the user. */
  written: Record<string, string>;
  warnings: string[];
  errors: string[];
}

/**
 * Map camelCase and PM2 aliases to canonical names, set aside `env_<name>` blocks,
 * warn once per PM2 key drover ignores, and reject unknown keys with the closest
 * known one. `where` prefixes every message ("apps[1]").
 */
export function normalizeKeys(raw: Record<string, unknown>, where: string): NormalizedKeys {
  const result: NormalizedKeys = { app: {}, namedEnvs: {}, written: {}, warnings: [], errors: [] };
  const at = (key: string) => (where ? `${where}.${key}` : key);
  for (const [key, value] of Object.entries(raw)) {
    const snake = toSnakeCase(key);
    // Not PM2's either (it would take it for an environment named "file"): say what works.
    if (snake === 'env_file' && typeof value === 'string') {
      result.warnings.push(`${at(key)}: neither PM2 nor drover reads .env files; drover ignores it; to load one, node_args: '--env-file=${value}' (Node.js 20.6+)`);
      continue;
    }
    if (/^env_./.test(snake)) {
      result.namedEnvs[snake.slice(4)] = value;
      continue;
    }
    if (snake in IGNORED_PM2_KEYS) {
      if (!alreadyMeant(snake, value, raw)) result.warnings.push(`${at(key)}: ${IGNORED_PM2_KEYS[snake]}; drover ignores it`);
      continue;
    }
    const canonical = ALIASES[snake] ?? snake;
    if (!APP_OPTION_NAMES.includes(canonical)) {
      const suggestion = closestMatch(key, [...APP_OPTION_NAMES, ...Object.keys(ALIASES)]);
      result.errors.push(`${at(key)}: unknown option${suggestion ? `; did you mean '${suggestion}'?` : ''}`);
      continue;
    }
    if (canonical in result.app) {
      // PM2 files often say `merge_logs: true, combine_logs: true`: harmless when both agree.
      if (sameValue(result.app[canonical], value)) continue;
      result.errors.push(`${at(key)}: the same option as '${result.written[canonical]}', with a different value; keep one of them`);
      continue;
    }
    if (canonical in NOT_YET_IMPLEMENTED) result.warnings.push(`${at(key)}: ${NOT_YET_IMPLEMENTED[canonical]}`);
    result.app[canonical] = value;
    result.written[canonical] = key;
  }
  return result;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

// An ignored key whose advice the app already follows, or that turns something off,
// needs no warning: source_map_support beside --enable-source-maps, say.
function alreadyMeant(key: string, value: unknown, raw: Record<string, unknown>): boolean {
  if (key !== 'source_map_support' && key !== 'disable_source_map_support') return false;
  if (value === (key === 'source_map_support' ? false : true)) return true;
  const args = [raw.node_args, raw.nodeArgs, raw.interpreter_args, raw.interpreterArgs].flat().filter((arg) => typeof arg === 'string');
  return args.some((arg) => arg.includes('--enable-source-maps')) || (raw.interpreter !== undefined && !/node/.test(String(raw.interpreter)));
}
