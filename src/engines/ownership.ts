import type { Db } from '../store/index.js';

/**
 * Resolve owner claims (as sources state them: an email in a tag, an employee id in a CMDB map, the
 * creator in CloudTrail) into `owns` edges from the owner's identity to the owned one. Derived data:
 * recomputed as a whole after each ingest, in one transaction, so it is idempotent and a claim that
 * disappears takes its edge with it.
 */
export async function resolveOwnership(db: Db): Promise<{ edges: number; unresolved: number }> {
  return db.transaction(async (tx) => {
    // Teams named only in maps or tags still get an identity, so that "owned by team X" is a fact.
    await tx.query(`
      INSERT INTO identities (id, kind, provider, name, origin, status)
      SELECT DISTINCT 'hr:team:' || ${slugSql('c.ref')}, 'group', 'hr', c.ref, 'derived', 'active'
      FROM owner_claims c WHERE c.ref_type = 'team'
      ON CONFLICT (id) DO NOTHING`);
    await tx.query(`DELETE FROM edges WHERE kind = 'owns' AND attributes->>'resolvedBy' = 'ownership'`);
    const inserted = await tx.query<{ n: number }>(`
      WITH targets AS (
        -- Exact targets join on the key; only the few patterns are matched with LIKE (an OR of the two
        -- would make every claim scan every identity).
        SELECT c.*, c.target AS target_id FROM owner_claims c
        WHERE strpos(c.target, '*') = 0 AND EXISTS (SELECT 1 FROM identities i WHERE i.id = c.target)
        UNION ALL
        SELECT c.*, i.id AS target_id FROM owner_claims c
        CROSS JOIN LATERAL (
          SELECT id FROM identities i
          WHERE i.id ~>=~ split_part(c.target, '*', 1) AND i.id ~<~ (split_part(c.target, '*', 1) || chr(1114111))
            AND i.id LIKE ${likePatternSql('c.target')}
        ) i
        WHERE strpos(c.target, '*') > 0
      ),
      resolved AS (
        SELECT t.*, (
          CASE t.ref_type
            WHEN 'identity' THEN (SELECT id FROM identities WHERE id = t.ref)
            WHEN 'employee_id' THEN (SELECT id FROM identities WHERE id = 'hr:employee:' || t.ref)
            WHEN 'team' THEN 'hr:team:' || ${slugSql('t.ref')}
            WHEN 'email' THEN (SELECT id FROM identities WHERE lower(email) = lower(t.ref) AND kind = 'human'
                               ORDER BY (provider = 'hr') DESC, (origin = 'inventory') DESC, id LIMIT 1)
            WHEN 'username' THEN (SELECT id FROM identities WHERE kind = 'human' AND (lower(name) = lower(t.ref)
                                  OR lower(split_part(email, '@', 1)) = lower(t.ref))
                                  ORDER BY (provider = 'hr') DESC, id LIMIT 1)
          END) AS owner_id
        FROM targets t
      ),
      best AS (
        SELECT DISTINCT ON (owner_id, target_id, role) *
        FROM resolved WHERE owner_id IS NOT NULL AND owner_id <> target_id
        ORDER BY owner_id, target_id, role, confidence DESC, source
      ),
      ins AS (
        INSERT INTO edges (from_id, kind, to_id, potential, observed, count, evidence, attributes)
        SELECT owner_id, 'owns', target_id, true, false, 0, evidence,
               jsonb_build_object('resolvedBy', 'ownership', 'source', source, 'confidence', confidence,
                                  'role', role, 'ref', ref, 'refType', ref_type)
        FROM best
        ON CONFLICT (from_id, kind, to_id) DO UPDATE SET potential = true,
          attributes = edges.attributes || excluded.attributes, evidence = excluded.evidence
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM ins`);
    const [u] = await tx.query<{ n: number }>(`
      SELECT count(*)::int AS n FROM owner_claims c
      WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.kind = 'owns' AND e.attributes->>'ref' = c.ref)`);
    return { edges: inserted[0]?.n ?? 0, unresolved: u.n };
  });
}

/** The slug used for team ids: lower-case, runs of non-alphanumerics to '-'. Mirrors `slug()` below. */
function slugSql(expr: string): string {
  return `trim(both '-' from regexp_replace(lower(${expr}), '[^a-z0-9]+', '-', 'g'))`;
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** A `*` pattern as a LIKE pattern with %, _ and \ escaped. */
function likePatternSql(expr: string): string {
  return `replace(replace(replace(replace(${expr}, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%')`;
}

export interface OwnerInfo {
  /** The accountable owner: an HR person where the chain leads to one, else the owning identity. */
  ownerId: string;
  ownerName: string;
  ownerEmail: string | null;
  ownerStatus: string;
  /** `direct` (an owns edge to the identity) or `credential` (inherited from the identity holding it). */
  via: 'direct' | 'credential';
  source: string;
  confidence: number;
  team: string | null;
}

/**
 * The accountable owner of each identity: the highest-confidence person who owns it (or owns the
 * identity that holds it, for keys), followed to the HR record by email where the owner is an account
 * rather than a person's HR entry.
 */
export async function ownersOf(db: Db, ids: string[]): Promise<Map<string, OwnerInfo>> {
  const out = new Map<string, OwnerInfo>();
  if (ids.length === 0) return out;
  const rows = await db.query(`
    WITH wanted AS (SELECT unnest($1::text[]) AS id),
    direct AS (
      SELECT w.id, e.from_id AS owner_id, 'direct' AS via, e.attributes AS a
      FROM wanted w JOIN edges e ON e.to_id = w.id AND e.kind = 'owns'
    ),
    inherited AS (
      SELECT w.id, e.from_id AS owner_id, 'credential' AS via, e.attributes AS a
      FROM wanted w
      JOIN edges h ON h.to_id = w.id AND h.kind = 'owns_credential'
      JOIN edges e ON e.to_id = h.from_id AND e.kind = 'owns'
    ),
    candidates AS (SELECT * FROM direct UNION ALL SELECT * FROM inherited),
    person AS (
      SELECT c.*, o.name AS o_name, o.email AS o_email, o.status AS o_status, o.kind AS o_kind, o.provider AS o_provider,
             hr.id AS hr_id, hr.name AS hr_name, hr.status AS hr_status, hr.attributes->>'team' AS hr_team
      FROM candidates c
      JOIN identities o ON o.id = c.owner_id
      LEFT JOIN LATERAL (SELECT * FROM identities h WHERE h.provider = 'hr' AND h.kind = 'human'
                         AND o.provider <> 'hr' AND o.email IS NOT NULL AND lower(h.email) = lower(o.email) LIMIT 1) hr ON true
    )
    SELECT DISTINCT ON (id) * FROM person
    ORDER BY id, (a->>'role' = 'owner') DESC, (via = 'direct') DESC, (a->>'confidence')::real DESC NULLS LAST, owner_id`, [ids]);
  for (const r of rows) {
    const a = (r.a ?? {}) as Record<string, unknown>;
    out.set(r.id, {
      ownerId: r.hr_id ?? r.owner_id,
      ownerName: r.hr_name ?? r.o_name,
      ownerEmail: r.o_email ?? null,
      ownerStatus: r.hr_status ?? r.o_status,
      via: r.via,
      source: String(a.source ?? 'unknown'),
      confidence: Number(a.confidence ?? 0),
      team: r.hr_team ?? (r.o_kind === 'group' ? r.o_name : null),
    });
  }
  return out;
}
