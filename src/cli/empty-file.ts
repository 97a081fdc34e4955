import { closeSync, constants, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { errorCode } from '../errors/index.js';

/**
 * Empty a log file in place (PM2's flush). A supervisor that has it open keeps its
 * descriptor: it appends (O_APPEND), so its next line lands at the new end, not at
 * the old offset. Never follows a symbolic link, and leaves anything that is not a
 * regular file (/dev/null, /dev/stdout) alone. Says what happened, in a word.
 */
export function emptyFile(file: string): 'emptied' | 'not a file' | 'missing' | string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? 'missing' : errorCode(error);
  }
  try {
    if (!fstatSync(fd).isFile()) return 'not a file';
    ftruncateSync(fd, 0);
    return 'emptied';
  } catch (error) {
    return errorCode(error);
  } finally {
    closeSync(fd);
  }
}
