import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** The absolute path of `command` on PATH (an executable file), as a shell would find it; undefined if none. */
export function findOnPath(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether `file` is a regular file (after links) that this user may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
