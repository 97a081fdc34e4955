import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { callSupervisor, findRunningApps } from '../control/client.js';
import { droverHome, socketPath } from '../control/paths.js';
import { DroverError } from '../errors/index.js';
import type { AppSnapshot } from '../supervisor/index.js';
import type { AppFlags } from './app-request.js';
import { lsCommand } from './control-commands.js';
import { planApps } from './run-command.js';
import type { SupervisionPlan } from './supervise.js';

// A background supervisor runs this lean entry, not the CLI: see supervise.ts.
const SUPERVISOR_ENTRY = fileURLToPath(new URL('./supervise-main.js', import.meta.url));

/** Where a background supervisor's own output (its lines and the app's console output) goes. */
export function supervisorLogPath(name: string): string {
  return path.join(droverHome(), 'logs', `${name}.log`);
}

/**
 * `drover start`: one detached supervisor per app (the same supervisor as `drover
 * run`), then wait until its workers are up (or it failed), print the status table,
 * and return.
 */
export async function startCommand(target: string | undefined, appArgs: string[], flags: AppFlags, runArgs: string[]): Promise<number> {
  // Validate everything here, so that a bad option fails in the terminal, not in a log.
  const plan = await planApps(target, appArgs, flags);
  const running = new Set((await findRunningApps()).map((app) => app.name));
  const already = plan.apps.filter(({ app }) => running.has(app.name)).map(({ app }) => `'${app.name}'`);
  if (already.length > 0) {
    throw new DroverError('DROVER_E_APP_RUNNING', `${already.join(', ')} ${already.length > 1 ? 'are' : 'is'} already running; drover reload or stop ${already.length > 1 ? 'them' : 'it'} instead`);
  }

  let failed = 0;
  for (const appPlan of plan.apps) {
    const { app } = appPlan;
    const log = supervisorLogPath(app.name);
    mkdirSync(path.dirname(log), { recursive: true });
    const fd = openSync(log, 'a');
    // One supervisor per app; `drover save` records how to start it again.
    const only = plan.apps.length > 1 || runArgs.includes('--only') ? ['--only', app.name] : [];
    const own: SupervisionPlan = { apps: [appPlan], stats: false, command: { ...plan.command, argv: ['run', ...runArgs, ...only] } };
    const child = spawn(process.execPath, [SUPERVISOR_ENTRY], { detached: true, stdio: ['pipe', fd, fd], env: process.env });
    child.stdin!.end(JSON.stringify(own));
    child.unref();
    const outcome = await waitUntilUp(app.name, child.pid!, app.listen_timeout + 10_000);
    if (outcome !== 'up') {
      failed += 1;
      const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-12).join('\n');
      process.stderr.write(`drover: ${app.name} did not start (${outcome}); the end of ${log}:\n${tail}\n`);
    }
  }
  await lsCommand({});
  return failed > 0 ? 3 : 0;
}

// Poll the new supervisor's control socket until every worker is up.
async function waitUntilUp(name: string, pid: number, timeoutMs: number): Promise<'up' | string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return 'its supervisor exited';
    const status = await callSupervisor<AppSnapshot & { supervisorPid: number }>(socketPath(name), 'GET', '/v1/status', 1000).catch(() => undefined);
    if (status && status.supervisorPid === pid && status.workers.length > 0 && status.workers.every((w) => w.state === 'ready')) return 'up';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `its workers were not up within ${Math.round(timeoutMs / 1000)} s`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
