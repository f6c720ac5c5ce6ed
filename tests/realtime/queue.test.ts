import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IngestQueue } from '../../src/realtime/queue.js';
import { SerialLane } from '../../src/realtime/lane.js';

describe('IngestQueue', () => {
  it('refuses once the bytes reserved and queued reach the limit, and takes again after a drain', async () => {
    const q = new IngestQueue<string>({ maxBytes: 100, maxItems: 10 });
    const a = q.reserve(60)!;
    expect(a).not.toBeNull();
    expect(q.reserve(50)).toBeNull();
    a.fill('a', 30);
    const b = q.reserve(50)!;
    expect(b).not.toBeNull();
    b.fill('b', 50);
    expect(q.depth).toEqual({ items: 2, bytes: 80, reservedBytes: 0 });
    expect(q.reserve(30)).toBeNull();
    expect(await q.take(1000)).toEqual(['a', 'b']);
    expect(q.reserve(100)).not.toBeNull();
  });

  it('always admits one body into an empty queue, however large (the body limit bounds it)', () => {
    const q = new IngestQueue<string>({ maxBytes: 10, maxItems: 10 });
    expect(q.reserve(1_000)).not.toBeNull();
    expect(q.reserve(1)).toBeNull();
  });

  it('counts items as well as bytes', () => {
    const q = new IngestQueue<number>({ maxBytes: 1e9, maxItems: 2 });
    q.reserve(1)!.fill(1, 1);
    const r = q.reserve(1)!;
    expect(q.reserve(1)).toBeNull();
    r.cancel();
    expect(q.reserve(1)).not.toBeNull();
  });

  it('hands out batches up to a byte budget, oldest first, at least one item', async () => {
    const q = new IngestQueue<string>({ maxBytes: 1e6, maxItems: 100 });
    for (const [name, size] of [['x', 500], ['y', 300], ['z', 300]] as const) q.reserve(size)!.fill(name, size);
    expect(await q.take(100)).toEqual(['x']);
    expect(await q.take(600)).toEqual(['y', 'z']);
  });

  it('take waits for an item; close wakes it with an empty batch after the queue drains', async () => {
    const q = new IngestQueue<string>();
    const waiting = q.take(10);
    setTimeout(() => q.reserve(1)!.fill('late', 1), 10);
    expect(await waiting).toEqual(['late']);
    q.reserve(1)!.fill('last', 1);
    q.close();
    expect(q.reserve(1)).toBeNull();
    expect(await q.take(10)).toEqual(['last']);
    expect(await q.take(10)).toEqual([]);
  });

  it('Retry-After follows the measured drain rate, between 1 and 60 seconds', () => {
    const q = new IngestQueue<string>({ maxBytes: 1e9, maxItems: 100 });
    expect(q.retryAfterSeconds()).toBe(2);
    q.drained(1_000_000, 1000); // 1 MB/s
    q.reserve(5_000_000)!.fill('a', 5_000_000);
    expect(q.retryAfterSeconds()).toBe(5);
    q.reserve(500_000_000)!.fill('b', 500_000_000);
    expect(q.retryAfterSeconds()).toBe(60);
  });

  it('property: never holds more than its limits, loses nothing, duplicates nothing, keeps order', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('reserve' as const), size: fc.integer({ min: 1, max: 40 }), fill: fc.boolean() }),
      fc.record({ kind: fc.constant('take' as const), budget: fc.integer({ min: 1, max: 120 }) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 80 }), async (ops) => {
      const q = new IngestQueue<number>({ maxBytes: 100, maxItems: 5 });
      let next = 0;
      const accepted: number[] = [];
      const taken: number[] = [];
      for (const o of ops) {
        if (o.kind === 'reserve') {
          const r = q.reserve(o.size);
          const d = q.depth;
          expect(d.items).toBeLessThanOrEqual(5);
          if (!r) continue;
          if (o.fill) {
            const n = next++;
            r.fill(n, o.size);
            accepted.push(n);
          } else r.cancel();
        } else if (q.depth.items > 0) {
          taken.push(...(await q.take(o.budget)));
        }
        const d = q.depth;
        // One oversized body may sit alone; otherwise the byte limit holds.
        if (d.items > 1) expect(d.bytes + d.reservedBytes).toBeLessThanOrEqual(100);
      }
      q.close();
      for (let batch = await q.take(1e9); batch.length; batch = await q.take(1e9)) taken.push(...batch);
      expect(taken).toEqual(accepted);
    }), { numRuns: 200 });
  });
});

describe('SerialLane', () => {
  it('runs one task at a time in arrival order, and a failure stays with its caller', async () => {
    const lane = new SerialLane();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => lane.run(async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    });
    const results = await Promise.allSettled([task('a', 20), task('b', 1, true), task('c', 5)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
