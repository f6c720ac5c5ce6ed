import { EDGE_DIRECTION, EdgeKind, type EdgeKind as Kind } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import type { Adjacency, Direction, Step } from './adjacency.js';
import type { Hop, Path } from './types.js';

const KINDS = EdgeKind.options as Kind[];
const KIND_CODE = new Map(KINDS.map((k, i) => [k, i]));
const ALONG = new Uint8Array(KINDS.map((k) => Number(EDGE_DIRECTION[k] === 'forward' || EDGE_DIRECTION[k] === 'both')));
const AGAINST = new Uint8Array(KINDS.map((k) => Number(EDGE_DIRECTION[k] === 'reverse' || EDGE_DIRECTION[k] === 'both')));

/**
 * A compact in-memory copy of the edge table for large blast radii, where a level-by-level SQL walk
 * over thousands of nodes is slow: ids interned to integers, edges in two CSR arrays (by source and by
 * target), each node's edges pre-sorted strongest first (observed, then count). About 20 bytes per edge
 * plus the id strings: 5 million edges fit in a few hundred MB. Hop details (times, evidence) are
 * fetched from the store only for the hops of the paths returned.
 */
export class GraphIndex implements Adjacency {
  private ids: string[] = [];
  private index = new Map<string, number>();
  private fwdOffsets = new Int32Array(1);
  private fwdEdges = new Int32Array(0);
  private revOffsets = new Int32Array(1);
  private revEdges = new Int32Array(0);
  private src = new Int32Array(0);
  private dst = new Int32Array(0);
  private kind = new Uint8Array(0);
  private observed = new Uint8Array(0);
  private count = new Int32Array(0);
  builtAt = 0;

  get nodes(): number {
    return this.ids.length;
  }
  get edges(): number {
    return this.src.length;
  }

  /** Build from the store's edge table, streamed in key order pages. */
  static async build(db: Db, pageSize = 200_000): Promise<GraphIndex> {
    const g = new GraphIndex();
    const b = new Builder();
    let after: [string, string, string] | null = null;
    for (;;) {
      const rows: { from_id: string; kind: string; to_id: string; observed: boolean; count: number }[] = after
        ? await db.query(`SELECT from_id, kind, to_id, observed, count FROM edges WHERE (from_id, kind, to_id) > ($1, $2, $3) ORDER BY from_id, kind, to_id LIMIT ${pageSize}`, after)
        : await db.query(`SELECT from_id, kind, to_id, observed, count FROM edges ORDER BY from_id, kind, to_id LIMIT ${pageSize}`);
      for (const r of rows) b.add(g.intern(r.from_id), KIND_CODE.get(r.kind as Kind) ?? 0, g.intern(r.to_id), r.observed, r.count);
      if (rows.length < pageSize) break;
      const last = rows[rows.length - 1];
      after = [last.from_id, last.kind, last.to_id];
    }
    b.finish(g);
    g.builtAt = Date.now();
    return g;
  }

