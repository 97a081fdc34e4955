import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { emitKeypressEvents } from 'node:readline';
import { formatDuration } from '../config/units.js';
import { callSupervisor } from '../control/client.js';
import { socketsDir } from '../home/paths.js';
import { AppPoller } from './poller.js';
import { renderFrame } from './render.js';
import { Screen } from './screen.js';

/** How long one poll may wait for a supervisor before monit says it does not answer. */
const POLL_TIMEOUT_MS = 2000;
/** How long a reload or scale asked from monit may take (it answers once new workers are up). */
const ACTION_TIMEOUT_MS = 120_000;
/** How often the sockets folder is read for apps started or stopped. */
const DISCOVERY_MS = 1000;

export interface MonitOptions {
  /** Only this app; undefined: every app. */
  app: string | undefined;
  intervalMs: number;
  output: NodeJS.WriteStream;
  input: NodeJS.ReadStream;
}

/**
 * `drover monit`: every app's workers and latest events, redrawn in place. Its memory
 * is bounded (one poller per app, the latest status and 20 events each, one frame),
 * and each timer is re-armed only once its work is done, so a slow supervisor slows
 * its own rows and nothing else. Resolves with the exit code when it quits.
 */
export class Monit {
  readonly #options: MonitOptions;
  readonly #screen: Screen;
  readonly #pollers = new Map<string, AppPoller>();
  #selected = 0;
  #message: string | undefined;
  #discovery: NodeJS.Timeout | undefined;
  #renderQueued = false;
  #done: ((code: number) => void) | undefined;

  constructor(options: MonitOptions) {
    this.#options = options;
    this.#screen = new Screen(options.output, options.input);
  }

  run(): Promise<number> {
    const finished = new Promise<number>((resolve) => (this.#done = resolve));
    const { input, output } = this.#options;
    // Whatever ends monit gives the terminal back first.
    process.on('exit', this.#restore);
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
    process.on('SIGHUP', this.#onSignal);
    process.on('uncaughtException', this.#onCrash);
    output.on('resize', this.#onResize);
    emitKeypressEvents(input);
    input.on('keypress', this.#onKey);
    this.#screen.enter();
    input.resume();
    this.#discover();
    this.#render();
    return finished;
  }

  #apps(): AppPoller[] {
    return [...this.#pollers.values()];
  }

  // Apps come and go: a socket in $DROVER_HOME/sockets is an app to poll.
  #discover(): void {
    const dir = socketsDir();
    const names = existsSync(dir)
      ? readdirSync(dir)
          .filter((file) => file.endsWith('.sock'))
          .map((file) => file.slice(0, -'.sock'.length))
          .filter((name) => this.#options.app === undefined || name === this.#options.app)
          .sort()
      : [];
    for (const [name, poller] of this.#pollers) {
      if (names.includes(name)) continue;
      poller.stop();
      this.#pollers.delete(name);
    }
    for (const name of names.filter((candidate) => !this.#pollers.has(candidate))) {
      const poller = new AppPoller(name, path.join(dir, `${name}.sock`), { intervalMs: this.#options.intervalMs, timeoutMs: POLL_TIMEOUT_MS, onUpdate: () => this.#queueRender() });
      this.#pollers.set(name, poller);
      poller.start();
    }
    // Sorted by name: a new app keeps the selection on the one it was on.
    const sorted = [...this.#pollers.entries()].sort(([a], [b]) => a.localeCompare(b));
    this.#pollers.clear();
    for (const [name, poller] of sorted) this.#pollers.set(name, poller);
    this.#selected = Math.min(this.#selected, Math.max(0, this.#pollers.size - 1));
    this.#queueRender();
    this.#discovery = setTimeout(() => this.#discover(), Math.max(DISCOVERY_MS, this.#options.intervalMs));
  }

  // Several pollers answering at once make one frame.
  #queueRender(): void {
    if (this.#renderQueued) return;
    this.#renderQueued = true;
    setImmediate(() => {
      this.#renderQueued = false;
      this.#render();
    });
  }

  #render(): void {
    const output = this.#options.output;
    this.#screen.draw(
      renderFrame({
        apps: this.#apps().map((poller) => poller.view),
        selected: this.#selected,
        message: this.#message,
        intervalMs: this.#options.intervalMs,
        now: Date.now(),
        columns: this.#screen.columns,
        rows: this.#screen.rows,
        colours: output.isTTY === true && !process.env.NO_COLOR,
      }),
    );
  }

  readonly #onKey = (text: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    const name = key?.name;
    if (text === 'q' || name === 'escape' || (key?.ctrl && (name === 'c' || name === 'd'))) return this.#quit(0);
    const apps = this.#apps();
    if (name === 'up' || name === 'k') this.#selected = Math.max(0, this.#selected - 1);
    else if (name === 'down' || name === 'j' || name === 'tab') this.#selected = apps.length === 0 ? 0 : (this.#selected + 1) % apps.length;
    else if (text === 'r') this.#act('reload');
    else if (text === '+' || text === '=') this.#act('scale +1');
    else if (text === '-' || text === '_') this.#act('scale -1');
    else return;
    this.#render();
  };

  // One action at a time per app: a key pressed meanwhile says so instead of queueing.
  #act(action: 'reload' | 'scale +1' | 'scale -1'): void {
    const poller = this.#apps()[this.#selected];
    if (!poller) return void (this.#message = 'no app to act on');
    const { view } = poller;
    if (view.busy) return void (this.#message = `${view.name}: ${view.busy} under way; wait for it`);
    view.busy = action === 'reload' ? 'reloading' : 'scaling';
    this.#message = `${view.name}: ${view.busy}...`;
    const request =
      action === 'reload'
        ? callSupervisor(poller.socket, 'POST /v1/reload', { timeoutMs: ACTION_TIMEOUT_MS }).then((result) =>
            result.ok ? `reloaded in ${formatDuration(result.durationMs)}, ${result.replaced.length} worker(s) replaced` : `reload stopped: ${result.failure?.why ?? 'unknown'}`,
          )
        : callSupervisor(poller.socket, 'POST /v1/scale', { query: { by: action === 'scale +1' ? 1 : -1 }, timeoutMs: ACTION_TIMEOUT_MS }).then(
            (result) => `scaled from ${result.from} to ${result.to} worker(s)`,
          );
    void request
      .catch((error: Error) => error.message)
      .then((outcome) => {
        view.busy = undefined;
        this.#message = `${view.name}: ${outcome}`;
        poller.pollSoon();
        this.#queueRender();
      });
  }

  readonly #onResize = () => {
    this.#screen.invalidate();
    this.#render();
  };

  readonly #onSignal = (signal: NodeJS.Signals) => this.#quit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal]!);

  readonly #onCrash = (error: Error) => {
    this.#restore();
    process.stderr.write(`drover: internal error, please report it:\n${error.stack ?? String(error)}\n`);
    process.exit(70);
  };

  readonly #restore = () => this.#screen.restore();

  #quit(code: number): void {
    clearTimeout(this.#discovery);
    for (const poller of this.#pollers.values()) poller.stop();
    const { input, output } = this.#options;
    input.off('keypress', this.#onKey);
    input.pause();
    output.off('resize', this.#onResize);
    this.#restore();
    process.off('exit', this.#restore);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    process.off('SIGHUP', this.#onSignal);
    process.off('uncaughtException', this.#onCrash);
    this.#done?.(code);
  }
}
