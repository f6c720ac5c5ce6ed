import { PRIVILEGE_RANK, type Privilege } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { SqlAdjacency, type Adjacency, type Direction, type Step } from './adjacency.js';
import { blastRadius } from './blast-radius.js';
import type { Hop, Path, TraceOptions, TraceResult } from './types.js';

export const TRACE_LIMITS = { depth: 10, fanout: 500, maxNodes: 50_000, maxPaths: 1000 } as const;

interface Walk {
  /** node -> the hop that first reached it (shortest path tree) and its depth. */
  parent: Map<string, { hop: Hop; via: string; depth: number }>;
  children: Map<string, number>;
  truncated: string[];
}

/**
 * Walk the delegation graph from one identity: upstream to who can act as it (back to the people at
 * the root), downstream to what it can act as and reach. Breadth-first, so each node is reached by a
 * shortest path; bounded by depth, fan-out per node, nodes visited and a deadline; cycles are safe
 * because a node is visited once. Every hop says potential and/or observed and carries evidence ids.
 */
export async function trace(db: Db, id: string, opts: TraceOptions = {}, adjacency: Adjacency = new SqlAdjacency(db)): Promise<TraceResult> {
  const direction = opts.direction ?? 'both';
  const depth = clamp(opts.depth ?? 6, 1, TRACE_LIMITS.depth);
  const fanout = clamp(opts.fanout ?? 50, 1, TRACE_LIMITS.fanout);
  const maxNodes = clamp(opts.maxNodes ?? 5000, 1, TRACE_LIMITS.maxNodes);
  const maxPaths = clamp(opts.maxPaths ?? 100, 1, TRACE_LIMITS.maxPaths);
  const deadline = Date.now() + (opts.deadlineMs ?? 10_000);
  const walkOpts = { depth, fanout, maxNodes, deadline, observedOnly: Boolean(opts.observedOnly) };

  // The two directions are independent: on a server they run on two connections at once.
  const [up, down] = await Promise.all([
    direction !== 'down' ? walk(adjacency, id, 'up', walkOpts) : null,
    direction !== 'up' ? walk(adjacency, id, 'down', walkOpts) : null,
  ]);
  const truncated = [...(up?.truncated.map((t) => `upstream: ${t}`) ?? []), ...(down?.truncated.map((t) => `downstream: ${t}`) ?? [])];

  const upstream = up ? pathsTo(id, up, 'up') : [];
  const downstream = down ? pathsTo(id, down, 'down') : [];
  // Privileges only where they are used (downstream reach, blast radius); kinds and names for the rest.
  const startObserved = new Map<string, boolean>();
  for (const p of upstream) {
    const s = p.hops[0].from;
    startObserved.set(s, (startObserved.get(s) ?? false) || p.hops.every((h) => h.observed));
  }
  const starts = [...startObserved.keys()];
  const [info, basics] = await Promise.all([nodeInfo(db, [id, ...(down?.parent.keys() ?? [])]), basicInfo(db, starts)]);
  for (const [k, v] of basics) if (!info.has(k)) info.set(k, v);

  // Roots: where upstream paths start. People first, then what was observed acting, then the rest.
  const roots = starts
    .map((r) => ({ id: r, name: info.get(r)?.name ?? r, kind: info.get(r)?.kind ?? 'unknown', observed: startObserved.get(r) ?? false }))
    .sort((a, b) => Number(b.kind === 'human') - Number(a.kind === 'human') || Number(b.observed) - Number(a.observed) || a.id.localeCompare(b.id));

  const radius = down ? await blastRadius(db, id, [...down.parent.keys()], info, opts.crownJewels ?? []) : null;
  const rank = (p: Path) => {
    const last = p.hops[p.hops.length - 1].to;
    const i = info.get(last);
    return (radius?.crownJewelSet.has(last) ? 100 : 0) + (i?.privilege ? PRIVILEGE_RANK[i.privilege as Privilege] ?? 0 : 0) * 10 + (p.hops.every((h) => h.observed) ? 5 : 0);
  };
  // Decorate once: ranking twenty thousand paths must not rebuild their keys on every comparison.
  const sorted = (paths: Path[]) =>
    paths
      .map((p) => ({ p, r: rank(p), n: p.hops.length, k: key(p) }))
      .sort((a, b) => b.r - a.r || a.n - b.n || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.p);
  if (upstream.length > maxPaths) truncated.push(`upstream: ${upstream.length} paths, first ${maxPaths} returned`);
  if (downstream.length > maxPaths) truncated.push(`downstream: ${downstream.length} paths, first ${maxPaths} returned`);
  const up_ = sorted(upstream).slice(0, maxPaths);
  const down_ = sorted(downstream).slice(0, maxPaths);
  await adjacency.hydrate?.(db, [...up_, ...down_]);
  return {
    identity: id,
    upstream: up_,
    downstream: down_,
    roots,
    blastRadius: radius?.summary ?? null,
    truncated,
  };
}

