import { closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { MemoryBackend, StoredEntry } from './memory-backend.js';

// store_file: the embedded store saved to a file, so that it outlives a restart of the
// supervisor. Written whole every few seconds when something changed, and when the
// supervisor stops: a new file, synced, then renamed over the old one, so that a crash
// in the middle leaves the previous save. A supervisor killed with SIGKILL loses at most
// the writes of the last interval (as Redis's periodic snapshots do).
//
// Format: JSON lines, a header then one [key, value, expiresAt] per key.

/** How often a changed store is saved. */
export const SAVE_INTERVAL_MS = 5000;

const HEADER = { drover: 'store', v: 1 };

/** Read the keys saved in `file` into `backend`; what was left out and why, for a warning. */
export function loadStoreFile(file: string, backend: MemoryBackend): { loaded: number; skipped: number } | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  const header = JSON.parse(lines[0] ?? 'null') as typeof HEADER | null;
  if (header?.drover !== HEADER.drover || header.v !== HEADER.v) throw new Error(`${file} is not a drover store file (its first line is not ${JSON.stringify(HEADER)})`);
  const entries = lines.slice(1).map((line) => JSON.parse(line) as StoredEntry);
  const skipped = backend.load(entries);
  return { loaded: entries.length - skipped, skipped };
}

/** Save every live key of `backend` to `file`, whole (mode 0600: sessions are secrets). */
export function saveStoreFile(file: string, backend: MemoryBackend): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    let chunk = `${JSON.stringify(HEADER)}\n`;
    for (const entry of backend.entries()) {
      chunk += `${JSON.stringify(entry)}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

/**
 * Load `file` into `backend` now, then save it every SAVE_INTERVAL_MS while it changes,
 * and once more on stop(). A file that cannot be read is set aside (renamed
 * `.corrupt-<time>`) rather than overwritten; a save that fails is a warning, retried at
 * the next interval.
 */
export function keepStoreFile(file: string, backend: MemoryBackend, warn: (message: string) => void) {
  try {
    const loaded = loadStoreFile(file, backend);
    if (loaded && loaded.skipped > 0) warn(`store: ${loaded.skipped} key(s) of ${file} were not loaded (expired meanwhile, or past store_max_memory)`);
  } catch (error) {
    const aside = `${file}.corrupt-${Date.now()}`;
    renameSync(file, aside);
    warn(`store: ${file} could not be read (${(error as Error).message}); it was moved to ${aside} and the store starts empty`);
  }
  let saved = backend.changes;
  let savedAt: number | undefined;
  let failing = false;
  const save = () => {
    if (backend.changes === saved) return;
    const changes = backend.changes;
    try {
      saveStoreFile(file, backend);
      saved = changes;
      savedAt = Date.now();
      if (failing) warn(`store: ${file} is saved again`);
      failing = false;
    } catch (error) {
      if (!failing) warn(`store: ${file} could not be saved (${(error as Error).message}); retrying every ${SAVE_INTERVAL_MS / 1000} s`);
      failing = true;
    }
  };
  const timer = setInterval(save, SAVE_INTERVAL_MS).unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      save();
    },
    state: () => ({ file, ...(savedAt !== undefined ? { savedAt } : {}) }),
  };
}
