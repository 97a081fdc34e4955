import { constants } from 'node:os';
import { DroverError } from '../errors/index.js';

/**
 * A signal name as people type it ('SIGUSR2', 'usr2', 'SIGusr2') as Node.js knows it;
 * throws DROVER_E_INVALID_OPTION naming the value and a few valid ones. Numbers are
 * refused: their meaning differs between systems.
 */
export function parseSignalName(value: string): NodeJS.Signals {
  const upper = value.trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (/^SIG[A-Z0-9]+$/.test(name) && name in constants.signals) return name as NodeJS.Signals;
  throw new DroverError(
    'DROVER_E_INVALID_OPTION',
    `'${value}' is not a signal name; expected one such as SIGUSR2, SIGUSR1 or SIGHUP (kill -l lists them)`,
  );
}
