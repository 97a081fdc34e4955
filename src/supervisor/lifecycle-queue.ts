/**
 * Reload, restart, scale and health replacements of one app run one at a time, in the
 * order asked: each one's view of the slots holds for as long as it runs, so a scale
 * during a reload cannot leave a worker serving a slot that no longer exists.
 */
export class LifecycleQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Run `operation` after every one queued before it (whether those succeeded or not). */
  run<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(operation, operation);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
