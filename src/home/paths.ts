import { homedir } from 'node:os';
import path from 'node:path';

// Every path drover keeps in $DROVER_HOME (default ~/.drover), in one place:
//   sockets/<app>.sock     each running supervisor's control socket
//   logs/<app>.log         a background supervisor's own lines
//   logs/<app>.out.log     a background app's stdout (and .err.log, its stderr)
//   apps/<app>.json        the app's record: how it was started, and how a background app ended (0600)
//   dump.json              what `drover save` wrote, for `drover resurrect` (0600)

/** drover's runtime directory. */
export function droverHome(): string {
  return process.env.DROVER_HOME ?? path.join(homedir(), '.drover');
}

/** The folder of control sockets, one per running app. */
export function socketsDir(): string {
  return path.join(droverHome(), 'sockets');
}

/** The longest path a Unix socket may have on Linux (sun_path is 108 bytes with its NUL). */
export const SOCKET_PATH_MAX = 107;

/** The control socket of the app named `name`. */
export function socketPath(name: string): string {
  return path.join(socketsDir(), `${name}.sock`);
}

/** The folder of background apps' log files. */
export function logsDir(): string {
  return path.join(droverHome(), 'logs');
}

/** Where a background supervisor's own lines (starts, crashes, restarts) go. */
export function supervisorLogPath(name: string): string {
  return path.join(logsDir(), `${name}.log`);
}

/** A background app's stdout and stderr files, unless its config names others (PM2's ~/.pm2/logs). */
export function defaultLogFiles(name: string): { out: string; err: string } {
  return { out: path.join(logsDir(), `${name}.out.log`), err: path.join(logsDir(), `${name}.err.log`) };
}

/** The folder of running apps' start records. */
export function appsDir(): string {
  return path.join(droverHome(), 'apps');
}

/** How the running app `name` was started: its arguments, folder and environment. */
export function startRecordPath(name: string): string {
  return path.join(appsDir(), `${name}.json`);
}

/** The file `save` writes and `resurrect` reads. */
export function dumpPath(): string {
  return path.join(droverHome(), 'dump.json');
}
