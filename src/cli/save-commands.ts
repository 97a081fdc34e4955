import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRunningApps } from '../control/client.js';
import { droverHome, dumpPath, startRecordPath } from '../home/paths.js';
import { privateHome, writePrivateFile } from '../home/private-files.js';
import { DroverError, errorCode } from '../errors/index.js';
import type { AppRecord } from '../home/registry.js';
import { startAgain } from './stopped-apps.js';
import { detectInitSystem, systemdUnit } from './init-system.js';

const CLI = fileURLToPath(new URL('./main.js', import.meta.url));

/** How one running app was started (its registry record): enough to start it again. */
type SavedApp = AppRecord;

/**
 * `drover save`: write how every running app was started. Each supervisor keeps that
 * in its start record ($DROVER_HOME/apps/<app>.json, 0600), environment and all; the
 * control API only ever shows it masked.
 */
export async function saveCommand(): Promise<number> {
  const apps = await findRunningApps();
  privateHome();
  const saved = apps.flatMap((app) => {
    try {
      return [JSON.parse(readFileSync(startRecordPath(app.name), 'utf8')) as SavedApp];
    } catch (error) {
      process.stderr.write(`drover: ${app.name}: not saved: its start record ${startRecordPath(app.name)} cannot be read (${errorCode(error)})\n`);
      return [];
    }
  });
  writePrivateFile(dumpPath(), `${JSON.stringify({ version: 1, apps: saved }, null, 2)}\n`);
  process.stdout.write(`saved ${saved.length} app(s) to ${dumpPath()}: ${saved.map((app) => app.name).join(', ') || 'none'}\n`);
  return 0;
}

/** Remove apps from the saved list (drover delete); says which were there. */
export function forgetSaved(names: string[]): string[] {
  if (!existsSync(dumpPath())) return [];
  const dump = JSON.parse(readFileSync(dumpPath(), 'utf8')) as { version: number; apps: SavedApp[] };
  const forgotten = dump.apps.filter((app) => names.includes(app.name)).map((app) => app.name);
  if (forgotten.length === 0) return [];
  writePrivateFile(dumpPath(), `${JSON.stringify({ ...dump, apps: dump.apps.filter((app) => !names.includes(app.name)) }, null, 2)}\n`);
  return forgotten;
}

/**
 * `drover resurrect`: start again every saved app that is not running, each as it was
 * started (`drover start` with the same arguments, folder and environment).
 */
export async function resurrectCommand(): Promise<number> {
  if (!existsSync(dumpPath())) throw new DroverError('DROVER_E_CONFIG_NOT_FOUND', `nothing saved: ${dumpPath()} does not exist; run drover save first`);
  const { apps } = JSON.parse(readFileSync(dumpPath(), 'utf8')) as { apps: SavedApp[] };
  const running = new Set((await findRunningApps()).map((app) => app.name));
  let failed = 0;
  for (const app of apps) {
    if (running.has(app.name)) {
      process.stdout.write(`${app.name}: already running\n`);
      continue;
    }
    if (startAgain(app) !== 0) failed += 1;
  }
  return failed > 0 ? 3 : 0;
}

/** `drover startup systemd`: a unit that resurrects the saved apps at boot; printed, or written with --write. */
export function startupCommand(system: string | undefined, flags: { write?: boolean }): number {
  // With no system named, the machine's own (systemd), or an error saying what was found.
  system ??= detectInitSystem();
  if (system !== 'systemd') throw new DroverError('DROVER_E_INVALID_OPTION', `startup: '${system}' is not supported; drover writes systemd units (drover startup systemd)`);
  const user = userInfo().username;
  const unit = [
    '[Unit]',
    `Description=drover: the Node.js apps ${user} saved with drover save`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    // resurrect starts detached supervisors and returns; they stay in this unit's cgroup.
    'Type=oneshot',
    'RemainAfterExit=yes',
    `User=${user}`,
    `Environment=DROVER_HOME=${droverHome()}`,
    `Environment=PATH=${path.dirname(process.execPath)}:/usr/bin:/bin`,
    `ExecStart=${process.execPath} ${CLI} resurrect`,
    // A graceful stop first: every app drains, then systemd cleans up what is left.
    `ExecStop=${process.execPath} ${CLI} stop all`,
    'TimeoutStopSec=90',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  if (!flags.write) {
    process.stdout.write(unit);
    return 0;
  }
  const { file } = systemdUnit(user);
  try {
    writeFileSync(file, unit);
  } catch (error) {
    throw new DroverError('DROVER_E_STARTUP', `startup: cannot write ${file} (${errorCode(error)}); run it as root: sudo drover startup systemd --write`, { cause: error });
  }
  process.stdout.write(`wrote ${file}; enable it with: systemctl daemon-reload && systemctl enable --now drover-${user}\n`);
  const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (verify.error === undefined && verify.status !== 0) process.stderr.write(verify.stderr);
  return 0;
}
