/**
 * One thing at a time, in arrival order. Commits and engine runs take turns through it, so that the
 * detections never read a half-arrived batch and PGlite's single connection is never asked for two
 * transactions at once.
 */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  get queued(): number {
    return this.waiting;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.tail.then(() => {
      this.waiting--;
      return fn();
    });
    // A failure belongs to its caller; the lane goes on.
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Resolves when everything queued so far has run. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
