import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { DroverError, errorCode } from '../errors/index.js';

// The init systems `drover startup` writes for: systemd only, for now. PM2 knows more
// (upstart, launchd, openrc, rcd, systemv); drover says what it found instead of guessing.

/** The init systems drover writes a unit for. */
export const INIT_SYSTEMS = ['systemd'] as const;

/** The unit `drover startup systemd --write` writes for the current user. */
export function systemdUnit(user = userInfo().username): { name: string; file: string } {
  return { name: `drover-${user}`, file: `/etc/systemd/system/drover-${user}.service` };
}

/**
 * The init system of this machine, as `drover startup` with no argument picks it:
 * systemd when it is running (it creates /run/systemd/system at boot, as
 * sd_booted(3) checks). Otherwise DROVER_E_STARTUP, naming what PID 1 is.
 */
export function detectInitSystem(): (typeof INIT_SYSTEMS)[number] {
  if (existsSync('/run/systemd/system')) return 'systemd';
  let pid1 = 'unknown';
  try {
    pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  } catch {
    // No /proc (macOS): say so.
    pid1 = `unknown (no /proc on ${process.platform})`;
  }
  throw new DroverError(
    'DROVER_E_STARTUP',
    `startup: systemd is not running here (no /run/systemd/system; PID 1 is ${pid1}); drover writes units for ${INIT_SYSTEMS.join(', ')} only: ` +
      "elsewhere, have your init system run 'drover resurrect' at boot and 'drover stop all' at shutdown",
  );
}

/**
 * `drover unstartup [systemd]`: undo `startup --write`. Prints the commands (to read,
 * or to pipe to `sudo sh`); with --write runs them: disable and stop the unit, remove
 * its file, reload systemd.
 */
export function unstartupCommand(system: string | undefined, flags: { write?: boolean }): number {
  const chosen = system ?? detectInitSystem();
  if (!(INIT_SYSTEMS as readonly string[]).includes(chosen)) {
    throw new DroverError('DROVER_E_STARTUP', `unstartup: '${chosen}' is not supported; drover writes units for ${INIT_SYSTEMS.join(', ')} only (drover unstartup systemd)`);
  }
  const { name, file } = systemdUnit();
  const commands = [`systemctl disable --now ${name}`, `rm -f ${file}`, 'systemctl daemon-reload'];
  if (!flags.write) {
    if (!existsSync(file)) process.stderr.write(`drover: ${file} does not exist: drover startup --write has not written it here\n`);
    process.stdout.write(`${commands.join('\n')}\n`);
    return 0;
  }
  if (!existsSync(file)) {
    process.stdout.write(`${file} does not exist: nothing to remove\n`);
    return 0;
  }
  // Stopping the unit runs its ExecStop (drover stop all): every app drains first.
  const disable = spawnSync('systemctl', ['disable', '--now', name], { stdio: 'inherit' });
  if (disable.error) process.stderr.write(`drover: systemctl: ${errorCode(disable.error)}; removing the unit file anyway\n`);
  try {
    rmSync(file);
  } catch (error) {
    throw new DroverError('DROVER_E_STARTUP', `unstartup: cannot remove ${file} (${errorCode(error)}); run it as root: sudo drover unstartup --write`, { cause: error });
  }
  spawnSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
  process.stdout.write(`removed ${file}; ${name} is disabled and stopped\n`);
  return 0;
}
