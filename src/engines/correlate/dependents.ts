import { networkOf } from '../../lib/network.js';
import type { Dependent, DependentsOf } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { agentFamily } from '../baseline/profile.js';

/**
 * What breaks: before a credential is rotated or revoked, an identity disabled or a role's sessions
 * revoked, who and what used it in the period other than the incident itself: workloads (by network
 * and client), the callers that assume a role, AWS services acting for it. With none, revoking it
 * breaks nothing that was observed; with some, the safe order is new credential first, move them,
 * then revoke.
 */
export interface DependentTarget {
  id: string;
  /** credential: a key or token (events signed with it); identity: an account or role (events it made, callers that assumed it). */
  as: 'credential' | 'identity';
  /** For a credential: the principal its calls are logged under. */
  principal?: string | null;
}

const LOOKBACK_MS = 30 * 86_400_000;

export async function dependentsOf(db: Db, t: DependentTarget, exclude: string[], asOfMs: number): Promise<DependentsOf> {
  const from = new Date(asOfMs - LOOKBACK_MS);
  const to = new Date(asOfMs);
  const rows = t.as === 'credential'
    ? await db.query(`
        SELECT source_ip, source_kind, user_agent, chain->>'invokedBy' AS invoked_by, count(*)::int AS n, max(time) AS last, (array_agg(id ORDER BY time DESC))[1:3] AS ids
        FROM events WHERE actor_id = $1 AND chain->>'credentialId' = $2 AND time >= $3 AND time <= $4 AND NOT (id = ANY($5::text[]))
        GROUP BY 1, 2, 3, 4 ORDER BY n DESC LIMIT 200`, [t.principal ?? '', t.id, from, to, exclude])
    : await db.query(`
        SELECT source_ip, source_kind, user_agent, chain->>'invokedBy' AS invoked_by, count(*)::int AS n, max(time) AS last, (array_agg(id ORDER BY time DESC))[1:3] AS ids
        FROM events WHERE actor_id = $1 AND time >= $2 AND time <= $3 AND NOT (id = ANY($4::text[]))
        GROUP BY 1, 2, 3, 4 ORDER BY n DESC LIMIT 200`, [t.id, from, to, exclude]);
  const byLabel = new Map<string, Dependent>();
  const add = (label: string, kind: Dependent['kind'], n: number, last: unknown, ids: string[]) => {
    const d = byLabel.get(label) ?? { label, kind, events: 0, lastSeen: null, evidence: [] };
    d.events += n;
    const l = last ? new Date(last as string).toISOString() : null;
    if (l && (!d.lastSeen || l > d.lastSeen)) d.lastSeen = l;
    for (const id of ids ?? []) if (d.evidence.length < 3 && !d.evidence.includes(id)) d.evidence.push(id);
    byLabel.set(label, d);
  };
  for (const r of rows) {
    if (r.invoked_by && /\.amazonaws\.com$/.test(r.invoked_by)) {
      add(`service ${r.invoked_by}`, 'service', r.n, r.last, r.ids);
      continue;
    }
    const family = agentFamily(r.user_agent) ?? 'unknown client';
    const net = networkOf(r.source_ip) ?? (r.source_kind === 'service' || r.source_kind === 'internal' ? `${r.source_ip ?? 'AWS'} (${r.source_kind})` : r.source_ip ?? 'unknown network');
    const kind: Dependent['kind'] = family === 'browser' ? 'person' : 'workload';
    add(`${kind === 'person' ? 'someone in a browser' : family} from ${net}`, kind, r.n, r.last, r.ids);
  }
  if (t.as === 'identity') {
    // Callers that assume it (a role's users): their sessions stop working when its sessions are revoked.
    const callers = await db.query(`
      SELECT attributes->>'issuedTo' AS caller, count(*)::int AS n, max(created_at) AS last, (array_agg(attributes->>'issuedBy' ORDER BY created_at DESC))[1:3] AS ids
      FROM credentials WHERE identity_id = $1 AND type = 'session_key' AND attributes ? 'issuedTo'
        AND (created_at IS NULL OR (created_at >= $2 AND created_at <= $3)) AND NOT (coalesce(attributes->>'issuedBy', '') = ANY($4::text[]))
      GROUP BY 1 ORDER BY n DESC LIMIT 50`, [t.id, from, to, exclude]);
    for (const c of callers) if (c.caller) add(`caller ${c.caller}`, 'caller', c.n, c.last, (c.ids ?? []).filter(Boolean));
  }
  const dependents = [...byLabel.values()].sort((a, b) => b.events - a.events || (a.label < b.label ? -1 : 1)).slice(0, 20);
  return { target: t.id, dependents, safeToRevoke: dependents.length === 0, period: { from: from.toISOString(), to: to.toISOString() } };
}

export function describeDependents(d: DependentsOf): string[] {
  return d.dependents.map((x) => `${x.label}: ${x.events} call(s)${x.lastSeen ? `, last ${x.lastSeen.slice(0, 16)}Z` : ''}`);
}
