// Every error drover reports to a user comes from this catalog: a stable code, a
// one-line summary for the docs, and the exit code the CLI uses. docs/errors.md
// lists the same codes; test/errors/catalog.test.ts keeps the two in step.

export const ERROR_CATALOG = {
  DROVER_E_INVALID_OPTION: {
    summary: 'An option has the wrong type or value, or is unknown.',
    exitCode: 2,
  },
  DROVER_E_SCRIPT_NOT_FOUND: {
    summary: 'The script to run does not exist or is not a file.',
    exitCode: 2,
  },
  DROVER_E_UNSUPPORTED_SCRIPT: {
    summary: 'The script is not something Node.js can run (a Python file, a shell script, a binary).',
    exitCode: 2,
  },
  DROVER_E_PORT_IN_USE: {
    summary: 'A worker tried to listen on a port that another process holds.',
    exitCode: 3,
  },
  DROVER_E_CRASH_LOOP: {
    summary: 'Workers kept crashing soon after start; drover stopped restarting them.',
    exitCode: 3,
  },
  DROVER_E_EXITED_ON_START: {
    summary: 'The app exited with code 0 right after start, without listening: it is not a server.',
    exitCode: 3,
  },
  DROVER_E_SHUTDOWN_FORCED: {
    summary: 'A graceful shutdown did not finish: some workers were killed at kill_timeout or by a second signal.',
    exitCode: 1,
  },
} as const satisfies Record<string, { summary: string; exitCode: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
