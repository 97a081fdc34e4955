import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Channel } from '../ipc/channel.js';
import { checkSupervisorMessage } from '../ipc/guards.js';
import {
  isDroverMessage,
  RUNTIME_VARIABLE,
  serializeError,
  type ListenAddress,
  type MetricsReport,
  type RuntimeSettings,
  type SupervisorMessage,
  type WorkerMessage,
} from '../ipc/messages.js';
import { installLink, runHealthCheck } from './api.cjs';
import { AppSignals } from './app-signals.js';
import { installBalancedListen, tagEngineIoSessions } from './balanced-listen.js';
import { ServerTracker } from './server-tracker.js';
import { shutDown, type ShutdownOrigin } from './shutdown.js';
import { startStatsReporter } from './stats-reporter.js';
import { createIpcLink } from './ipc-link.js';
import { readAppMetrics } from './app-metrics.js';
import { RequestDurations } from './request-durations.js';

// The worker runtime: preloaded with `--import` into every worker before the app's own
// script, which then runs unchanged as the main module (CJS, ESM or TypeScript through
// a loader). It finds the app's servers, drains them on request, gives the app its
// stop signal, and reports a fatal exception before Node prints it. The app imports
// nothing from drover for any of this, and never sees drover's messages.

// Started by a drover supervisor (cluster or fork mode): there is an IPC channel and
// the settings. Processes the app forks itself inherit neither the variable nor this
// preload, so the runtime never talks over the app's own channels.
const settingsJson = process.env[RUNTIME_VARIABLE];
if (typeof process.send === 'function' && settingsJson !== undefined) {
  delete process.env[RUNTIME_VARIABLE];
  forgetPreload();
  startRuntime(JSON.parse(settingsJson) as RuntimeSettings);
}

// Take this preload out of process.execArgv, where node:cluster and child_process.fork
// would pass it on to the app's own children: `--import <url>` (dist/worker/runtime.js)
// or `--require <path>` (the bundle, dist/worker/runtime.cjs: see preload.ts).
function forgetPreload(): void {
  const self = [import.meta.url, fileURLToPath(import.meta.url)];
  const at = process.execArgv.findIndex((arg, i) => (arg === '--import' || arg === '--require') && self.includes(process.execArgv[i + 1] ?? ''));
  if (at !== -1) process.execArgv.splice(at, 2);
}

function startRuntime(settings: RuntimeSettings): void {
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
  if (settings.requestMetrics !== false) tracker.durations = new RequestDurations();
  tracker.install();

  const signals = new AppSignals();
  let shutdown: Promise<void> | undefined;
  // The worker's counters and the app's metrics: asked for by a scrape, and sent once
  // more when a drain ends, so that the supervisor keeps the last counts of a worker that leaves.
  const metricsReport = async (): Promise<MetricsReport> => ({
    requestsServed: tracker.requestsServed,
    ...(tracker.durations ? { requestDurations: tracker.durations.snapshot() } : {}),
    ...(await readAppMetrics()),
  });
  const lastCounts = async () => void channel.send({ type: 'metrics', report: await metricsReport() });
  const begin = (origin: ShutdownOrigin) => (shutdown ??= shutDown(origin, { tracker, channel, signals, settings, lastCounts }));

  const port = {
    send: (message: unknown) => process.send!(message),
    get connected() {
      return process.connected;
    },
  };
  const channel = new Channel<WorkerMessage, SupervisorMessage>(
    port,
    checkSupervisorMessage,
    {
      ack: () => undefined,
      shutdown: (message) => void begin({ by: 'supervisor', reason: message.reason, notifyApp: message.notifyApp }),
      check: (message) => void runHealthCheck(message.timeoutMs).then((health) => channel.send({ type: 'health', health }, message.seq)),
      // A result that comes after its request timed out: nobody waits for it.
      result: () => undefined,
      bus: (message) => link.receive(message),
      'bus-ask': (message) => link.receive(message),
      'store-message': (message) => link.receive(message),
      metrics: (message) => void metricsReport().then((report) => channel.send({ type: 'metrics', report }, message.seq)),
    },
    (why) => process.stderr.write(`drover: ignored a malformed message from the supervisor (${why})\n`),
  );
  // The worker API's bus and store (drover/worker) talk to the supervisor over this channel.
  const link = createIpcLink(channel);
  installLink(link);
  // drover's messages are Node internal messages: the app's process.on('message') never sees them.
  // (A balanced connection, `conn`, comes with a handle: balanced-listen.ts takes it.)
  process.on('internalMessage', (message: unknown) => {
    if (isDroverMessage(message) && message.type !== 'conn') channel.receive(message);
  });
  if (settings.sidSlot !== undefined) tagEngineIoSessions(settings.sidSlot);
  if (settings.balanced) {
    installBalancedListen({
      took: (id, accepted, closed) => channel.send({ type: 'took', id, accepted, ...(closed > 0 ? { closed } : {}) }),
      closed: (count) => channel.send({ type: 'closed', count }),
    });
  }
  channel.send({ type: 'online' });

  // The supervisor is gone (killed with SIGKILL, say): drain briefly and exit, in both
  // modes, so that nothing is left holding the port. node:cluster's own handler would
  // exit at once, dropping what is in flight; ours replaces it (the app has not run
  // yet, so it is the only one).
  process.removeAllListeners('disconnect');
  process.on('disconnect', () => {
    channel.close();
    setTimeout(() => process.exit(0), settings.killTimeout).unref();
    void begin({ by: 'orphaned' });
  });
  // The listeners above would keep the worker alive through its channel; they must not.
  process.channel?.unref();

  process.on('uncaughtExceptionMonitor', (error) => {
    // With an uncaughtException handler of its own the app survives: not fatal.
    if (process.listenerCount('uncaughtException') === 0) channel.send({ type: 'fatal', error: serializeError(error) });
  });

  if (settings.statsInterval > 0) startStatsReporter(tracker, settings.statsInterval, (stats) => channel.send({ type: 'stats', stats }));

  // Ctrl-C reaches every process in the terminal's group, and `kill` may target one
  // worker: either way a signal means "drain", never "drop what is in flight". A
  // signal that comes again once the app has taken its own handler off (NestJS raises
  // it again after its shutdown hooks) ends the worker, as Node's default action would.
  signals.listen((signal, appHandles) => {
    if (!shutdown) void begin({ by: 'signal', signal });
    else if (signals.raisedAgain(signal, appHandles)) signals.dieBy(signal);
  });
}

function describeAddress(server: net.Server): ListenAddress | undefined {
  const address = server.address();
  if (address === null) return undefined;
  if (typeof address === 'string') return { path: address };
  // A tls.Server (https's too) has setSecureContext: no need to load node:tls to ask.
  const tls = typeof (server as net.Server & { setSecureContext?: unknown }).setSecureContext === 'function';
  return { address: address.address, family: address.family, port: address.port, ...(tls ? { tls } : {}) };
}
