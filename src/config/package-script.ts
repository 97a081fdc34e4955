import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DroverError } from '../errors/index.js';

// `npm start` and `npm run <x>` as an app's script, as PM2 users write it: the
// package.json script it names, and whether that is a plain `node <file>` command
// that drover can run itself (so that it clusters and drains).

/** The package script an npm command line runs, and the arguments it passes on. */
export interface NpmRun {
  name: string;
  /** What npm passes to the script: the words after the script's name (`--` removed). */
  extra: string[];
}

const RUN = new Set(['run', 'run-script', 'rum', 'urn']);

/** `start ...`, `run <x> ...`: the script named; undefined for other npm commands or npm's own flags. */
export function npmRunOf(args: readonly string[]): NpmRun | undefined {
  const [command, ...rest] = args;
  const run = command === 'start' ? { name: 'start', extra: rest } : RUN.has(command ?? '') && rest[0] !== undefined ? { name: rest[0], extra: rest.slice(1) } : undefined;
  if (run === undefined) return undefined;
  const dashes = run.extra.indexOf('--');
  const before = dashes === -1 ? run.extra : run.extra.slice(0, dashes);
  // A flag before `--` is npm's own (`--silent`): npm itself is needed.
  if (before.some((arg) => arg.startsWith('-'))) return undefined;
  return { name: run.name, extra: dashes === -1 ? run.extra : [...before, ...run.extra.slice(dashes + 1)] };
}

/** The command of `scripts[name]` in cwd's package.json; npm's default `node server.js` for a missing start. */
export function readPackageScript(cwd: string, run: NpmRun, given: string): string {
  const file = path.join(cwd, 'package.json');
  if (!existsSync(file)) {
    throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `${given}: npm runs the scripts of package.json, and there is none in ${cwd}; set cwd to the package's folder`);
  }
  let scripts: Record<string, unknown> = {};
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: unknown };
    if (typeof manifest.scripts === 'object' && manifest.scripts !== null) scripts = manifest.scripts as Record<string, unknown>;
  } catch (error) {
    throw new DroverError('DROVER_E_CONFIG_PARSE', `${file}: ${(error as Error).message}`, { cause: error });
  }
  const command = scripts[run.name];
  if (typeof command === 'string' && command.trim() !== '') return command;
  // npm's own default: `npm start` with no start script runs `node server.js`.
  if (run.name === 'start' && existsSync(path.join(cwd, 'server.js'))) return 'node server.js';
  const names = Object.keys(scripts);
  throw new DroverError(
    'DROVER_E_SCRIPT_NOT_FOUND',
    `${given}: ${file} has no script '${run.name}'${run.name === 'start' ? ' (and no server.js, which npm start would run)' : ''}; ` +
      (names.length > 0 ? `its scripts are ${names.map((name) => `'${name}'`).join(', ')}` : 'it has no scripts'),
  );
}

// Anything a shell would have to interpret: operators, expansions, quotes, globs.
const SHELL_SYNTAX = /[;&|<>`$(){}\\*?!~"'#[\]]/;

/**
 * `NODE_ENV=production node --enable-source-maps dist/main.js --port 3000` as its
 * variables and words; undefined when only a shell can run it.
 */
export function splitSimpleCommand(command: string): { env: Record<string, string>; words: string[] } | undefined {
  if (SHELL_SYNTAX.test(command)) return undefined;
  const words = command.trim().split(/\s+/);
  if (words[0] === 'cross-env') words.shift();
  const env: Record<string, string> = {};
  for (let match = /^([A-Za-z_]\w*)=(.*)$/.exec(words[0] ?? ''); match; match = /^([A-Za-z_]\w*)=(.*)$/.exec(words[0] ?? '')) {
    env[match[1]!] = match[2]!;
    words.shift();
  }
  return words.length > 0 ? { env, words } : undefined;
}
