import { matchesAny } from '../../lib/patterns.js';
import type { Db } from '../../store/index.js';
import type { NodeInfo } from './trace.js';
import type { TraceResult } from './types.js';

const PRIV_ORDER = ['read', 'write', 'credential', 'privesc', 'admin'];

/**
 * What a set of identities can reach, by privilege and by resource sensitivity: resources reached
 * through `can_access` edges (observed or configured) and through Allow entitlements whose action
 * service and resource pattern match a known resource (a potential reach; the permissions engine
 * evaluates Deny, boundaries and conditions). `*` resources reach only resources of the same account.
 */
export async function blastRadius(db: Db, start: string, reached: string[], info: Map<string, NodeInfo>, crownJewelPatterns: string[]) {
  const ids = [start, ...reached];
  const identityIds = ids.filter((i) => info.has(i) && !info.get(i)!.resource);
  const byPrivilege: Record<string, number> = {};
  for (const i of identityIds) {
    const p = info.get(i)!.privilege ?? 'none';
    byPrivilege[p] = (byPrivilege[p] ?? 0) + 1;
  }
  const resources = new Map<string, { classification: string | null; tags: Record<string, string> }>();
  for (const i of ids) {
    const n = info.get(i);
    if (n?.resource) resources.set(i, { classification: n.classification, tags: {} });
  }
  const accounts = [...new Set(identityIds.map((i) => info.get(i)!.account).filter((a): a is string => Boolean(a)))];
  const ents = identityIds.length
    ? await db.query<{ identity_id: string; actions: string[]; resources: string[] }>(
        `SELECT identity_id, actions, resources FROM entitlements WHERE identity_id = ANY($1::text[]) AND effect = 'Allow' AND via <> 'boundary'`, [identityIds])
    : [];
  if (ents.length) {
    const candidates = await db.query<{ id: string; account: string | null; classification: string | null; tags: Record<string, string> }>(
      `SELECT id, account, classification, tags FROM resources WHERE account IS NULL OR account = ANY($1::text[]) LIMIT 200000`, [accounts]);
    for (const r of candidates) {
      if (resources.has(r.id)) continue;
      const service = r.id.split(':')[2] ?? '';
      for (const e of ents) {
        const acct = info.get(e.identity_id)?.account ?? null;
        const sameAccount = !r.account || !acct || r.account === acct;
        if (!e.actions.some((a) => a === '*' || a.split(':')[0] === service || a.split(':')[0] === '*')) continue;
        // S3 object patterns (bucket/*) reach the bucket's data.
        const pats = e.resources.map((p) => (service === 's3' ? p.replace(/\/.*$/, '') : p));
        if (pats.some((p) => p === '*') ? sameAccount : matchesAny(r.id, pats)) {
          resources.set(r.id, { classification: r.classification, tags: r.tags ?? {} });
          break;
        }
      }
    }
  }
  const byClassification: Record<string, number> = {};
  const crownJewelSet = new Set<string>();
  for (const [id, r] of resources) {
    const c = r.classification ?? 'unclassified';
    byClassification[c] = (byClassification[c] ?? 0) + 1;
    if (matchesAny(id, crownJewelPatterns) || /^(true|yes|1)$/i.test(r.tags['crown-jewel'] ?? '')) crownJewelSet.add(id);
  }
  const summary: NonNullable<TraceResult['blastRadius']> = {
    identities: identityIds.length,
    resources: resources.size,
    byPrivilege: Object.fromEntries(Object.entries(byPrivilege).sort((a, b) => PRIV_ORDER.indexOf(b[0]) - PRIV_ORDER.indexOf(a[0]))),
    byClassification,
    crownJewels: [...crownJewelSet].sort(),
  };
  return { summary, crownJewelSet, resources };
}
