// The stop signal as the app knows it. Under plain node, or PM2, or Docker, an app
// cleans up in `process.on('SIGTERM')` (Fastify's close, NestJS's
// enableShutdownHooks, Koa's server.close); drover asks its workers to drain over IPC,
// so without this the app's own cleanup would never run. The runtime listens for
// SIGINT and SIGTERM itself (a signal means "drain", never "drop what is in flight"),
// and gives the app its stop signal at the right moment of the drain.

/** The signals the runtime listens for: Ctrl-C in a terminal, and every stop command there is. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** Without kill_signal, the app hears the first of these it listens for (SIGINT is PM2's stop signal). */
const PREFERRED = ['SIGTERM', 'SIGINT'] as const;

export class AppSignals {
  readonly #ours = new Map<NodeJS.Signals, () => void>();
  #delivering: NodeJS.Signals | undefined;
  // The stop signals the app has heard with a handler of its own, real or delivered here.
  readonly #heardByApp = new Set<NodeJS.Signals>();
  /** A real SIGINT or SIGTERM has arrived: the app has heard it already if it listens. */
  received = false;

  /**
   * Listen for SIGINT and SIGTERM. `onSignal` hears each real one (not those delivered
   * here), with whether the app has a handler of its own for it. Ours is installed
   * before the app's script runs, so it is called first.
   */
  listen(onSignal: (signal: NodeJS.Signals, appHandles: boolean) => void): void {
    for (const signal of STOP_SIGNALS) {
      const listener = () => {
        if (this.#delivering === signal) return;
        const appHandles = this.appListens(signal);
        this.received = true;
        if (appHandles) this.#heardByApp.add(signal);
        onSignal(signal, appHandles);
      };
      this.#ours.set(signal, listener);
      process.on(signal, listener);
    }
  }

  /** The app has heard a stop signal with a handler of its own: it decides when it exits. */
  get handledByApp(): boolean {
    return this.#heardByApp.size > 0;
  }

  /** The app heard `signal` with a handler before; it has none now: it raised it again to end itself. */
  raisedAgain(signal: NodeJS.Signals, appHandles: boolean): boolean {
    return !appHandles && this.#heardByApp.has(signal);
  }

  /** Whether the app has a listener of its own for `signal`. */
  appListens(signal: NodeJS.Signals): boolean {
    const ours = this.#ours.get(signal);
    return process.listeners(signal).some((listener) => listener !== ours);
  }

  /**
   * Give the app its stop signal: `kill_signal` when set, else the first of SIGTERM
   * and SIGINT it listens for. Only to its listeners (emitted, not raised), so that an
   * app with none is not killed by the default action: the drain ends it. Returns the
   * signal delivered, if any. A throw in the app's handler is an uncaught exception,
   * as it would be for a real signal.
   */
  deliverStop(killSignal: string | undefined): NodeJS.Signals | undefined {
    const signal = killSignal !== undefined ? (killSignal as NodeJS.Signals) : PREFERRED.find((candidate) => this.appListens(candidate));
    if (signal === undefined || !this.appListens(signal)) return undefined;
    this.#heardByApp.add(signal);
    setImmediate(() => {
      this.#delivering = signal;
      try {
        process.emit(signal, signal);
      } finally {
        this.#delivering = undefined;
      }
    });
    return signal;
  }

  /**
   * Die by `signal`, as Node's default action would: the app took its own handler off
   * and raised the signal again (NestJS does, after its shutdown hooks).
   */
  dieBy(signal: NodeJS.Signals): void {
    const ours = this.#ours.get(signal);
    if (ours) process.removeListener(signal, ours);
    process.kill(process.pid, signal);
  }
}
