import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect, type InspectOptions } from 'node:util';
import { DroverError } from '../errors/index.js';
import { typeScriptSupport } from './typescript.js';

// Read a config file in any of the formats PM2 users have: JS (CommonJS or ESM, by
// import()), TypeScript, JSON and JSON5 (comments, unquoted keys, trailing commas),
// and YAML. The parsers load only for the format in hand.

/** The names looked for, in this order, when no file is given. */
export const CONFIG_FILE_NAMES = [
  'drover.config.ts',
  'drover.config.mts',
  'drover.config.mjs',
  'drover.config.js',
  'drover.config.cjs',
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.config.json',
  'ecosystem.config.json5',
  'ecosystem.config.yaml',
  'ecosystem.config.yml',
  'ecosystem.json',
  'ecosystem.json5',
  'ecosystem.yaml',
  'ecosystem.yml',
] as const;

/** Whether a path names a config file rather than an app script. */
export function isConfigFile(file: string): boolean {
  const base = path.basename(file);
  return /\.(json5?|ya?ml)$/.test(base) || /\.config\.[cm]?[jt]s$/.test(base) || /^ecosystem\.[cm]?js$/.test(base);
}

/** drover's own config (typed, drover's defaults) or a PM2 ecosystem file (PM2's defaults). */
export function configKind(file: string): 'drover' | 'pm2' {
  return path.basename(file).startsWith('drover.config.') ? 'drover' : 'pm2';
}

/** A path as messages show it: relative to the current directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Load and parse a config file; the value it exports or holds, not yet checked. */
export async function readConfigFile(file: string): Promise<unknown> {
  const ext = path.extname(file);
  if (ext === '.json' || ext === '.json5') return parseJson5(file);
  if (ext === '.yaml' || ext === '.yml') return parseYaml(file);
  const loaded = await whileStdoutGoesToStderr(() => (/^\.[cm]?ts$/.test(ext) ? importTypeScript(file) : importModule(file)));
  return unwrapDefault(loaded);
}

// A config file is a program: it may log while it loads ("loading env from .env"), and
// that must not land in `drover config --json` or before `drover start`'s own lines.
// Its console output goes to stderr until the load is done. process.stdout.write
// itself is left alone: whoever embeds drover (a test runner) may be writing there.
async function whileStdoutGoesToStderr<T>(load: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, dir: console.dir };
  const toStderr = console.error;
  Object.assign(console, { log: toStderr, info: toStderr, debug: toStderr, dir: (value: unknown, options?: InspectOptions) => toStderr(inspect(value, options)) });
  try {
    return await load();
  } finally {
    Object.assign(console, saved);
  }
}

// `export default` in a .ts file of a CommonJS package is compiled to
// `exports.default = ...`, and import() hands back `{ default: config }`.
function unwrapDefault(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('default' in value)) return value;
  const keys = Object.keys(value).filter((key) => key !== '__esModule');
  return keys.length === 1 ? (value as { default: unknown }).default : value;
}

async function parseJson5(file: string): Promise<unknown> {
  const text = readFileSync(file, 'utf8');
  const { default: JSON5 } = await import('json5');
  try {
    return JSON5.parse(text);
  } catch (error) {
    const { lineNumber, columnNumber } = error as { lineNumber?: number; columnNumber?: number };
    const where = lineNumber ? `:${lineNumber}:${columnNumber}` : '';
    const javascript = findJavaScript(text);
    if (javascript) {
      throw new DroverError(
        'DROVER_E_CONFIG_NEEDS_JS',
        `${displayPath(file)}:${javascript.line}: '${javascript.snippet}' is JavaScript, and drover never evaluates a JSON file as code. ` +
          `Rename it to ecosystem.config.js and put \`module.exports = \` before the object.`,
      );
    }
    throw new DroverError('DROVER_E_CONFIG_PARSE', `${displayPath(file)}${where}: ${stripPosition((error as Error).message)}`, { cause: error });
  }
}

// What PM2 users put in ecosystem.json that only JavaScript can evaluate.
const JAVASCRIPT_IN_JSON = /process\.env|require\s*\(|__dirname|__filename|module\.exports|`|\bpath\.(join|resolve)\(/;

function findJavaScript(text: string): { line: number; snippet: string } | undefined {
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = JAVASCRIPT_IN_JSON.exec(line);
    if (match) return { line: index + 1, snippet: line.trim().replace(/,$/, '') };
  }
  return undefined;
}

function stripPosition(message: string): string {
  return message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
}

async function parseYaml(file: string): Promise<unknown> {
  const text = readFileSync(file, 'utf8');
  const { parse, YAMLParseError } = await import('yaml');
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const position = error.linePos?.[0];
      const where = position ? `:${position.line}:${position.col}` : '';
      throw new DroverError('DROVER_E_CONFIG_PARSE', `${displayPath(file)}${where}: ${firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '')}`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function importModule(file: string): Promise<unknown> {
  try {
    const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return module.default ?? module;
  } catch (error) {
    throw new DroverError('DROVER_E_CONFIG_LOAD', `${displayPath(file)}: could not load: ${firstLine((error as Error).message)}`, { cause: error });
  }
}

// Node 22.6+ strips types itself; older Nodes need tsx, found from the config's folder.
async function importTypeScript(file: string): Promise<unknown> {
  const support = typeScriptSupport(file);
  if (support.kind === 'native') return importModule(file);
  if (support.kind === 'none') {
    throw new DroverError('DROVER_E_TYPESCRIPT_UNSUPPORTED', `${displayPath(file)}: ${support.advice}`);
  }
  const { tsImport } = (await import(pathToFileURL(resolveTsxEsmApi(file)).href)) as {
    tsImport: (specifier: string, parent: string) => Promise<{ default?: unknown }>;
  };
  try {
    const module = await tsImport(pathToFileURL(file).href, import.meta.url);
    return module.default ?? module;
  } catch (error) {
    throw new DroverError('DROVER_E_CONFIG_LOAD', `${displayPath(file)}: could not load: ${firstLine((error as Error).message)}`, { cause: error });
  }
}

// tsx's ESM API, found from the config's folder. require.resolve would pick its
// CommonJS build, so the package's "import" export is read from its package.json.
function resolveTsxEsmApi(file: string): string {
  const manifestPath = createRequire(file).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const entry = manifest.exports?.['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs';
  return path.join(path.dirname(manifestPath), entry);
}

const firstLine = (text: string) => text.split('\n', 1)[0]!;
