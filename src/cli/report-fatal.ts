import { isDroverError } from '../errors/index.js';

/** Print an error as one clear message (a stack only for a bug in drover); returns the exit code. */
export function reportFatal(error: unknown, write: (text: string) => void = (text) => process.stderr.write(text)): number {
  if (isDroverError(error)) {
    write(`drover: ${error.message} [${error.code}]\n`);
    return error.exitCode;
  }
  write(`drover: internal error, please report it:\n${error instanceof Error ? error.stack : String(error)}\n`);
  return 70;
}
