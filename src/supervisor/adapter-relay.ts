import type { WorkerView } from './worker-handle.js';
import type { WorkerPool } from './worker-pool.js';

// Socket.IO's cluster adapter (@socket.io/cluster-adapter) in the app's workers sends
// its packets (broadcasts, room joins, fetchSockets and their answers) to the cluster
// primary, and expects the primary to pass them on: its `setupPrimary()` does that. The
// primary here is drover's supervisor, which runs no app code, so it does the same
// relay itself: an app with `io.adapter(createAdapter())` needs nothing else.

/** The `source` the adapter marks its messages with. */
const ADAPTER_SOURCE = '_sio_adapter';

interface AdapterMessage {
  source: typeof ADAPTER_SOURCE;
  /** The sending adapter (one per namespace and worker). */
  uid?: unknown;
  /** On an answer: the adapter that asked, which alone needs it. */
  requesterUid?: unknown;
}

function isAdapterMessage(message: unknown): message is AdapterMessage {
  return typeof message === 'object' && message !== null && (message as { source?: unknown }).source === ADAPTER_SOURCE;
}

/**
 * Relay the adapter's messages between the live workers of one app: an answer goes to
 * the worker whose adapter asked; anything else to every other worker. Returns the
 * unsubscribe.
 */
export function relayAdapterMessages(pool: WorkerPool): () => void {
  // Which adapters (uids) live in which worker, learnt from what each sends.
  const uids = new Map<WorkerView, Set<unknown>>();
  const onMessage = (from: WorkerView, message: unknown) => {
    if (!isAdapterMessage(message)) return;
    const own = uids.get(from) ?? new Set();
    own.add(message.uid);
    uids.set(from, own);
    const requester = message.requesterUid === undefined ? undefined : [...uids].find(([, set]) => set.has(message.requesterUid))?.[0];
    const targets = requester ? [requester] : pool.live().filter((worker) => worker !== from);
    for (const worker of targets) pool.sendToApp(worker, message);
  };
  const onExit = (worker: WorkerView) => uids.delete(worker);
  pool.on('app-message', onMessage);
  pool.on('exit', onExit);
  return () => {
    pool.off('app-message', onMessage);
    pool.off('exit', onExit);
  };
}
