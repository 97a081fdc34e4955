import { ERROR_CATALOG, type ErrorCode } from './catalog.js';

/** An error a user can act on: a stable code, one clear message, and the exit code the CLI uses. */
export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DroverError';
    this.code = code;
    this.exitCode = ERROR_CATALOG[code].exitCode;
  }
}

/** An option failed validation; `issues` holds one line per problem, each naming its field. */
export class InvalidOptionError extends DroverError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super('DROVER_E_INVALID_OPTION', issues.join('\n'));
    this.name = 'InvalidOptionError';
    this.issues = issues;
  }
}

/** A system error's code (ENOSPC, ELOOP), or else its message: the short cause in a one-line report. */
export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}

/** Tell our own errors from bugs: only these are printed without a stack. */
export function isDroverError(error: unknown): error is DroverError {
  return error instanceof DroverError;
}