async function walk(adj: Adjacency, start: string, dir: Direction, o: { depth: number; fanout: number; maxNodes: number; deadline: number; observedOnly: boolean }): Promise<Walk> {
  const parent: Walk['parent'] = new Map();
  const children = new Map<string, number>();
  const truncated: string[] = [];
  const seen = new Set<string>([start]);
  let frontier = [start];
  for (let d = 1; d <= o.depth && frontier.length; d++) {
    if (Date.now() > o.deadline) {
      truncated.push(`deadline reached at depth ${d}`);
      break;
    }
    const steps = await adj.neighbours(frontier, dir, { fanout: o.fanout, observedOnly: o.observedOnly });
    const next: string[] = [];
    for (const node of frontier) {
      const list: Step[] = steps.get(node) ?? [];
      if (list.length > o.fanout) {
        truncated.push(`${node}: more than ${o.fanout} edges, strongest ${o.fanout} followed`);
        list.length = o.fanout;
      }
      for (const s of list) {
        if (seen.has(s.next)) continue;
        if (seen.size >= o.maxNodes) {
          if (!truncated.some((t) => t.startsWith('node limit'))) truncated.push(`node limit ${o.maxNodes} reached`);
          break;
        }
        seen.add(s.next);
        parent.set(s.next, { hop: s.hop, via: node, depth: d });
        children.set(node, (children.get(node) ?? 0) + 1);
        next.push(s.next);
      }
    }
    frontier = next;
    // Nodes at the last level were not expanded: say so rather than spend a query to find out.
    if (d === o.depth && frontier.length) truncated.push(`depth limit ${o.depth} reached (${frontier.length} nodes at depth ${o.depth} not expanded)`);
  }
  return { parent, children, truncated };
}

/** Paths to every leaf of the walk tree, in reading order (root -> identity upstream, identity -> leaf downstream). */
function pathsTo(start: string, w: Walk, dir: Direction): Path[] {
  const paths: Path[] = [];
  for (const node of w.parent.keys()) {
    if (w.children.get(node)) continue;
    const hops: Hop[] = [];
    let cur = node;
    while (cur !== start) {
      const p = w.parent.get(cur)!;
      hops.push(p.hop);
      cur = p.via;
    }
    // Walking back from a leaf yields hops nearest-the-leaf first: downstream reads start -> leaf.
    if (dir === 'down') hops.reverse();
    paths.push({ hops });
  }
  return paths;
}

export interface NodeInfo {
  kind: string;
  name: string;
  privilege: string | null;
  classification: string | null;
  resource: boolean;
  account: string | null;
}

const PRIV_SQL = `max(CASE privilege WHEN 'admin' THEN 4 WHEN 'privesc' THEN 3 WHEN 'credential' THEN 2 WHEN 'write' THEN 1 ELSE 0 END)`;
const PRIV_NAMES = ['read', 'write', 'credential', 'privesc', 'admin'];

/** Kind and name only: cheap for the thousands of principals upstream of a hub role. */
async function basicInfo(db: Db, ids: string[]): Promise<Map<string, NodeInfo>> {
  const out = new Map<string, NodeInfo>();
  if (!ids.length) return out;
  for (const r of await db.query('SELECT id, kind, name, account FROM identities WHERE id = ANY($1::text[])', [ids])) {
    out.set(r.id, { kind: r.kind, name: r.name, privilege: null, classification: null, resource: false, account: r.account });
  }
  return out;
}

/** Kind, name and highest privilege of identities; type and classification of resources. */
export async function nodeInfo(db: Db, ids: string[]): Promise<Map<string, NodeInfo>> {
  const out = new Map<string, NodeInfo>();
  if (!ids.length) return out;
  const idRows = await db.query(
    `SELECT i.id, i.kind, i.name, i.account, p.level FROM identities i
     LEFT JOIN (SELECT identity_id, ${PRIV_SQL} AS level FROM entitlements WHERE identity_id = ANY($1::text[]) AND effect = 'Allow' AND via <> 'boundary' GROUP BY identity_id) p
       ON p.identity_id = i.id
     WHERE i.id = ANY($1::text[])`, [ids]);
  for (const r of idRows) out.set(r.id, { kind: r.kind, name: r.name, privilege: r.level === null || r.level === undefined ? null : PRIV_NAMES[r.level], classification: null, resource: false, account: r.account });
  const missing = ids.filter((i) => !out.has(i));
  if (missing.length) {
    for (const r of await db.query('SELECT id, type, name, classification, account FROM resources WHERE id = ANY($1::text[])', [missing])) {
      out.set(r.id, { kind: `resource:${r.type}`, name: r.name, privilege: null, classification: r.classification, resource: true, account: r.account });
    }
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(Number.isFinite(v) ? v : lo)));
}

function key(p: Path): string {
  return p.hops.map((h) => `${h.from}>${h.to}`).join('|');
}
