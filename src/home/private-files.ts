import { closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, chmodSync } from 'node:fs';
import { DroverError } from '../errors/index.js';
import { droverHome } from './paths.js';

// $DROVER_HOME holds control sockets, logs and saved environments, and a supervisor
// may run as root: whoever can write there could plant a symlink that makes drover
// write into any file, or a socket that answers as a supervisor. So the folder must be
// the user's alone, drover never follows a symlink when it creates a file, and files
// that hold environments are written whole or not at all.

/** The user drover runs as; undefined where there is none (Windows). */
const uid = () => process.getuid?.();

/**
 * $DROVER_HOME, created 0700 if missing; refused with DROVER_E_HOME_UNSAFE when it
 * belongs to another user or others may write to it.
 */
export function privateHome(): string {
  const home = droverHome();
  mkdirSync(home, { recursive: true, mode: 0o700 });
  // The home itself may be a symlink the user made (~/.drover -> /data/drover): what counts is where it leads.
  checkPrivate(home, statSync(home), 'DROVER_HOME');
  return home;
}

/**
 * A folder inside $DROVER_HOME (sockets, logs, apps), created 0700 if missing, and made
 * 0700 if it is ours but looser. A symlink or another user's folder is refused.
 */
export function privateDir(dir: string): string {
  privateHome();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new DroverError('DROVER_E_HOME_UNSAFE', `${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; drover keeps its files there only in a real folder of its own: remove it`);
  }
  checkOwner(dir, stat.uid);
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

function checkPrivate(dir: string, stat: { uid: number; mode: number; isDirectory(): boolean }, what: string): void {
  if (!stat.isDirectory()) throw new DroverError('DROVER_E_HOME_UNSAFE', `${what} ${dir} is not a folder`);
  checkOwner(dir, stat.uid);
  if ((stat.mode & 0o022) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new DroverError(
      'DROVER_E_HOME_UNSAFE',
      `${what} ${dir} is writable by ${stat.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode}): another user could plant the files drover writes there; chmod 700 ${dir}, or set DROVER_HOME to a folder of your own`,
    );
  }
}

function checkOwner(dir: string, owner: number): void {
  const me = uid();
  if (me !== undefined && owner !== me) {
    throw new DroverError('DROVER_E_HOME_UNSAFE', `${dir} belongs to uid ${owner}, not to you (uid ${me}); set DROVER_HOME to a folder of your own`);
  }
}

/**
 * Open a file for appending without following a symlink at its path (O_NOFOLLOW): a
 * planted link fails with ELOOP instead of sending drover's writes elsewhere. Device
 * paths (/dev/stdout is itself a link) are opened as they are.
 */
export function openForAppend(file: string): number {
  const noFollow = file.startsWith('/dev/') ? 0 : constants.O_NOFOLLOW;
  return openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | noFollow, 0o644);
}

/**
 * Write a file whole or not at all, mode 0600: into a new temporary file beside it
 * (O_EXCL: never an existing file or link), then renamed over it. A symlink planted at
 * `file` is replaced, not followed.
 */
export function writePrivateFile(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}
