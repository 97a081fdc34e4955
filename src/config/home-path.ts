import { homedir } from 'node:os';
import path from 'node:path';

/**
 * `~` and `~/logs/out.log` as the home folder, as PM2 reads log and pid paths (and as
 * a shell would): a config file is not passed through a shell, so nothing else would.
 */
export function expandHome(file: string): string {
  if (file === '~') return homedir();
  return file.startsWith('~/') ? path.join(homedir(), file.slice(2)) : file;
}
