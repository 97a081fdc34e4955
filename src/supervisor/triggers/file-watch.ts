import { existsSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { AppOptions, WatchOptions } from '../../config/index.js';
import { droverHome } from '../../home/paths.js';

// chokidar (what PM2 watches with) reports the changes; picomatch matches ignore_watch's
// globs (chokidar 4 dropped its own glob support). This module is loaded only for an
// app with `watch`, so that other supervisors never load either.

/** A running watcher of an app's files. */
export interface FileWatch {
  /** Resolves once the first scan is done: changes from then on are reported. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watch the app's `watch` paths and call `changed` with each changed path (relative to
 * the cwd) that no ignore rule covers. The app's own log and pid files and $DROVER_HOME
 * are ignored too: writing a log line must not reload the app.
 */
export function watchFiles(app: AppOptions, watchOptions: WatchOptions, changed: (file: string) => void, warn: (message: string) => void): FileWatch {
  const isIgnored = ignoreMatcher(app, watchOptions);
  for (const missing of watchOptions.paths.filter((item) => !existsSync(item))) {
    warn(`watch: ${missing} does not exist (yet); a change there will count once it does`);
  }
  const watcher: FSWatcher = watch([...watchOptions.paths], { ...watchOptions.chokidar, ignoreInitial: true, persistent: true, ignored: (file) => isIgnored(file) });
  watcher.on('all', (_event, file) => changed(displayed(app.cwd, file)));
  watcher.on('error', (error) => warn(`watch: ${(error as Error).message}`));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { ready, close: () => watcher.close() };
}

/**
 * Whether an absolute path is ignored: a pattern without a slash matches a name at any
 * depth (`node_modules`, `*.log`), as in .gitignore; one with a slash matches the path
 * relative to the cwd (`logs/**`, `src/generated`), or an absolute one. A folder that
 * matches covers everything in it.
 */
export function ignoreMatcher(app: Pick<AppOptions, 'cwd' | 'logs' | 'pid_file'>, watchOptions: Pick<WatchOptions, 'paths' | 'ignore'>): (file: string) => boolean {
  const patterns = watchOptions.ignore.map((pattern) => pattern.replace(/^\.\//, '').replace(/\/+$/, '')).filter(Boolean);
  const byName = picomatch(patterns.filter((p) => !p.includes('/')).concat('\0'), { dot: true });
  const byPath = picomatch(patterns.filter((p) => p.includes('/')).concat('\0'), { dot: true });
  const { out_file, error_file, log_file } = app.logs;
  const ownFiles = [droverHome(), out_file, error_file, log_file, app.pid_file].filter((file): file is string => file !== undefined);
  // The folders names are counted from: the cwd, or a watched path outside it.
  const roots = [app.cwd, ...watchOptions.paths].sort((a, b) => b.length - a.length);

  return (file: string) => {
    if (ownFiles.some((own) => isWithin(own, file) || isOwnFile(own, file))) return true;
    const root = roots.find((candidate) => isWithin(candidate, file));
    const relative = root === undefined ? '' : path.relative(root, file);
    const fromCwd = isWithin(app.cwd, file) ? path.relative(app.cwd, file) : undefined;
    const names = relative === '' ? [] : relative.split(path.sep);
    if (names.some((name) => byName(name))) return true;
    return ancestors(file).some((candidate) => byPath(candidate)) || (fromCwd !== undefined && fromCwd !== '' && ancestors(fromCwd).some((candidate) => byPath(candidate)));
  };
}

function isWithin(folder: string, file: string): boolean {
  return file === folder || file.startsWith(folder.endsWith(path.sep) ? folder : folder + path.sep);
}

// A log or pid file as drover writes it: one per worker (out-1.log), and rotated
// copies of a log (out.log.1, out.log.1.gz).
function isOwnFile(own: string, file: string): boolean {
  const { dir, name, ext } = path.parse(own);
  return path.dirname(file) === dir && new RegExp(`^${escape(name)}(-\\d+)?${escape(ext)}(\\.\\d+(\\.gz)?)?$`).test(path.basename(file));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// "a/b/c" -> ["a/b/c", "a/b", "a"] (and "/x/y" -> ["/x/y", "/x"]).
function ancestors(file: string): string[] {
  const list: string[] = [];
  for (let current = file; current !== '' && current !== path.dirname(current) && current !== '.'; current = path.dirname(current)) list.push(current);
  return list;
}

// How a changed file is named in messages: relative to the cwd when it is inside it.
function displayed(cwd: string, file: string): string {
  return isWithin(cwd, file) ? path.relative(cwd, file) || '.' : file;
}
