import { MACHINE_KINDS, type Identity, type IdentityKind } from '../model/index.js';
import type { Db, Row } from '../store/index.js';
import { ensureIdentityEmbeddings, HashingEmbedder, identityProfile, similar, type Embedder } from './embeddings/index.js';
import { ownersOf } from './ownership.js';

export function rowToIdentity(r: Row): Identity {
  return {
    id: r.id,
    kind: r.kind,
    provider: r.provider,
    name: r.name,
    email: r.email ?? null,
    account: r.account ?? null,
    environment: r.environment,
    status: r.status,
    createdAt: r.created_at ? new Date(r.created_at).toISOString() : null,
    lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at).toISOString() : null,
    autonomy: r.autonomy ?? null,
    tags: r.tags ?? {},
    attributes: r.attributes ?? {},
    origin: r.origin,
  };
}

export async function getIdentity(db: Db, id: string): Promise<Identity | null> {
  const [r] = await db.query('SELECT * FROM identities WHERE id = $1', [id]);
  return r ? rowToIdentity(r) : null;
}

export interface LookupHit {
  identity: Identity;
  match: 'exact' | 'text' | 'semantic';
  score: number;
  owner: string | null;
}

export interface LookupOptions {
  limit?: number;
  embedder?: Embedder;
  /** Compute missing embeddings on the fly up to this many (the rest stays for `idcopilot index`). */
  embedBudget?: number;
}

/**
 * Find identities by what an analyst knows: an id, a name, an email, an access key id, a tag value;
 * then, to fill the page, by semantic similarity of identity profiles. Case-insensitive.
 */
export async function lookup(db: Db, query: string, opts: LookupOptions = {}): Promise<{ hits: LookupHit[]; notice: string | null }> {
  const limit = Math.min(opts.limit ?? 20, 100);
  const q = query.trim();
  const hits = new Map<string, LookupHit>();
  const add = (r: Row, match: LookupHit['match'], score: number) => {
    if (!hits.has(r.id) && hits.size < limit) hits.set(r.id, { identity: rowToIdentity(r), match, score, owner: null });
  };
  for (const r of await db.query('SELECT * FROM identities WHERE lower(id) = lower($1)', [q])) add(r, 'exact', 1);
  // Credential ids and key ids lead to the identity that holds them.
  for (const r of await db.query(
    `SELECT i.* FROM credentials c JOIN identities i ON i.id = c.identity_id
     WHERE lower(c.id) = lower($1) OR lower(c.id) LIKE '%:' || lower($1) LIMIT $2`, [q, limit])) add(r, 'exact', 1);
  if (hits.size < limit) {
    const like = `%${q.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m)}%`;
    const rows = await db.query(
      `SELECT *, (CASE WHEN lower(name) = lower($2) OR lower(email) = lower($2) THEN 0.95
                       WHEN lower(name) LIKE $1 OR lower(email) LIKE $1 THEN 0.8 ELSE 0.6 END) AS s
       FROM identities
       WHERE lower(id) LIKE $1 OR lower(name) LIKE $1 OR lower(coalesce(email, '')) LIKE $1 OR lower(tags::text) LIKE $1
       ORDER BY s DESC, length(name), id LIMIT $3`, [like, q, limit]);
    for (const r of rows) add(r, 'text', Number(r.s));
  }
  let notice: string | null = null;
  if (hits.size < limit) {
    const embedder = opts.embedder ?? new HashingEmbedder();
    const { remaining } = await ensureIdentityEmbeddings(db, embedder, opts.embedBudget ?? 5000);
    if (remaining > 0) notice = `semantic search covers part of the store (${remaining} identities not yet embedded; run \`idcopilot index\`)`;
    const [vector] = await embedder.embed([identityProfile({ id: '', kind: '', provider: '', name: q })]);
    const near = await similar(db, 'identity', vector, limit * 2, embedder.model);
    const ids = near.filter((n) => !hits.has(n.id) && n.score > 0.05).map((n) => n.id);
    if (ids.length) {
      const rows = await db.query('SELECT * FROM identities WHERE id = ANY($1::text[])', [ids]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const n of near) if (byId.has(n.id)) add(byId.get(n.id)!, 'semantic', Math.round(n.score * 1000) / 1000);
    }
  }
  const list = [...hits.values()];
  const owners = await ownersOf(db, list.map((h) => h.identity.id));
  for (const h of list) h.owner = owners.get(h.identity.id)?.ownerId ?? null;
  return { hits: list, notice };
}

