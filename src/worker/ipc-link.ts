import { Bus } from '../bus/bus.js';
import { ChannelError, type Channel } from '../ipc/channel.js';
import type { StoreAnswer, SupervisorMessage, WireValue, WorkerMessage } from '../ipc/messages.js';
import { DroverError } from '../errors/index.js';
import { fromCodedError } from '../ipc/values.js';
import { Store } from '../store/store.js';
import type { WorkerLink } from './link.js';

// The worker API's bus and store over the runtime's channel to the supervisor: each
// store call and bus request is a request on the channel, answered by a `result`.

/** How long a store call waits for the supervisor (Redis answers within 2 s, or fails). */
const STORE_TIMEOUT_MS = 10_000;

type WorkerChannel = Channel<WorkerMessage, SupervisorMessage>;

/** The link, and what the runtime's channel hands it: messages, requests and published data for this worker. */
export function createIpcLink(channel: WorkerChannel): WorkerLink & { receive(message: SupervisorMessage): void } {
  const store = new Store({
    call: async (call) => {
      const reply = await channel.request({ type: 'store', call }, STORE_TIMEOUT_MS).catch((error: unknown) => {
        throw unreachable(error, `store.${call.op}()`, STORE_TIMEOUT_MS);
      });
      return resultOf(reply) as StoreAnswer;
    },
  });
  const bus = new Bus({
    post: (to, topic, data) => void channel.send({ type: 'bus', to, topic, data }),
    request: async (topic, data, timeoutMs) => {
      const reply = await channel.request({ type: 'bus-request', topic, data, timeoutMs }, timeoutMs).catch((error: unknown) => {
        if (error instanceof ChannelError && error.reason === 'timeout') {
          throw new DroverError('DROVER_E_REQUEST_TIMEOUT', `request('${topic}'): no answer within ${timeoutMs} ms; raise the timeout ({ timeout }) or make the handler answer`);
        }
        throw unreachable(error, `request('${topic}')`, timeoutMs);
      });
      return resultOf(reply) as WireValue;
    },
    listen: (topic, on) => void channel.send({ type: 'bus-listen', topic, on }),
    answer: (id, answer) => void channel.send(answer.ok ? { type: 'bus-answer', id, ok: true, data: answer.data } : { type: 'bus-answer', id, ok: false, error: answer.error }),
  });
  return {
    bus,
    store,
    receive(message) {
      if (message.type === 'bus') bus.deliver(message.topic, message.data, message.from);
      else if (message.type === 'bus-ask') void bus.ask(message.id, message.topic, message.data, message.from);
      else if (message.type === 'store-message') store.deliver(message.channel, message.data);
    },
  };
}

function resultOf(reply: SupervisorMessage): StoreAnswer {
  if (reply.type !== 'result') throw new DroverError('DROVER_E_STORE_UNAVAILABLE', `the supervisor answered '${reply.type}' instead of a result`);
  if (!reply.ok) throw fromCodedError(reply.error);
  return reply.value;
}

// The supervisor is gone (the channel closed) or did not answer in time.
function unreachable(error: unknown, what: string, timeoutMs: number): DroverError {
  const why = error instanceof ChannelError && error.reason === 'timeout' ? `the supervisor did not answer within ${timeoutMs} ms` : 'the supervisor is gone (this worker is shutting down)';
  return new DroverError('DROVER_E_STORE_UNAVAILABLE', `${what}: ${why}`, { cause: error });
}
