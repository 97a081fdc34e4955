import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { droverHome } from '../control/paths.js';
import { DroverError, InvalidOptionError } from '../errors/index.js';
import { supervisorLogPath } from './start-command.js';

/**
 * `drover logs [app]`: the last lines of background apps' logs ($DROVER_HOME/logs),
 * and with --follow, new lines as they are written.
 */
export async function logsCommand(app: string | undefined, flags: { lines?: string; follow?: boolean }): Promise<number> {
  const lines = flags.lines === undefined ? 20 : Number(flags.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new InvalidOptionError([`--lines: expected a whole number, got '${flags.lines}'`]);
  const files = app === undefined ? allLogs() : [supervisorLogPath(app)];
  if (app !== undefined && !existsSync(files[0]!)) {
    const names = allLogs().map((file) => `'${path.basename(file, '.log')}'`);
    throw new DroverError('DROVER_E_UNKNOWN_APP', `no log for an app named '${app}'; logs exist for: ${names.join(', ') || 'none'}`);
  }
  const prefix = (file: string) => (files.length > 1 ? `${path.basename(file, '.log')} | ` : '');
  const offsets = new Map<string, number>();
  for (const file of files) {
    const text = readFrom(file, 0);
    const tail = text.split('\n').filter(Boolean).slice(-lines);
    for (const line of tail) process.stdout.write(`${prefix(file)}${line}\n`);
    offsets.set(file, statSync(file).size);
  }
  if (!flags.follow) return 0;
  // Follow: print what is appended, whole lines only, until interrupted.
  const partial = new Map<string, string>();
  for (const file of files) {
    watch(file, () => {
      const from = offsets.get(file)!;
      const size = statSync(file).size;
      if (size < from) offsets.set(file, 0);
      const text = (partial.get(file) ?? '') + readFrom(file, Math.min(from, size));
      offsets.set(file, size);
      const parts = text.split('\n');
      partial.set(file, parts.pop() ?? '');
      for (const line of parts) process.stdout.write(`${prefix(file)}${line}\n`);
    });
  }
  await new Promise(() => undefined);
  return 0;
}

function allLogs(): string[] {
  const dir = path.join(droverHome(), 'logs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => path.join(dir, f)) : [];
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
