import { matchesAny } from '../../lib/patterns.js';
import type { Db } from '../../store/index.js';
import type { NodeInfo } from './trace.js';
import type { TraceResult } from './types.js';

const PRIV_ORDER = ['read', 'write', 'credential', 'privesc', 'admin'];
const EXPLICIT_LIMIT = 5000;

/**
 * What a set of identities can reach, by privilege and by resource sensitivity: resources reached
 * through `can_access` edges (observed or configured), and through Allow entitlements whose action
 * service and resource pattern match a known resource (a potential reach; the permissions engine
 * evaluates Deny, boundaries and conditions). Explicit ARNs and prefix patterns are looked up; a `*`
 * resource counts the resources of that service in the identity's own account, in SQL, without listing
 * them, so that an admin role's radius costs one aggregate query rather than a scan in Node.
 */
export async function blastRadius(db: Db, start: string, reached: string[], info: Map<string, NodeInfo>, crownJewelPatterns: string[]) {
  const ids = [start, ...reached];
  const identityIds = ids.filter((i) => info.has(i) && !info.get(i)!.resource);
  const byPrivilege: Record<string, number> = {};
  for (const i of identityIds) {
    const p = info.get(i)!.privilege ?? 'none';
    byPrivilege[p] = (byPrivilege[p] ?? 0) + 1;
  }
  const listed = new Map<string, { classification: string | null; tags: Record<string, string> }>();
  for (const i of ids) {
    const n = info.get(i);
    if (n?.resource) listed.set(i, { classification: n.classification, tags: {} });
  }
  const ents = identityIds.length
    ? await db.query<{ identity_id: string; actions: string[]; resources: string[] }>(
        `SELECT identity_id, actions, resources FROM entitlements WHERE identity_id = ANY($1::text[]) AND effect = 'Allow' AND via <> 'boundary'`, [identityIds])
    : [];
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  const wide = new Map<string, Set<string>>(); // account -> services reached through `*`
  for (const e of ents) {
    const services = new Set(e.actions.map((a) => (a === '*' ? '*' : a.split(':')[0])));
    for (const raw of e.resources) {
      const p = raw.startsWith('arn:aws:s3:::') ? raw.replace(/\/.*$/, '') : raw; // object patterns reach the bucket's data
      if (p === '*') {
        const acct = info.get(e.identity_id)?.account ?? '*';
        const set = wide.get(acct) ?? new Set<string>();
        for (const s of services) set.add(s);
        wide.set(acct, set);
      } else if (!p.includes('*') && !p.includes('?')) exact.add(p);
      else if (/^[^*?]+\*$/.test(p)) prefixes.add(p.slice(0, -1));
    }
  }
  if (exact.size || prefixes.size) {
    const like = [...prefixes].map((p) => p.replace(/[\\%_]/g, (m) => '\\' + m) + '%');
    const rows = await db.query<{ id: string; classification: string | null; tags: Record<string, string> }>(
      `SELECT id, classification, tags FROM resources WHERE id = ANY($1::text[]) OR id LIKE ANY($2::text[]) LIMIT ${EXPLICIT_LIMIT}`, [[...exact], like]);
    for (const r of rows) listed.set(r.id, { classification: r.classification, tags: r.tags ?? {} });
  }
  const byClassification: Record<string, number> = {};
  const crownJewelSet = new Set<string>();
  for (const [id, r] of listed) {
    const c = r.classification ?? 'unclassified';
    byClassification[c] = (byClassification[c] ?? 0) + 1;
    if (matchesAny(id, crownJewelPatterns) || /^(true|yes|1)$/i.test(r.tags['crown-jewel'] ?? '')) crownJewelSet.add(id);
  }
  let total = listed.size;
  if (wide.size) {
    // `*` on `*` in an account: every resource of the services granted there.
    const pairs = [...wide].map(([account, services]) => ({ account, services: [...services] }));
    const rows = await db.query<{ classification: string | null; n: number; jewels: string[] }>(
      `SELECT r.classification, count(*)::int AS n,
              (array_agg(r.id) FILTER (WHERE coalesce(r.tags->>'crown-jewel', '') IN ('true', 'yes', '1')))[1:50] AS jewels
       FROM resources r JOIN json_to_recordset($1::json) AS w(account text, services text[])
         ON (w.account = '*' OR r.account = w.account)
        AND ('*' = ANY(w.services) OR split_part(r.id, ':', 3) = ANY(w.services))
       WHERE NOT (r.id = ANY($2::text[]))
       GROUP BY r.classification`, [JSON.stringify(pairs), [...listed.keys()]]);
    for (const r of rows) {
      const c = r.classification ?? 'unclassified';
      byClassification[c] = (byClassification[c] ?? 0) + r.n;
      total += r.n;
      for (const j of r.jewels ?? []) crownJewelSet.add(j);
    }
    if (crownJewelPatterns.length) {
      const pats = crownJewelPatterns.map((p) => p.replace(/[\\%_]/g, (m) => '\\' + m).replace(/\*/g, '%'));
      const jewels = await db.query<{ id: string }>(
        `SELECT r.id FROM resources r JOIN json_to_recordset($1::json) AS w(account text, services text[])
           ON (w.account = '*' OR r.account = w.account) AND ('*' = ANY(w.services) OR split_part(r.id, ':', 3) = ANY(w.services))
         WHERE r.id LIKE ANY($2::text[]) LIMIT 100`, [JSON.stringify(pairs), pats]);
      for (const j of jewels) crownJewelSet.add(j.id);
    }
  }
  const summary: NonNullable<TraceResult['blastRadius']> = {
    identities: identityIds.length,
    resources: total,
    byPrivilege: Object.fromEntries(Object.entries(byPrivilege).sort((a, b) => PRIV_ORDER.indexOf(b[0]) - PRIV_ORDER.indexOf(a[0]))),
    byClassification,
    crownJewels: [...crownJewelSet].sort().slice(0, 100),
  };
  return { summary, crownJewelSet };
}
