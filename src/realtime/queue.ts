/**
 * The bounded queue between HTTP ingest and the store. Room is reserved before a request body is read,
 * so that a full queue refuses at once (429 with Retry-After) instead of buffering bodies it cannot
 * take: memory stays bounded by `maxBytes` plus the bodies being read. The consumer takes whatever
 * is waiting, up to a batch budget, so that batches grow under load and one commit carries many
 * requests.
 */
export interface QueueLimits {
  /** Bytes of request bodies waiting or being read (default 64 MiB). */
  maxBytes: number;
  /** Requests waiting or being read (default 10,000). */
  maxItems: number;
}

export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxBytes: 64 * 1024 * 1024, maxItems: 10_000 };

export interface Reservation<T> {
  /** Put the item in the queue, in place of the room reserved (its real size may be smaller). */
  fill(item: T, bytes: number): void;
  /** Give the room back (the body could not be read, or was refused). */
  cancel(): void;
}

interface Entry<T> {
  item: T;
  bytes: number;
}

export class IngestQueue<T> {
  private readonly items: Entry<T>[] = [];
  private head = 0;
  private reservedBytes = 0;
  private reservedItems = 0;
  private queuedBytes = 0;
  private waiter: (() => void) | null = null;
  private closed = false;
  /** Bytes per second the consumer has been draining (moving average): how long a client should wait. */
  private drainRate = 0;

  constructor(readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS) {}

  get depth(): { items: number; bytes: number; reservedBytes: number } {
    return { items: this.items.length - this.head, bytes: this.queuedBytes, reservedBytes: this.reservedBytes };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Room for a body of up to `bytes`, or null when the queue is full (or closed). */
  reserve(bytes: number): Reservation<T> | null {
    if (this.closed) return null;
    const items = this.items.length - this.head + this.reservedItems;
    const used = this.queuedBytes + this.reservedBytes;
    // One request always fits an empty queue, whatever its size: the body limit bounds it instead.
    if (items >= this.limits.maxItems || (used > 0 && used + bytes > this.limits.maxBytes)) return null;
    this.reservedBytes += bytes;
    this.reservedItems++;
    let open = true;
    const release = () => {
      if (!open) return false;
      open = false;
      this.reservedBytes -= bytes;
      this.reservedItems--;
      return true;
    };
    return {
      fill: (item, actual) => {
        if (!release()) return;
        if (this.closed) throw new Error('the ingest queue is closed');
        this.items.push({ item, bytes: actual });
        this.queuedBytes += actual;
        this.wake();
      },
      cancel: () => void release(),
    };
  }

  /**
   * The next batch: everything waiting, up to `maxBytes` (at least one item). Resolves with [] once the
   * queue is closed and empty.
   */
  async take(maxBytes: number): Promise<T[]> {
    while (this.items.length - this.head === 0) {
      if (this.closed) return [];
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const out: T[] = [];
    let bytes = 0;
    while (this.head < this.items.length && (out.length === 0 || bytes + this.items[this.head].bytes <= maxBytes)) {
      const e = this.items[this.head];
      this.items[this.head++] = undefined as never;
      out.push(e.item);
      bytes += e.bytes;
    }
    this.queuedBytes -= bytes;
    // Drop the consumed prefix now and then rather than shifting on every take.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }

  /** The consumer reports a batch done: the drain rate it measures sets Retry-After. */
  drained(bytes: number, ms: number): void {
    if (ms <= 0 || bytes <= 0) return;
    const rate = (bytes / ms) * 1000;
    this.drainRate = this.drainRate === 0 ? rate : this.drainRate * 0.8 + rate * 0.2;
  }

  /** Seconds until the queue has likely drained enough to take a request (1..60). */
  retryAfterSeconds(): number {
    const backlog = this.queuedBytes + this.reservedBytes;
    if (this.drainRate <= 0) return 2;
    return Math.min(60, Math.max(1, Math.ceil(backlog / this.drainRate)));
  }

  /** Refuse new work; take() still hands out what is queued, then []. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
