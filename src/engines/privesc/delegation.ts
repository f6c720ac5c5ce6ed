import type { Db } from '../../store/index.js';
import type { EscalationGraph } from './graph.js';

/**
 * Delegation that joins the providers: a workload runs as its service account or role (`runs_as`), a
 * Kubernetes service account or CI job federates into a cloud role (`federates_to`), an identity
 * provider, an external account or anyone at all may assume a role (`can_assume` from something that
 * is not an IAM user or role of an ingested account: those are evaluated with their policies). A step
 * with conditions (an OIDC subject pattern, an external id) is conditional.
 */
export async function addDelegation(db: Db, graph: EscalationGraph): Promise<void> {
  const rows = await db.query(
    `SELECT e.from_id, e.to_id, e.kind, e.conditions, e.evidence, i.name, i.kind AS node_kind, i.provider, i.attributes
     FROM edges e LEFT JOIN identities i ON i.id = e.from_id
     WHERE e.potential AND (e.kind IN ('runs_as', 'federates_to')
       OR (e.kind = 'can_assume' AND e.from_id NOT LIKE 'aws:service:%' AND e.from_id !~ '^arn:[^:]+:iam::[0-9]+:(user|role|group)/'))`);
  for (const r of rows) {
    const attrs = (r.attributes ?? {}) as Record<string, unknown>;
    // The root of an ingested account stands for its principals, whose own policies are evaluated.
    if (r.kind === 'can_assume' && /:root$/.test(r.from_id) && attrs.external !== true) continue;
    if (!graph.nodes.has(r.to_id)) continue;
    graph.addNode({ id: r.from_id, name: r.name ?? r.from_id, provider: r.provider ?? 'unknown', kind: r.node_kind ?? 'unknown', principal: true });
    const conditions = r.conditions && typeof r.conditions === 'object' && Object.keys(r.conditions).length > 0;
    graph.addMove({
      from: r.from_id, to: r.to_id, via: r.kind, actions: r.kind === 'can_assume' ? ['sts:AssumeRole'] : [], gains: 'identity',
      conditional: Boolean(conditions), evidence: Array.isArray(r.evidence) ? r.evidence : [],
    });
  }
}
