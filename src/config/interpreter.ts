import path from 'node:path';
import { DroverError } from '../errors/index.js';
import { findOnPath, isExecutableFile } from './which.js';

// The program that runs a script that is not Node's, found as PM2 finds it.

/**
 * PM2's lib/API/interpreter.json: the program it picks by a script's extension when
 * no interpreter is given (`.py`: python, else python3). `.js` and `.ts` are Node's
 * here: PM2 prefers bun for `.ts` where bun is installed; drover runs TypeScript with
 * Node.js.
 */
const BY_EXTENSION: Readonly<Record<string, readonly string[]>> = {
  '.sh': ['bash'],
  '.py': ['python', 'python3'],
  '.rb': ['ruby'],
  '.php': ['php'],
  '.pl': ['perl'],
  '.coffee': ['coffee'],
  '.ls': ['lsc'],
};

/** `node`, `nodejs`, `/usr/local/bin/node`: Node.js, which drover runs itself (with its worker runtime). */
export function isNodeProgram(program: string): boolean {
  return /(^|\/)node(js)?(\.exe)?$/.test(program);
}

/** The interpreter PM2 picks for this script's extension, as an absolute path; undefined for other extensions. */
export function interpreterByExtension(script: string, given: string): string | undefined {
  const programs = BY_EXTENSION[path.extname(script)];
  if (programs === undefined) return undefined;
  for (const program of programs) {
    const found = findOnPath(program);
    if (found !== undefined) return found;
  }
  throw new DroverError(
    'DROVER_E_SCRIPT_NOT_FOUND',
    `${given}: '${path.extname(script)}' files run with ${programs.join(' (or ')}${programs.length > 1 ? ')' : ''}, and it is not on PATH; install it, or set interpreter to the program that runs it`,
  );
}

/** An interpreter as given (`python3`, `./venv/bin/python`, `/usr/bin/bun`) as an absolute path. */
export function resolveInterpreter(program: string, cwd: string, field: string): string {
  if (program.includes('/')) {
    const file = path.resolve(cwd, program);
    if (isExecutableFile(file)) return file;
    throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `${field}: '${program}' is not an executable file (looked for ${file})`);
  }
  const found = findOnPath(program);
  if (found !== undefined) return found;
  throw new DroverError(
    'DROVER_E_SCRIPT_NOT_FOUND',
    `${field}: '${program}' is not on PATH; install it, give its absolute path, or 'none' to execute the script itself`,
  );
}

/** A script that runs by itself (interpreter 'none') must be executable. */
export function checkExecutable(script: string, given: string, what: string): void {
  if (isExecutableFile(script)) return;
  throw new DroverError(
    'DROVER_E_UNSUPPORTED_SCRIPT',
    `${given}: ${what}, so it runs by itself, but it is not executable; chmod +x it, or set interpreter to the program that runs it`,
  );
}
