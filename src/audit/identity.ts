import type { Config, EdgeInput, IdentityInput, OwnerClaimInput } from '../model/index.js';
import { Edge, Identity, OwnerClaim } from '../model/index.js';
import type { Db } from '../store/index.js';
import { agentId, principalId, type PrincipalKind } from './ids.js';
import { ALL_SCOPES, type Scope } from './scopes.js';

/** Facts about the copilot's own identity that a reviewer looks for first. */
const POSTURE = {
  readOnlyTowardsWatchedSystems: true,
  holdsWatchedSystemCredentials: false,
  writes: ['its audit log', 'incident status', 'derived scores and embeddings'],
} as const;

export interface CopilotIdentityOptions {
  /** Scopes the running surface grants (attributes.scopes); default all. */
  scopes?: readonly Scope[];
  /** The surface that inserted it (`serve`, `cli`). */
  surface?: string;
  /** Principals to make sure of at the same time (the local user, token holders). */
  principals?: { name: string; kind?: PrincipalKind; scopes?: readonly string[] }[];
}

/**
 * The copilot appears in its own inventory as an `ai_agent` (`copilot:agent:<name>`) with an
 * accountable owner from the configuration, autonomy `assisted` (it proposes, people act), and the
 * scopes it exercises; each principal that drives it is `copilot:principal:<name>`, linked by an
 * `acts_for` edge. Idempotent and cheap to repeat: nothing is written when the rows already say so.
 */
export async function ensureCopilotIdentity(db: Db, config: Config, opts: CopilotIdentityOptions = {}): Promise<{ agent: string; written: boolean }> {
  const agent = agentId(config.copilot.name);
  const scopes = [...(opts.scopes ?? ALL_SCOPES)];
  const attributes = { ...POSTURE, scopes, owner: config.copilot.owner, surfaces: opts.surface ? [opts.surface] : [] };
  const principals = opts.principals ?? [];
  const ids = [agent, ...principals.map((p) => principalId(p.name))];
  const existing = await db.query<{ id: string; attributes: Record<string, unknown> }>('SELECT id, attributes FROM identities WHERE id = ANY($1::text[])', [ids]);
  const byId = new Map(existing.map((r) => [r.id, r.attributes ?? {}]));
  const [claim] = await db.query(`SELECT ref FROM owner_claims WHERE target = $1 AND source = 'config'`, [agent]);
  const agentCurrent = byId.has(agent) && sameList(byId.get(agent)!.scopes, scopes) && byId.get(agent)!.owner === config.copilot.owner
    && (!opts.surface || (byId.get(agent)!.surfaces as string[] | undefined)?.includes(opts.surface)) && claim?.ref === config.copilot.owner;
  const missing = principals.filter((p) => !byId.has(principalId(p.name)) || !sameList(byId.get(principalId(p.name))!.scopes, p.scopes ?? []));
  if (agentCurrent && missing.length === 0) return { agent, written: false };

  await db.transaction(async (tx) => {
    if (!agentCurrent) {
      const surfaces = [...new Set([...((byId.get(agent)?.surfaces as string[] | undefined) ?? []), ...attributes.surfaces])];
      await upsertIdentity(tx, {
        id: agent, kind: 'ai_agent', provider: 'copilot', name: config.copilot.name, status: 'active', autonomy: 'assisted',
        tags: {}, attributes: { ...attributes, surfaces }, origin: 'inventory',
      });
      // A changed owner replaces the old claim rather than standing beside it with the same confidence.
      await tx.query(`DELETE FROM owner_claims WHERE target = $1 AND source = 'config' AND ref <> $2`, [agent, config.copilot.owner]);
      const ownerRef = config.copilot.owner;
      const claimValue: OwnerClaimInput = {
        target: agent, ref: ownerRef, refType: ownerRef.includes('@') ? 'email' : 'identity', role: 'owner', source: 'config', confidence: 1,
        evidence: ['idcopilot.yaml:copilot.owner'],
      };
      const c = OwnerClaim.parse(claimValue);
      await tx.query(
        `INSERT INTO owner_claims (target, ref, ref_type, role, source, confidence, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (target, ref, ref_type, role, source) DO UPDATE SET confidence = excluded.confidence, evidence = excluded.evidence`,
        [c.target, c.ref, c.refType, c.role, c.source, c.confidence, JSON.stringify(c.evidence)]);
      // Resolve the owner now where the inventory knows them; the ownership engine redoes it after each ingest.
      const [owner] = await tx.query<{ id: string }>(
        c.refType === 'email'
          ? `SELECT id FROM identities WHERE lower(email) = lower($1) AND kind = 'human' ORDER BY (provider = 'hr') DESC, id LIMIT 1`
          : `SELECT id FROM identities WHERE id = $1`, [ownerRef]);
      if (owner) {
        await upsertEdge(tx, {
          from: owner.id, to: agent, kind: 'owns', potential: true, evidence: c.evidence,
          attributes: { resolvedBy: 'ownership', source: 'config', confidence: 1, role: 'owner', ref: ownerRef, refType: c.refType },
        });
      }
    }
    for (const p of missing) {
      const pid = principalId(p.name);
      await upsertIdentity(tx, {
        id: pid, kind: p.kind ?? 'human', provider: 'copilot', name: p.name, status: 'active', autonomy: null, tags: {},
        attributes: { principalOf: agent, scopes: [...(p.scopes ?? [])] }, origin: 'inventory',
      });
      // The agent acts for the principal, within the principal's scopes: trace shows who can drive it.
      await upsertEdge(tx, { from: agent, to: pid, kind: 'acts_for', potential: true, evidence: [], attributes: { scopes: [...(p.scopes ?? [])] } });
    }
  });
  return { agent, written: true };
}

function sameList(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Identity rows of the copilot's own: its attributes are its own to replace, not merged with stale ones. */
async function upsertIdentity(db: Db, input: IdentityInput): Promise<void> {
  const i = Identity.parse(input);
  await db.query(
    `INSERT INTO identities (id, kind, provider, name, email, account, environment, status, created_at, last_seen_at, autonomy, tags, attributes, origin)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13::jsonb, $14)
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, status = excluded.status, autonomy = excluded.autonomy,
       attributes = excluded.attributes, origin = excluded.origin`,
    [i.id, i.kind, i.provider, i.name, i.email, i.account, i.environment, i.status, i.createdAt, i.lastSeenAt, i.autonomy, JSON.stringify(i.tags), JSON.stringify(i.attributes), i.origin]);
}

async function upsertEdge(db: Db, input: EdgeInput): Promise<void> {
  const e = Edge.parse(input);
  await db.query(
    `INSERT INTO edges (from_id, kind, to_id, potential, observed, count, evidence, attributes) VALUES ($1, $2, $3, $4, false, 0, $5::jsonb, $6::jsonb)
     ON CONFLICT (from_id, kind, to_id) DO UPDATE SET potential = edges.potential OR excluded.potential, attributes = edges.attributes || excluded.attributes`,
    [e.from, e.kind, e.to, e.potential, JSON.stringify(e.evidence), JSON.stringify(e.attributes)]);
}
