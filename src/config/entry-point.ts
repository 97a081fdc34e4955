import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DroverError } from '../errors/index.js';
import { splitArgs } from './app-schema.js';
import { checkExecutable, interpreterByExtension, isNodeProgram, resolveInterpreter } from './interpreter.js';
import { npmRunOf, readPackageScript, splitSimpleCommand } from './package-script.js';
import { scriptKind } from './script-kind.js';
import { findOnPath } from './which.js';

// What an app's `script` (and `interpreter`) name, resolved to what runs: a file Node.js
// runs with drover's runtime, or a program run by itself or by an interpreter. Every
// form PM2 accepts: a file, a folder, "node app.js", node + args, npm start, a command
// on PATH, a #! script or a binary, a .py/.sh file.

export interface EntryInput {
  script: string;
  args: readonly string[];
  nodeArgs: readonly string[];
  interpreter: string | undefined;
}

export interface EntryPoint {
  /** Absolute path of the file that runs (or that the interpreter runs). */
  script: string;
  /** undefined: Node.js; 'none': the script runs itself; else the interpreter's absolute path. */
  interpreter: string | undefined;
  args: string[];
  nodeArgs: string[];
  /** Variables a package script sets before its command (`NODE_ENV=production node ...`): they win, as under npm. */
  envOver: Record<string, string>;
  /** Variables set under the app's env (PYTHONUNBUFFERED for python, as PM2 sets it). */
  envUnder: Record<string, string>;
  /** The default name, where the script's file name is not it (npm, a folder). */
  name: string | undefined;
  warnings: string[];
}

/** What one form resolves to, before the variables and warnings common to all. */
type Resolved = Omit<EntryPoint, 'envOver' | 'envUnder' | 'name' | 'warnings'> & { name?: string | undefined; envOver?: Record<string, string> };

/** Resolve `script` from `cwd`. `field` names the options in messages. */
export function resolveEntryPoint(input: EntryInput, cwd: string, field: (name: string) => string): EntryPoint {
  const warnings: string[] = [];
  let command = input.script;
  let args = [...input.args];
  // "node app.js" or "npm run worker": a command line in one string (PM2 runs it through bash -c).
  if (/\s/.test(command.trim()) && !existsSync(path.resolve(cwd, command))) {
    const words = splitArgs(command);
    command = words[0]!;
    args = [...words.slice(1), ...args];
  }
  const explicitNode = input.interpreter !== undefined && isNodeProgram(input.interpreter);
  if (explicitNode && input.interpreter!.includes('/') && path.resolve(cwd, input.interpreter!) !== process.execPath) {
    warnings.push(`${field('interpreter')}: drover runs Node.js apps with its own Node.js (${process.execPath}), not '${input.interpreter}'`);
  }
  const interpreter = explicitNode ? undefined : input.interpreter;

  let entry: Resolved;
  const nodeForm = interpreter === undefined && isNodeProgram(command) ? splitNodeCommand(args) : undefined;
  if (nodeForm) {
    entry = fileEntry(nodeForm.file, nodeForm.args, [...nodeForm.nodeArgs, ...input.nodeArgs], NODE_FILE, cwd, field, input.script);
  } else if (interpreter === undefined && command === 'npm' && !existsSync(path.resolve(cwd, command))) {
    entry = npmEntry(args, input.nodeArgs, cwd, field, input.script);
  } else {
    entry = fileEntry(command, args, input.nodeArgs, explicitNode ? 'node' : interpreter, cwd, field, input.script);
  }

  if (entry.interpreter === 'none' && entry.nodeArgs.length > 0) {
    warnings.push(`${field('node_args')}: ignored: ${path.basename(entry.script)} runs by itself, with no interpreter to give them to`);
    entry = { ...entry, nodeArgs: [] };
  }
  const python = entry.interpreter !== undefined && /python/.test(path.basename(entry.interpreter));
  return {
    ...entry,
    envOver: entry.envOver ?? {},
    // PM2 sets it so that a Python app's output reaches the logs line by line.
    envUnder: python ? { PYTHONUNBUFFERED: '1' } : {},
    name: entry.name,
    warnings,
  };
}

// Node's options that take their value as the next word.
const NODE_OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--env-file', '-C', '--conditions', '--title', '--inspect-port', '--input-type']);
// Options that make node do something else than run a file.
const NODE_NOT_A_FILE = new Set(['-e', '--eval', '-p', '--print', '-i', '--interactive', '-c', '--check', '--test', '--run', '-v', '--version', '-h', '--help', '--watch', '--watch-path']);

/** `node [options] <file> [args]` as its parts; undefined when node runs no file. */
export function splitNodeCommand(words: readonly string[]): { nodeArgs: string[]; file: string; args: string[] } | undefined {
  const nodeArgs: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-')) return { nodeArgs, file: word, args: words.slice(i + 1) };
    if (NODE_NOT_A_FILE.has(word.split('=')[0]!) || word === '-' || word === '--') return undefined;
    nodeArgs.push(word);
    if (NODE_OPTIONS_WITH_VALUE.has(word) && i + 1 < words.length) nodeArgs.push(words[++i]!);
  }
  return undefined;
}