/** Identities the provider runs for itself (AWS service principals, service-linked roles): nobody in the company owns them. */
export const PROVIDER_MANAGED_SQL = `(i.id LIKE 'aws:service:%' OR i.id = 'aws:principal:*'
  OR coalesce(i.attributes->>'path', '') LIKE '/aws-service-role/%' OR coalesce(i.attributes->>'path', '') LIKE '/aws-reserved/%'
  OR coalesce(i.attributes->>'providerManaged', 'false') = 'true')`;

const INACTIVE_OWNER = ['terminated', 'inactive', 'disabled', 'suspended', 'deleted'];

export interface Posture {
  identities: number;
  byKind: Record<string, number>;
  byProvider: Record<string, number>;
  humans: number;
  machines: number;
  /** machines per human (people counted once: HR records when present, else human accounts). */
  machineToHuman: number | null;
  ownership: { ownable: number; owned: number; coverage: number | null };
  orphaned: { id: string; kind: IdentityKind; name: string; reason: string; owner: string | null }[];
  orphanedCount: number;
  agentsByAutonomy: Record<string, number>;
}

/**
 * Inventory figures: identities by kind and provider, the machine:human ratio, ownership coverage and
 * orphaned machine identities (no accountable owner, or an owner who has left).
 */
export async function posture(db: Db, opts: { orphanLimit?: number } = {}): Promise<Posture> {
  const kinds = await db.query<{ kind: string; provider: string; n: number }>(`SELECT kind, provider, count(*)::int AS n FROM identities GROUP BY kind, provider`);
  const byKind: Record<string, number> = {};
  const byProvider: Record<string, number> = {};
  let total = 0;
  for (const r of kinds) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + r.n;
    byProvider[r.provider] = (byProvider[r.provider] ?? 0) + r.n;
    total += r.n;
  }
  const [people] = await db.query<{ hr: number; accounts: number }>(`
    SELECT count(*) FILTER (WHERE provider = 'hr' AND kind = 'human')::int AS hr,
           count(*) FILTER (WHERE kind = 'human')::int AS accounts FROM identities`);
  const humans = people.hr > 0 ? people.hr : people.accounts;
  const machines = MACHINE_KINDS.reduce((s, k) => s + (byKind[k] ?? 0), 0);

  // Ownable: machine identities that exist (not deleted) and that the provider does not run itself.
  const ownable = await db.query<{ id: string; kind: IdentityKind; name: string }>(`
    SELECT i.id, i.kind, i.name FROM identities i
    WHERE i.kind = ANY($1::text[]) AND i.status NOT IN ('deleted') AND NOT ${PROVIDER_MANAGED_SQL}
    ORDER BY i.id`, [MACHINE_KINDS]);
  const owners = await ownersOf(db, ownable.map((r) => r.id));
  const orphaned: Posture['orphaned'] = [];
  let owned = 0;
  for (const r of ownable) {
    const o = owners.get(r.id);
    if (!o) orphaned.push({ id: r.id, kind: r.kind, name: r.name, reason: 'no accountable owner', owner: null });
    else if (INACTIVE_OWNER.includes(o.ownerStatus)) orphaned.push({ id: r.id, kind: r.kind, name: r.name, reason: `owner ${o.ownerName} is ${o.ownerStatus}`, owner: o.ownerId });
    else owned++;
  }
  const agents = await db.query<{ autonomy: string | null; n: number }>(`SELECT autonomy, count(*)::int AS n FROM identities WHERE kind = 'ai_agent' GROUP BY autonomy`);
  // Owners who left come first: they are the ones most likely to hide a live credential.
  orphaned.sort((a, b) => Number(b.owner !== null) - Number(a.owner !== null) || a.id.localeCompare(b.id));
  return {
    identities: total,
    byKind,
    byProvider,
    humans,
    machines,
    machineToHuman: humans > 0 ? Math.round((machines / humans) * 10) / 10 : null,
    ownership: { ownable: ownable.length, owned, coverage: ownable.length ? Math.round((owned / ownable.length) * 1000) / 1000 : null },
    orphaned: orphaned.slice(0, opts.orphanLimit ?? 1_000_000),
    orphanedCount: orphaned.length,
    agentsByAutonomy: Object.fromEntries(agents.map((a) => [a.autonomy ?? 'unknown', a.n])),
  };
}