  private intern(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.index.set(id, i);
    }
    return i;
  }

  /** @internal used by Builder */
  load(parts: { src: Int32Array; dst: Int32Array; kind: Uint8Array; observed: Uint8Array; count: Int32Array }): void {
    Object.assign(this, parts);
    const n = this.ids.length;
    const order = (key: Int32Array) => {
      const offsets = new Int32Array(n + 1);
      for (let e = 0; e < key.length; e++) offsets[key[e] + 1]++;
      for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
      const fill = offsets.slice(0, n);
      const edges = new Int32Array(key.length);
      for (let e = 0; e < key.length; e++) edges[fill[key[e]]++] = e;
      // Strongest first inside each node's segment.
      for (let i = 0; i < n; i++) {
        const a = offsets[i];
        const z = offsets[i + 1];
        if (z - a > 1) {
          const seg = Array.from(edges.subarray(a, z)).sort((x, y) => this.observed[y] - this.observed[x] || this.count[y] - this.count[x]);
          edges.set(seg, a);
        }
      }
      return { offsets, edges };
    };
    ({ offsets: this.fwdOffsets, edges: this.fwdEdges } = order(this.src));
    ({ offsets: this.revOffsets, edges: this.revEdges } = order(this.dst));
  }

  async neighbours(nodes: string[], dir: Direction, opts: { fanout: number; observedOnly: boolean }): Promise<Map<string, Step[]>> {
    const out = new Map<string, Step[]>();
    for (const node of nodes) {
      const i = this.index.get(node);
      if (i === undefined) continue;
      const list: Step[] = [];
      this.each(i, dir, opts.observedOnly, (e, next, reversed) => {
        const [from, to] = dir === 'down' ? [node, this.ids[next]] : [this.ids[next], node];
        list.push({ node, next: this.ids[next], hop: { from, to, edge: KINDS[this.kind[e]], reversed, potential: true, observed: this.observed[e] === 1, firstSeen: null, lastSeen: null, count: this.count[e], evidence: [] } });
        return list.length <= opts.fanout;
      });
      if (list.length) out.set(node, list);
    }
    return out;
  }

  /**
   * Everything reachable from `id` (down: what it can act as and reach; up: who can act as it), without
   * a fan-out cap: the full blast radius or exposure, as counts and the reached ids.
   */
  closure(id: string, dir: Direction, opts: { depth?: number; observedOnly?: boolean; maxNodes?: number } = {}): { reached: string[]; depthReached: number } {
    const start = this.index.get(id);
    if (start === undefined) return { reached: [], depthReached: 0 };
    const maxDepth = opts.depth ?? 10;
    const max = opts.maxNodes ?? 1_000_000;
    const seen = new Uint8Array(this.ids.length);
    seen[start] = 1;
    let frontier = [start];
    const reached: number[] = [];
    let d = 0;
    while (frontier.length && d < maxDepth && reached.length < max) {
      d++;
      const next: number[] = [];
      for (const n of frontier) {
        this.each(n, dir, Boolean(opts.observedOnly), (_e, m) => {
          if (!seen[m]) {
            seen[m] = 1;
            reached.push(m);
            next.push(m);
          }
          return reached.length < max;
        });
      }
      frontier = next;
    }
    return { reached: reached.map((i) => this.ids[i]), depthReached: d };
  }

  /** Fill in first/last seen, evidence and potential from the store, for the hops of returned paths only. */
  async hydrate(db: Db, paths: Path[]): Promise<void> {
    const hops = paths.flatMap((p) => p.hops);
    if (!hops.length) return;
    const keys = hops.map((h) => (h.reversed ? [h.to, h.edge, h.from] : [h.from, h.edge, h.to]));
    const rows = await db.query(
      `SELECT e.* FROM edges e JOIN json_to_recordset($1::json) AS k(f text, k text, t text) ON e.from_id = k.f AND e.kind = k.k AND e.to_id = k.t`,
      [JSON.stringify(keys.map(([f, k, t]) => ({ f, k, t })))]);
    const byKey = new Map(rows.map((r) => [`${r.from_id}\u0000${r.kind}\u0000${r.to_id}`, r]));
    hops.forEach((h: Hop, i) => {
      const r = byKey.get(keys[i].join('\u0000'));
      if (!r) return;
      h.potential = r.potential;
      h.observed = r.observed;
      h.firstSeen = r.first_seen ? new Date(r.first_seen).toISOString() : null;
      h.lastSeen = r.last_seen ? new Date(r.last_seen).toISOString() : null;
      h.count = r.count;
      h.evidence = r.evidence ?? [];
    });
  }

  private each(n: number, dir: Direction, observedOnly: boolean, visit: (edge: number, next: number, reversed: boolean) => boolean): void {
    // down: out along forward kinds, in against reverse kinds; up: the opposite.
    const [alongOff, alongEdges, alongNext] = dir === 'down' ? [this.fwdOffsets, this.fwdEdges, this.dst] : [this.revOffsets, this.revEdges, this.src];
    const [againstOff, againstEdges, againstNext] = dir === 'down' ? [this.revOffsets, this.revEdges, this.src] : [this.fwdOffsets, this.fwdEdges, this.dst];
    for (let j = alongOff[n]; j < alongOff[n + 1]; j++) {
      const e = alongEdges[j];
      if (!ALONG[this.kind[e]] || (observedOnly && !this.observed[e]) || alongNext[e] === n) continue;
      if (!visit(e, alongNext[e], false)) return;
    }
    for (let j = againstOff[n]; j < againstOff[n + 1]; j++) {
      const e = againstEdges[j];
      if (!AGAINST[this.kind[e]] || (observedOnly && !this.observed[e]) || againstNext[e] === n) continue;
      if (!visit(e, againstNext[e], true)) return;
    }
  }
}

/** Growable columns while edges stream in. */
class Builder {
  private n = 0;
  private src = new Int32Array(1024);
  private dst = new Int32Array(1024);
  private kind = new Uint8Array(1024);
  private observed = new Uint8Array(1024);
  private count = new Int32Array(1024);

  add(from: number, kind: number, to: number, observed: boolean, count: number): void {
    if (this.n === this.src.length) this.grow();
    this.src[this.n] = from;
    this.dst[this.n] = to;
    this.kind[this.n] = kind;
    this.observed[this.n] = observed ? 1 : 0;
    this.count[this.n] = count;
    this.n++;
  }

  finish(g: GraphIndex): void {
    g.load({ src: this.src.slice(0, this.n), dst: this.dst.slice(0, this.n), kind: this.kind.slice(0, this.n), observed: this.observed.slice(0, this.n), count: this.count.slice(0, this.n) });
  }

  private grow(): void {
    const cap = this.src.length * 2;
    const g = <T extends Int32Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.src = g(this.src, Int32Array);
    this.dst = g(this.dst, Int32Array);
    this.kind = g(this.kind, Uint8Array);
    this.observed = g(this.observed, Uint8Array);
    this.count = g(this.count, Int32Array);
  }
}
