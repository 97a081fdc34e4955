import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { callSupervisor, findRunningApps, selectRunningApps, stuck, type RunningApp } from '../control/client.js';
import { parseSignalName } from '../control/signal-name.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import { logsDir, supervisorLogPath } from '../home/paths.js';
import { lsCommand, notice, stopCommand } from './control-commands.js';
import { ECOSYSTEM_TEMPLATE } from './ecosystem-template.js';
import { emptyFile } from './empty-file.js';

// PM2's command names that drover had no word for: jlist, prettylist, flush, env,
// reset, sendSignal, kill and ecosystem. Each does what PM2's does, in drover's terms
// (one supervisor per app, no daemon).

/** `drover jlist` (one line) and `drover prettylist` (indented): `ls --json`, as PM2 users script against. */
export function jlistCommand(pretty: boolean): Promise<number> {
  return lsCommand({ json: true, compact: !pretty });
}

/**
 * `drover flush [app]`: empty the app's log files (its stdout, stderr and supervisor
 * logs, where its config put them), in place, so that its supervisor writes on; with
 * no app, every running app's files and every log in $DROVER_HOME/logs.
 */
export async function flushCommand(target: string | undefined): Promise<number> {
  const running = await findRunningApps(notice);
  const files = new Set<string>();
  const inLogsDir = existsSync(logsDir()) ? readdirSync(logsDir()).filter((file) => file.endsWith('.log')) : [];
  if (target === undefined) {
    for (const app of running) {
      if (app.state === 'stuck') notice(`drover: ${stuck(app).message}; its own files are flushed only if they are in ${logsDir()}`);
      else for (const file of await filesOf(app)) files.add(file);
    }
    for (const file of inLogsDir) files.add(path.join(logsDir(), file));
  } else {
    const app = running.find((candidate) => candidate.name === target);
    if (app?.state === 'stuck') throw stuck(app);
    // A stopped app's files are its default ones: <app>.log, <app>.out.log, <app>.err-1.log ...
    const own = inLogsDir.filter((file) => /^(.+?)(?:\.(?:out|err)(?:-\d+)?)?\.log$/.exec(file)?.[1] === target).map((file) => path.join(logsDir(), file));
    if (!app && own.length === 0) {
      const names = new Set([...running.map((candidate) => candidate.name), ...inLogsDir.map((file) => file.replace(/(?:\.(?:out|err)(?:-\d+)?)?\.log$/, ''))]);
      throw new DroverError('DROVER_E_UNKNOWN_APP', `no app named '${target}' is running or has logs; there are: ${[...names].sort().map((n) => `'${n}'`).join(', ') || 'none'}`);
    }
    for (const file of [...(app ? await filesOf(app) : []), ...own]) files.add(file);
  }
  let failed = 0;
  for (const file of [...files].sort()) {
    const outcome = emptyFile(file);
    if (outcome === 'emptied') process.stdout.write(`flushed ${file}\n`);
    else if (outcome !== 'missing' && outcome !== 'not a file') {
      failed += 1;
      process.stderr.write(`drover: cannot flush ${file} (${outcome})\n`);
    }
  }
  if (files.size === 0) process.stdout.write('no log files to flush\n');
  return failed > 0 ? 1 : 0;
}

// A running app's files, as its supervisor knows them (its config may name its own), and its supervisor log.
async function filesOf(app: RunningApp): Promise<string[]> {
  const { logFiles } = await callSupervisor(app.socket, 'GET /v1/describe');
  return [supervisorLogPath(app.name), ...logFiles.out, ...logFiles.err];
}

/** `drover env <app> [slot]`: the environment of one worker (slot 0 by default), secrets masked, one KEY=value a line. */
export async function envCommand(target: string, slot = '0'): Promise<number> {
  if (!/^\d+$/.test(slot)) throw new InvalidOptionError([`env: expected a worker's slot number (0, 1, ...; drover ls shows them), got '${slot}'`]);
  const [app] = await selectRunningApps(target, notice);
  const { env } = await callSupervisor(app!.socket, 'GET /v1/env', { query: { slot } });
  const lines = Object.keys(env)
    .sort()
    .map((key) => `${key}=${env[key]}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `drover reset <app|all>`: every worker's restart count (the `restarts` column of ls) back to 0. */
export async function resetCommand(target: string): Promise<number> {
  for (const app of await selectRunningApps(target, notice)) {
    const { reset } = await callSupervisor(app.socket, 'POST /v1/reset');
    process.stdout.write(`${app.name}: restart counts of ${reset} worker(s) reset to 0\n`);
  }
  return 0;
}

/** `drover sendSignal <signal> <app|all>`: the signal to the worker of every slot; says which pids got it. */
export async function sendSignalCommand(signal: string, target: string): Promise<number> {
  const name = parseSignalName(signal);
  for (const app of await selectRunningApps(target, notice)) {
    const { pids } = await callSupervisor(app.socket, 'POST /v1/signal', { query: { signal: name } });
    process.stdout.write(pids.length > 0 ? `${app.name}: ${name} sent to pid${pids.length > 1 ? 's' : ''} ${pids.join(', ')}\n` : `${app.name}: no worker to send ${name} to\n`);
  }
  return 0;
}

/** `drover kill`: PM2's stops its daemon and every process; drover has no daemon, so it drains and stops every app. */
export async function killCommand(): Promise<number> {
  const running = await findRunningApps();
  const code = running.length > 0 ? await stopCommand('all') : 0;
  process.stdout.write(
    `drover has no daemon to kill: each app has its own supervisor, and ${running.length > 0 ? 'every app was drained and stopped' : 'no app was running'}\n`,
  );
  return code;
}

/**
 * `drover ecosystem`: write a commented sample config in the current folder, never
 * over an existing file. In a package whose package.json says "type": "module", a
 * .js file cannot use module.exports: the file is ecosystem.config.cjs there.
 */
export function ecosystemCommand(): number {
  const esm = nearestPackageType(process.cwd()) === 'module';
  const file = path.resolve(esm ? 'ecosystem.config.cjs' : 'ecosystem.config.js');
  if (existsSync(file)) {
    throw new DroverError('DROVER_E_FILE_EXISTS', `${file} already exists; drover does not overwrite it: move or remove it, or run drover ecosystem in another folder`);
  }
  writeFileSync(file, ECOSYSTEM_TEMPLATE, { flag: 'wx' });
  const why = esm ? ' (.cjs: package.json says "type": "module")' : '';
  process.stdout.write(`wrote ${file}${why}; edit it, then: drover config to check it, drover start to run it\n`);
  return 0;
}

// The "type" of the package the folder is in: the nearest package.json up the tree says.
function nearestPackageType(dir: string): string | undefined {
  for (let at = dir; ; at = path.dirname(at)) {
    const file = path.join(at, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(at) === at) return undefined;
  }
}
