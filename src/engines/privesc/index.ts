import { CopilotError } from '../../lib/errors.js';
import { CONTRACT_VERSION } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { addAws } from './aws.js';
import { resolveCatalog, type Catalog } from './catalog.js';
import { addDelegation } from './delegation.js';
import { addGcp } from './gcp.js';
import { EscalationGraph } from './graph.js';
import { addK8s } from './k8s.js';
import type { PrincipalEscalation, PrivescResult } from './types.js';

export * from './types.js';
export { builtinCatalog, loadCatalog, parseCatalog, resolveCatalog, type Catalog, type CatalogMapping, type Method } from './catalog.js';
export { EscalationGraph } from './graph.js';

export const PRIVESC_LIMITS = { maxDepth: 5, maxPaths: 25 } as const;

export interface PrivescOptions {
  /** One principal; all principals that reach an administrator when absent. */
  id?: string;
  catalog?: Catalog;
  /** Steps per path, 1-5 (default 5). */
  maxDepth?: number;
  /** Paths per principal, 1-1000 (default 25); `truncated` reports a cut. */
  maxPaths?: number;
  /** List administrators and principals that reach nothing too (default: only those that escalate or reach admin). */
  all?: boolean;
}

/**
 * Who can reach administrator, in how many steps, and every path (bounded): the escalation graph of
 * AWS, Kubernetes and GCP principals (plus the delegation edges that join them) is built in one pass
 * over the store, distances come from one backward search, and paths are enumerated per principal.
 */
export async function privesc(db: Db, opts: PrivescOptions = {}): Promise<PrivescResult> {
  const catalog = opts.catalog ?? resolveCatalog();
  const maxDepth = clamp(opts.maxDepth ?? PRIVESC_LIMITS.maxDepth, 1, PRIVESC_LIMITS.maxDepth);
  const maxPaths = clamp(opts.maxPaths ?? PRIVESC_LIMITS.maxPaths, 1, 1000);
  const { graph, notes } = await buildGraph(db, catalog);
  const dist = graph.distances(maxDepth);
  const definite = graph.definiteDistances(maxDepth);
  const escalations = graph.escalations(maxDepth);

  if (opts.id && !graph.nodes.has(opts.id)) {
    const [row] = await db.query('SELECT id, name, provider, kind FROM identities WHERE id = $1', [opts.id]);
    if (!row) throw new CopilotError('E_NOT_FOUND', `no identity ${opts.id} in the store`);
    graph.addNode({ id: row.id, name: row.name, provider: row.provider, kind: row.kind, principal: true });
  }
  const ids = opts.id ? [opts.id] : [...graph.nodes.values()].filter((n) => n.principal).map((n) => n.id);
  const principals: PrincipalEscalation[] = [];
  let admins = 0;
  let reachAdmin = 0;
  let escalate = 0;
  let escalateDefinite = 0;
  for (const id of ids) {
    const n = graph.nodes.get(id)!;
    const isAdmin = graph.admins.has(id);
    const d = dist.get(id);
    const { paths, found, truncated } = isAdmin || d === undefined ? { paths: [], found: 0, truncated: false } : graph.paths(id, maxDepth, maxPaths);
    const escalation = isAdmin ? 'none' : escalations.get(id) ?? 'none';
    if (isAdmin) admins++;
    if (d !== undefined) reachAdmin++;
    if (escalation !== 'none') escalate++;
    if (escalation === 'definite') escalateDefinite++;
    if (!opts.id && !opts.all && (isAdmin || d === undefined)) continue;
    principals.push({
      id, name: n.name, provider: n.provider, kind: n.kind, isAdmin, reachesAdmin: d !== undefined, steps: d ?? null,
      escalates: escalation !== 'none', escalation,
      conditional: d !== undefined && !definite.has(id),
      paths, pathsFound: found, truncated,
    });
  }
  principals.sort((a, b) => (a.steps ?? 99) - (b.steps ?? 99) || Number(a.conditional) - Number(b.conditional) || a.id.localeCompare(b.id));
  const modelled = catalog.mapping.length ? catalog.mapping.filter((m) => m.modelled !== 'none').length : null;
  if (catalog.mapping.length) {
    const none = catalog.mapping.filter((m) => m.modelled === 'none');
    notes.push(`catalogue ${catalog.origin}: ${modelled} of ${catalog.mapping.length} entries modelled${none.length ? `; not modelled: ${none.map((m) => m.id).join(', ')}` : ''}`);
  }
  return {
    contractVersion: CONTRACT_VERSION,
    catalog: { origin: catalog.origin, format: catalog.format, methods: catalog.methods.length, modelled, entries: catalog.mapping.length || null },
    limits: { maxDepth, maxPaths },
    totals: { principals: [...graph.nodes.values()].filter((n) => n.principal).length, admins, reachAdmin, escalate, escalateDefinite },
    principals,
    notes,
  };
}

/** The escalation graph of the whole store (exported for benchmarks and tools that query it repeatedly). */
export async function buildGraph(db: Db, catalog: Catalog = resolveCatalog()): Promise<{ graph: EscalationGraph; notes: string[] }> {
  const graph = new EscalationGraph();
  const notes: string[] = [];
  await addAws(db, graph, catalog.methods);
  await addK8s(db, graph, catalog.methods);
  await addGcp(db, graph, catalog.methods);
  await addDelegation(db, graph);
  return { graph, notes };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(Number.isFinite(v) ? v : lo)));
}
