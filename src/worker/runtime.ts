import type net from 'node:net';
import { Channel } from '../ipc/channel.js';
import { RUNTIME_MARKER, STATS_INTERVAL_VARIABLE, serializeError, type ListenAddress, type SupervisorMessage, type WorkerMessage } from '../ipc/messages.js';
import { runShutdownHooks } from './api.cjs';
import { drainServers } from './drain.js';
import { ServerTracker } from './server-tracker.js';
import { startStatsReporter } from './stats-reporter.js';

// The worker runtime: preloaded with `--import` into every worker before the app's own
// script, which then runs unchanged as the main module (CJS, ESM or TypeScript through
// a loader). It finds the app's servers, drains them on request, and reports a fatal
// exception before Node prints it. The app imports nothing from drover for any of this.

// Started by a drover supervisor (cluster or fork mode): there is an IPC channel and
// the marker. Processes the app forks itself inherit neither the marker nor this
// preload, so the runtime never talks over the app's own channels.
if (typeof process.send === 'function' && process.env[RUNTIME_MARKER] === '1') {
  delete process.env[RUNTIME_MARKER];
  const at = process.execArgv.findIndex((arg, i) => arg === '--import' && process.execArgv[i + 1] === import.meta.url);
  if (at !== -1) process.execArgv.splice(at, 2);
  startRuntime();
}

function startRuntime(): void {
  const tracker = new ServerTracker();
  // node:cluster keeps a worker alive through its IPC channel for ever, so an app that
  // has finished would idle instead of exiting. The channel keeps the worker alive only
  // while a server listens (in round-robin mode connections arrive over it), which
  // makes a worker's life the same as the script's under plain `node`.
  tracker.onListeningChange = (listening) => (listening > 0 ? process.channel?.ref() : process.channel?.unref());
  tracker.onListening = (server) => {
    const address = describeAddress(server);
    if (address) channel.send({ type: 'listening', address });
  };
  tracker.install();

  let shutdown: Promise<void> | undefined;
  let allowExit: (() => void) | undefined;
  // The app's onShutdown hooks run as the drain begins (to close WebSockets, say); the
  // worker exits once both are done.
  const beginShutdown = (ack?: number): Promise<void> =>
    (shutdown ??= Promise.all([
      drainServers(tracker, (report) => channel.send({ type: 'draining', report })),
      runShutdownHooks(),
    ]).then(async ([report]) => {
      // Exiting the moment the drain ends could strand a connection that node:cluster
      // handed to this worker just before it heard the server close: the worker would
      // die before refusing it, and the client would hang. The supervisor's answer
      // comes after any such hand-off on the same channel, so wait for it (bounded,
      // in case the supervisor is gone).
      const answered = new Promise<void>((resolve) => (allowExit = resolve));
      if (channel.send({ type: 'drained', report }, ack)) await Promise.race([answered, delay(2000)]);
      process.exit(0);
    }));

  const channel = new Channel<WorkerMessage, SupervisorMessage>((message) => process.send!(message), {
    exit: () => allowExit?.(),
    shutdown: (message) => {
      // PM2's shutdown_with_message: the app hears 'shutdown' as if PM2 had sent it.
      if (message.notifyApp && !shutdown) process.emit('message', 'shutdown', undefined);
      void beginShutdown(message.seq);
    },
  });
  process.on('message', (message) => channel.receive(message));
  process.channel?.unref();

  process.on('uncaughtExceptionMonitor', (error) => {
    // With an uncaughtException handler of its own the app survives: not fatal.
    if (process.listenerCount('uncaughtException') === 0) channel.send({ type: 'fatal', error: serializeError(error) });
  });

  const interval = Number(process.env[STATS_INTERVAL_VARIABLE]);
  delete process.env[STATS_INTERVAL_VARIABLE];
  if (interval > 0) startStatsReporter(tracker, interval, (stats) => channel.send({ type: 'stats', stats }));

  // Ctrl-C reaches every process in the terminal's group, and `kill` may target one
  // worker: either way a signal means "drain", never "drop what is in flight".
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void beginShutdown());
}

function describeAddress(server: net.Server): ListenAddress | undefined {
  const address = server.address();
  if (address === null) return undefined;
  if (typeof address === 'string') return { path: address };
  return { address: address.address, family: address.family, port: address.port };
}

// A ref'd timer: it also keeps the worker alive (its IPC channel is unref'd once no server listens).
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
