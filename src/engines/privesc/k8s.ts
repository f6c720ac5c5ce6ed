import type { Db } from '../../store/index.js';
import type { Method } from './catalog.js';
import type { EscalationGraph } from './graph.js';
import { isClusterAdmin, loadK8s, reachOf, ruleAllows, type K8sEstate, type Reach, type Subject } from './k8s-rbac.js';

/**
 * Kubernetes subjects in the escalation graph. Administrator is cluster-admin (every verb on every
 * resource cluster-wide, or system:masters). Methods name their needs as `verb resource` (alternatives
 * with `|`), each checked where the subject holds it: cluster-wide or in some namespaces.
 */
export async function addK8s(db: Db, graph: EscalationGraph, methods: Method[]): Promise<void> {
  const est = await loadK8s(db);
  if (!est.subjects.size) return;
  const k8s = methods.filter((m) => m.provider === 'k8s');
  for (const s of est.subjects.values()) {
    graph.addNode({ id: s.id, name: s.name, provider: 'k8s', kind: s.identityKind, principal: s.kind !== 'group' });
    if (isClusterAdmin(s)) graph.addAdmin(s.id);
  }
  for (const s of est.subjects.values()) {
    if (s.kind === 'group' || graph.admins.has(s.id)) continue;
    for (const m of k8s) {
      const r = methodReach(s, m);
      if (!r) continue;
      const base = { from: s.id, via: m.id, actions: m.requires, conditional: Boolean(m.conditional), evidence: r.evidence };
      if (m.yields === 'k8s_admin') {
        if (r.cluster) graph.addFinish({ ...base, to: s.id, gains: 'admin' });
        continue;
      }
      for (const to of targets(est, s, m, r)) if (to !== s.id) graph.addMove({ ...base, to, gains: 'identity' });
    }
  }
}

/** Where the subject holds every requirement of the method (intersection of their reaches), or null. */
function methodReach(s: Subject, m: Method): Reach | null {
  let acc: Reach | null = null;
  for (const req of m.requires) {
    const [verb, resources] = req.split(/\s+/, 2);
    if (!verb || !resources) return null;
    const r = reachOf(s, (rule) => ruleAllows(rule, [verb], resources.split('|')));
    if (!r.cluster && !r.namespaces.size) return null;
    if (!acc) acc = r;
    else {
      const namespaces = new Set<string>();
      const clusterBoth: boolean = acc.cluster && r.cluster;
      for (const ns of new Set([...acc.namespaces, ...r.namespaces])) {
        if ((acc.cluster || acc.namespaces.has(ns)) && (r.cluster || r.namespaces.has(ns))) namespaces.add(ns);
      }
      acc = { cluster: clusterBoth, namespaces, evidence: [...new Set([...acc.evidence, ...r.evidence])] };
      if (!acc.cluster && !acc.namespaces.size) return null;
    }
  }
  return acc;
}

function targets(est: K8sEstate, s: Subject, m: Method, r: Reach): string[] {
  if (m.yields === 'k8s_users') return r.cluster ? est.users.get(s.cluster) ?? [] : [];
  const pool = m.yields === 'k8s_pod_serviceaccounts' ? est.podAccounts : m.yields === 'k8s_token_serviceaccounts' ? est.tokenAccounts : est.serviceAccounts;
  const prefix = `${s.cluster}/`;
  const out: string[] = [];
  for (const [key, list] of pool) {
    if (!key.startsWith(prefix)) continue;
    const ns = key.slice(prefix.length);
    if (r.cluster || r.namespaces.has(ns)) out.push(...list);
  }
  return out;
}
