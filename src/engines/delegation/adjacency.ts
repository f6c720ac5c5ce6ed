import { EDGE_DIRECTION, type EdgeKind } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import type { Hop, Path } from './types.js';

export type Direction = 'up' | 'down';

/** One step from a node: the neighbour and the hop in path order. */
export interface Step {
  node: string;
  next: string;
  hop: Hop;
}

/**
 * Where trace gets neighbours from: SQL on the store (bounded, one indexed query per level), or a
 * compact in-memory graph for large blast radii (src/engines/delegation/graph-index.ts). Both return
 * at most `fanout + 1` steps per node, strongest evidence first (observed, then count), so that the
 * caller can tell a cut from a complete list.
 */
export interface Adjacency {
  neighbours(nodes: string[], dir: Direction, opts: { fanout: number; observedOnly: boolean }): Promise<Map<string, Step[]>>;
  /** Fill in hop details the adjacency does not keep (times, evidence), for the returned paths only. */
  hydrate?(db: Db, paths: Path[]): Promise<void>;
}

const ALONG = (Object.keys(EDGE_DIRECTION) as EdgeKind[]).filter((k) => EDGE_DIRECTION[k] === 'forward' || EDGE_DIRECTION[k] === 'both');
const AGAINST = (Object.keys(EDGE_DIRECTION) as EdgeKind[]).filter((k) => EDGE_DIRECTION[k] === 'reverse' || EDGE_DIRECTION[k] === 'both');

export class SqlAdjacency implements Adjacency {
  constructor(private readonly db: Db) {}

  async neighbours(nodes: string[], dir: Direction, opts: { fanout: number; observedOnly: boolean }): Promise<Map<string, Step[]>> {
    // down: follow stored edges out along their direction, and into them against it; up: the opposite.
    const [alongCol, alongNext] = dir === 'down' ? ['from_id', 'to_id'] : ['to_id', 'from_id'];
    const [againstCol, againstNext] = dir === 'down' ? ['to_id', 'from_id'] : ['from_id', 'to_id'];
    const obs = opts.observedOnly ? 'AND observed' : '';
    const rows = await this.db.query(
      `SELECT f.id AS node, s.* FROM unnest($1::text[]) AS f(id)
       CROSS JOIN LATERAL (
         SELECT * FROM (
           SELECT ${alongNext} AS next, false AS rev, from_id, kind, to_id, potential, observed, first_seen, last_seen, count, evidence
             FROM edges WHERE ${alongCol} = f.id AND kind = ANY($2::text[]) ${obs}
           UNION ALL
           SELECT ${againstNext} AS next, true AS rev, from_id, kind, to_id, potential, observed, first_seen, last_seen, count, evidence
             FROM edges WHERE ${againstCol} = f.id AND kind = ANY($3::text[]) ${obs}
         ) both_ways
         WHERE next <> f.id
         ORDER BY observed DESC, count DESC, next
         LIMIT $4
       ) s`,
      [nodes, ALONG, AGAINST, opts.fanout + 1],
    );
    const out = new Map<string, Step[]>();
    for (const r of rows) {
      const list = out.get(r.node) ?? [];
      // Hops read in path order: downstream node -> next, upstream next -> node.
      const [from, to] = dir === 'down' ? [r.node, r.next] : [r.next, r.node];
      list.push({
        node: r.node,
        next: r.next,
        hop: {
          from, to, edge: r.kind, reversed: r.rev, potential: r.potential, observed: r.observed,
          firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count, evidence: r.evidence ?? [],
        },
      });
      out.set(r.node, list);
    }
    return out;
  }
}

export function iso(v: unknown): string | null {
  return v ? new Date(v as string).toISOString() : null;
}
