// Every error drover reports to a user comes from this catalog: a stable code, a
// one-line summary for the docs, and the exit code the CLI uses. docs/errors.md
// lists the same codes; test/errors/catalog.test.ts keeps the two in step.

export const ERROR_CATALOG = {
  DROVER_E_INVALID_OPTION: {
    summary: 'An option has the wrong type or value, or is unknown.',
    exitCode: 2,
  },
  DROVER_E_SCRIPT_NOT_FOUND: {
    summary: 'The script to run, its interpreter, or the package script npm would run does not exist.',
    exitCode: 2,
  },
  DROVER_E_UNSUPPORTED_SCRIPT: {
    summary: 'The script cannot be run as given (a #! script or binary that is not executable, a file that cannot be read).',
    exitCode: 2,
  },
  DROVER_E_TYPESCRIPT_UNSUPPORTED: {
    summary: 'A TypeScript script or config, and neither Node.js type stripping nor tsx to run it.',
    exitCode: 2,
  },
  DROVER_E_CONFIG_NOT_FOUND: {
    summary: 'No script or config file was given, and no config file was found in the current directory.',
    exitCode: 2,
  },
  DROVER_E_CONFIG_PARSE: {
    summary: 'A JSON, JSON5 or YAML config file has a syntax error.',
    exitCode: 2,
  },
  DROVER_E_CONFIG_NEEDS_JS: {
    summary: 'A JSON config file holds JavaScript (process.env, require); drover never evaluates JSON as code.',
    exitCode: 2,
  },
  DROVER_E_CONFIG_LOAD: {
    summary: 'A JavaScript or TypeScript config file threw while loading.',
    exitCode: 2,
  },
  DROVER_E_CONFIG_SHAPE: {
    summary: 'A config file is not one of the shapes drover reads (apps array, app object, pm2 key).',
    exitCode: 2,
  },
  DROVER_E_UNKNOWN_APP: {
    summary: '`--only` names an app that the config file does not have, or a command names an app that is not running.',
    exitCode: 2,
  },
  DROVER_E_APP_RUNNING: {
    summary: 'An app of that name is already running (its control socket answers).',
    exitCode: 2,
  },
  DROVER_E_LOG_FILE: {
    summary: 'A log file (out_file, error_file, log_file) cannot be created or written.',
    exitCode: 2,
  },
  DROVER_E_SOCKET_NOT_OWNED: {
    summary: 'A control socket in $DROVER_HOME belongs to another user; drover does not talk to it.',
    exitCode: 2,
  },
  DROVER_E_HOME_UNSAFE: {
    summary: '$DROVER_HOME (or a folder in it) belongs to another user, may be written by others, or is a symbolic link.',
    exitCode: 2,
  },
  DROVER_E_SUPERVISOR_UNREACHABLE: {
    summary: "A supervisor did not answer a command in time, or died during it.",
    exitCode: 1,
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
  DROVER_E_WORKER_EXITED: {
    summary: 'With autorestart off (or an exit code in stop_exit_codes) the last worker exited with a failure.',
    exitCode: 1,
  },
  DROVER_E_SHUTDOWN_FORCED: {
    summary: 'A graceful shutdown did not finish: some workers were killed at kill_timeout or by a second signal.',
    exitCode: 1,
  },
  DROVER_E_FILE_EXISTS: {
    summary: 'A file drover would write (drover ecosystem, drover init) is already there; drover never overwrites it (drover init: unless --force).',
    exitCode: 2,
  },
  DROVER_E_INIT_KIND: {
    summary: 'drover init: no kind given, or one it does not generate (docker, compose, k8s).',
    exitCode: 2,
  },
  DROVER_E_INIT_APP: {
    summary: 'drover init: the config file has several apps and --only does not name one; a container runs one app.',
    exitCode: 2,
  },
  DROVER_E_ADMIN_LISTENER: {
    summary: 'The admin listener cannot start: its port is in use, its host is not this machine, or a host other than loopback has no token.',
    exitCode: 2,
  },
  DROVER_E_STARTUP: {
    summary: 'drover startup or unstartup: no init system drover supports, or its unit cannot be written or removed.',
    exitCode: 2,
  },
  DROVER_E_BENCH_TARGET: {
    summary: 'drover bench: the app exited or did not answer on its PORT, or the URL did not answer (or answered an error status).',
    exitCode: 2,
  },
  DROVER_E_NOT_A_TERMINAL: {
    summary: 'drover monit was run with its stdin or stdout not a terminal (a pipe, a file, a CI job).',
    exitCode: 2,
  },
  // The worker API (drover/worker): thrown (or rejected) in the app's workers, never
  // ending drover itself; the exit code is what a CLI that met one would use.
  DROVER_E_MESSAGE_VALUE: {
    summary: 'A bus message or store value cannot be carried: it is not structured-clone-able (a function, a symbol), or it is over 1 MiB serialized.',
    exitCode: 1,
  },
  DROVER_E_STORE_KEY: {
    summary: 'A store key is not a non-empty string of at most 1024 bytes (UTF-8).',
    exitCode: 1,
  },
  DROVER_E_INVALID_ARGUMENT: {
    summary: 'A worker API call got an argument of the wrong form: a topic, channel, slot, ttl, timeout or increment.',
    exitCode: 1,
  },
  DROVER_E_STORE_TYPE: {
    summary: '`store.incr` on a key whose value is not an integer, or a counter beyond 2^53 - 1.',
    exitCode: 1,
  },
  DROVER_E_STORE_FULL: {
    summary: 'The embedded store is at store_max_memory and has no key with a TTL left to evict (or Redis is at its maxmemory).',
    exitCode: 1,
  },
  DROVER_E_STORE_UNAVAILABLE: {
    summary: 'The store cannot be reached: Redis is down or refuses the connection, or the supervisor did not answer; nothing was changed.',
    exitCode: 1,
  },
  DROVER_E_REQUEST_TIMEOUT: {
    summary: 'A bus request got no answer within its timeout.',
    exitCode: 1,
  },
  DROVER_E_NO_RESPONDER: {
    summary: 'A bus request on a topic that no other worker (and not the supervisor) answers.',
    exitCode: 1,
  },
  DROVER_E_REQUEST_FAILED: {
    summary: 'The handler that answered a bus request threw, or its worker exited before answering.',
    exitCode: 1,
  },
} as const satisfies Record<string, { summary: string; exitCode: number }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
