import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { ServerResponse } from 'node:http';
import { REQUEST_BUCKETS, type DurationCounts } from '../ipc/messages.js';

// The request duration histogram, for apps that import nothing: the tracker stamps
// each request as it arrives, and the response is counted in its bucket when Node's
// HTTP server publishes that it finished, on its own diagnostics channel. Per request
// that is one performance.now() and a property at the start, and at the end one call
// and a scan of 11 bounds. A listener on each response's 'finish' cost more: the
// server has one there already, so adding ours made an array, and every emit copied
// it (bench/metrics.js prices both). A response whose connection dies before it
// finishes is not counted, and neither is one the tracker did not stamp. Node
// publishes there for its HTTP/1 server only: a response of http2's compatibility API
// gets the listener.

/** Node publishes { request, response, socket, server } here as each response finishes. */
export const RESPONSE_FINISH_CHANNEL = 'http.server.response.finish';

const STARTED = Symbol('drover.requestStarted');
type Timed = ServerResponse & { [STARTED]?: number };

/** Counts of request durations by bucket since the worker started; see DurationCounts. */
export class RequestDurations {
  readonly #counts: number[] = new Array<number>(REQUEST_BUCKETS.length + 1).fill(0);
  #sum = 0;
  // For a response Node does not publish (http2's): `this` is the response.
  readonly #listener = finishListener(this);
  readonly #onFinish = (message: unknown): void => {
    const response = (message as { response: Timed }).response;
    const started = response[STARTED];
    if (started !== undefined) this.observe((performance.now() - started) / 1000);
  };

  constructor() {
    subscribe(RESPONSE_FINISH_CHANNEL, this.#onFinish);
  }

  /** Time this response, from now until it finishes. */
  time(res: ServerResponse): void {
    (res as Timed)[STARTED] = performance.now();
    if (!(res instanceof ServerResponse)) (res as NodeJS.EventEmitter).on('finish', this.#listener);
  }

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < REQUEST_BUCKETS.length && seconds > REQUEST_BUCKETS[bucket]!) bucket += 1;
    this.#counts[bucket]! += 1;
    this.#sum += seconds;
  }

  /** A copy of the counts, to send. */
  snapshot(): DurationCounts {
    return { counts: [...this.#counts], sum: this.#sum };
  }

  /** Stop counting. */
  close(): void {
    unsubscribe(RESPONSE_FINISH_CHANNEL, this.#onFinish);
  }
}

function finishListener(durations: RequestDurations): (this: Timed) => void {
  return function onFinish(this: Timed) {
    durations.observe((performance.now() - this[STARTED]!) / 1000);
  };
}
