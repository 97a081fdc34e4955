import { homedir } from 'node:os';
import path from 'node:path';

// Where supervisors put their control sockets: $DROVER_HOME (default ~/.drover).

/** drover's runtime directory. */
export function droverHome(): string {
  return process.env.DROVER_HOME ?? path.join(homedir(), '.drover');
}

/** The folder of control sockets, one per running app. */
export function socketsDir(): string {
  return path.join(droverHome(), 'sockets');
}

/** The control socket of the app named `name`. */
export function socketPath(name: string): string {
  return path.join(socketsDir(), `${name}.sock`);
}