// `npm start`, `npm run x`: the package script itself where it is `node <file>`, else npm
// as one supervised process.
function npmEntry(args: string[], nodeArgs: readonly string[], cwd: string, field: (name: string) => string, given: string): Resolved {
  const npm = findOnPath('npm');
  if (npm === undefined) throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `${field('script')}: '${given}' needs npm, and npm is not on PATH`);
  const run = npmRunOf(args);
  const asNpm = { script: npm, interpreter: 'none', args, nodeArgs: [...nodeArgs], name: 'npm' };
  if (run === undefined) return asNpm;
  const command = splitSimpleCommand(readPackageScript(cwd, run, `${field('script')}: '${[given, ...args].join(' ')}'`));
  const node = command && isNodeProgram(command.words[0]!) ? splitNodeCommand([...command.words.slice(1), ...run.extra]) : undefined;
  if (command === undefined || node === undefined) return asNpm;
  const entry = fileEntry(node.file, node.args, [...node.nodeArgs, ...nodeArgs], NODE_FILE, cwd, field, node.file);
  return { ...entry, name: 'npm', envOver: command.env };
}

// The file of `node <file>`: Node.js runs it, and node does not look for it on PATH.
const NODE_FILE = 'node <file>';

// A file, a folder or a command on PATH, and what runs it.
function fileEntry(
  command: string,
  args: string[],
  nodeArgs: readonly string[],
  interpreter: string | undefined,
  cwd: string,
  field: (name: string) => string,
  given: string,
): Resolved {
  let script = path.resolve(cwd, command);
  let name: string | undefined;
  if (!existsSync(script)) {
    const onPath = interpreter === NODE_FILE ? undefined : findOnPath(command);
    if (onPath === undefined) {
      throw new DroverError('DROVER_E_SCRIPT_NOT_FOUND', `script not found: ${command} (looked for ${script}${command.includes('/') || interpreter === NODE_FILE ? '' : ', and for a command on PATH'})`);
    }
    script = onPath;
  }
  if (statSync(script).isDirectory() && (interpreter === undefined || interpreter === 'node' || interpreter === NODE_FILE)) {
    // PM2 runs a folder with node, which loads its package.json "main", else index.js.
    name = path.basename(script);
    script = folderEntry(script, command);
  }
  const base = { script, args, nodeArgs: [...nodeArgs], name };
  if (interpreter === 'node' || interpreter === NODE_FILE) return { ...base, interpreter: undefined };
  if (interpreter === 'none') {
    checkExecutable(script, given, 'interpreter is none');
    return { ...base, interpreter: 'none' };
  }
  if (interpreter !== undefined) return { ...base, interpreter: resolveInterpreter(interpreter, cwd, field('interpreter')) };
  const byExtension = interpreterByExtension(script, given);
  if (byExtension !== undefined) return { ...base, interpreter: byExtension };
  const kind = scriptKind(script);
  // Text with an extension neither Node.js nor PM2's map knows: Node.js would refuse it
  // on every start (ERR_UNKNOWN_FILE_EXTENSION), a crash loop; say so once instead.
  if (kind.kind === 'node' && !/\.[cm]?[jt]s$/.test(script) && path.extname(script) !== '') {
    throw new DroverError(
      'DROVER_E_UNSUPPORTED_SCRIPT',
      `${given}: '${path.extname(script)}' is not a Node.js extension, and no interpreter runs it; set interpreter (--interpreter python3, or none for an executable), or give it a .js name`,
    );
  }
  if (kind.kind === 'node') return { ...base, interpreter: undefined };
  if (kind.kind === 'unreadable') throw new DroverError('DROVER_E_UNSUPPORTED_SCRIPT', `${given}: it cannot be read (looked at ${script}), so what runs it is unknown`);
  checkExecutable(script, given, kind.what);
  return { ...base, interpreter: 'none' };
}

/** The file Node.js runs for a folder: its package.json "main" (as require() resolves it), else index.js. */
function folderEntry(dir: string, given: string): string {
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: unknown }).main;
  } catch {
    main = undefined;
  }
  const candidates = typeof main === 'string' && main !== '' ? [main, `${main}.js`, path.join(main, 'index.js')] : [];
  for (const candidate of [...candidates, 'index.js']) {
    const file = path.resolve(dir, candidate);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  throw new DroverError(
    'DROVER_E_SCRIPT_NOT_FOUND',
    `script not found: ${given} is a folder, and has ${typeof main === 'string' ? `no file for its package.json "main" ('${main}') and ` : ''}no index.js (looked in ${dir})`,
  );
}
