import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errorCode } from '../errors/index.js';

/**
 * One thing `drover doctor` read, and where: `value` is null when it could not be
 * read, and `source` then says why. Nothing doctor reads may throw: an unreadable
 * fact is reported as unknown.
 */
export interface Fact<T> {
  value: T | null;
  source: string;
}

export const known = <T>(value: T, source: string): Fact<T> => ({ value, source });
export const unknown = <T>(why: string): Fact<T> => ({ value: null, source: `unknown: ${why}` });

/** A file under `root` (a fake "/" in tests), trimmed; or why it could not be read. */
export function readUnder(root: string, file: string): { text: string } | { error: string } {
  try {
    return { text: readFileSync(path.join(root, file), 'utf8').trim() };
  } catch (error) {
    return { error: `${file}: ${errorCode(error)}` };
  }
}
