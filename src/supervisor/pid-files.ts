import { rmSync, writeFileSync } from 'node:fs';
import type { AppOptions } from '../config/index.js';
import { withSlotSuffix } from '../config/slot-path.js';
import { errorCode } from '../errors/index.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * PM2's pid_file: each worker's pid in a file (`-N` before the extension for several
 * workers), written when it starts and removed when it exits. A file that cannot be
 * written (its folder removed) is reported once, and again when it works; the worker
 * runs without it.
 */
export function keepPidFiles(app: AppOptions, pool: WorkerPool, warn: (message: string) => void): void {
  const file = app.pid_file;
  if (!file) return;
  const failing = new Set<string>();
  const pathOf = (slot: number) => (pool.count === 1 ? file : withSlotSuffix(file, slot));
  pool.on('spawn', (worker) => {
    if (worker.pid < 0) return;
    const target = pathOf(worker.slot);
    try {
      writeFileSync(target, `${worker.pid}\n`);
      if (failing.delete(target)) warn(`writing the pid file ${target} again`);
    } catch (error) {
      if (failing.has(target)) return;
      failing.add(target);
      warn(`cannot write the pid file ${target} (${errorCode(error)}); the worker runs without it`);
    }
  });
  pool.on('exit', (worker) => {
    try {
      rmSync(pathOf(worker.slot), { force: true });
    } catch {
      // Reported when it could not be written; nothing to add here.
    }
  });
}
