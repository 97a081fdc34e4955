import type { ServerResponse } from 'node:http';
import { REQUEST_BUCKETS, type DurationCounts } from '../ipc/messages.js';

// The request duration histogram, for apps that import nothing: the tracker stamps
// each request as it arrives and counts it in its bucket when its response finishes.
// Per request that is one performance.now() and a property at the start, one listener
// (the same function for every response: nothing allocated), and a scan of 11 bounds
// at the end. A response whose connection dies before it finishes is not counted.

const STARTED = Symbol('drover.requestStarted');
type Timed = ServerResponse & { [STARTED]: number };

/** Counts of request durations by bucket since the worker started; see DurationCounts. */
export class RequestDurations {
  readonly #counts: number[] = new Array<number>(REQUEST_BUCKETS.length + 1).fill(0);
  #sum = 0;
  // One listener for every response: `this` is the response.
  readonly #listener = finishListener(this);

  /** Time this response, from now until it finishes. */
  time(res: ServerResponse): void {
    (res as Timed)[STARTED] = performance.now();
    res.on('finish', this.#listener);
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
}

function finishListener(durations: RequestDurations): (this: Timed) => void {
  return function onFinish(this: Timed) {
    durations.observe((performance.now() - this[STARTED]) / 1000);
  };
}
