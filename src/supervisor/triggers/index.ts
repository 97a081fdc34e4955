import type { AppOptions } from '../../config/index.js';
import { formatDuration } from '../../config/units.js';
import { Coalescer } from './coalesce.js';
import type { FileWatch } from './file-watch.js';

// Restarts the app's config asks for: on a file change (watch) and on a schedule
// (cron_restart). The supervisor imports this folder only for an app that sets one of
// them, and each part loads its library (chokidar, croner) only when used.

/** What the triggers need from the supervisor. */
export interface TriggerHost {
  /** A rolling reload in cluster mode, a restart in fork mode, recorded with this reason; resolves when done. */
  act(reason: string): Promise<unknown>;
  /** Something went wrong that does not stop the app (a watcher error). */
  warn(message: string): void;
  /** A trigger is armed: say what it watches or when it fires. */
  armed(detail: string): void;
}

/** The app's watch and cron_restart triggers; `close()` stops both. */
export class Triggers {
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closed = false;

  constructor(app: AppOptions, supervisor: TriggerHost) {
    // A reload that throws is reported, and the next change or tick tries again.
    const host: TriggerHost = { ...supervisor, act: (reason) => supervisor.act(reason).catch((error: Error) => supervisor.warn(`${reason}: ${error.message}`)) };
    const what = app.exec_mode === 'cluster' ? 'a rolling reload' : 'a restart';
    if (app.watch) void this.#startWatch(app, host, what);
    if (app.cron_restart) this.#startCron(app.cron_restart, host, what);
  }

  /** Stop watching and the cron timer; an action under way finishes on its own. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#closers.splice(0).map((close) => close()));
  }

  async #startWatch(app: AppOptions, host: TriggerHost, what: string): Promise<void> {
    const options = app.watch!;
    const changes = new Coalescer(options.delayMs, (files) => host.act(describeChanges(files)));
    this.#closers.push(() => changes.close());
    const { watchFiles } = await import('./file-watch.js');
    if (this.#closed) return;
    const watcher: FileWatch = watchFiles(app, options, (file) => changes.push(file), host.warn);
    this.#closers.push(() => watcher.close());
    await watcher.ready;
    if (this.#closed) return;
    host.armed(`watching ${options.paths.join(', ')} (ignoring ${options.ignore.join(', ')}, and the app's logs): ${what} ${formatDuration(options.delayMs)} after a change`);
  }

  #startCron(pattern: string, host: TriggerHost, what: string): void {
    const ticks = new Coalescer(0, () => host.act(`cron_restart ${pattern}`));
    // Loaded here, not at the top: an app with watch only never loads croner.
    void import('./cron-restart.js').then(({ scheduleCron }) => {
      if (this.#closed) return;
      const job = scheduleCron(pattern, () => ticks.push(pattern));
      this.#closers.push(() => job.stop(), () => ticks.close());
      host.armed(`cron_restart '${pattern}': ${what} at each match, next at ${job.next()?.toISOString() ?? 'never'}`);
    });
  }
}

/** "file changed: src/app.js", "3 files changed: src/a.js, src/b.js and 1 more". */
export function describeChanges(files: readonly string[]): string {
  const unique = [...new Set(files)];
  if (unique.length === 1) return `file changed: ${unique[0]}`;
  const shown = unique.slice(0, 2).join(', ');
  return `${unique.length} files changed: ${shown}${unique.length > 2 ? ` and ${unique.length - 2} more` : ''}`;
}
