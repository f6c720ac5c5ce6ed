import { accountOfArn } from '../../lib/aws/arn.js';
import type { Entitlement } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { compilePolicy, type CompiledPolicy } from './compile.js';
import { RequestContext } from './context.js';
import type { AttachedPolicy, PolicySet, PrincipalType, ResourceSide } from './decide.js';

/**
 * Compiled policies by policy id. A managed policy attached to ten thousand principals is compiled
 * once; the document text is kept beside it so that a policy changed by a later ingest is recompiled
 * rather than served stale by a long-running process.
 */
export class PolicyCache {
  private readonly byId = new Map<string, { text: string; compiled: CompiledPolicy }>();

  get(id: string, document: unknown): CompiledPolicy {
    const text = typeof document === 'string' ? document : JSON.stringify(document ?? null);
    const hit = this.byId.get(id);
    if (hit && hit.text === text) return hit.compiled;
    const compiled = compilePolicy(id, document);
    this.byId.set(id, { text, compiled });
    return compiled;
  }

  /** For bulk passes that read each document once: no text comparison. */
  getTrusted(id: string, document: unknown): CompiledPolicy {
    const hit = this.byId.get(id);
    if (hit) return hit.compiled;
    const compiled = compilePolicy(id, document);
    this.byId.set(id, { text: '', compiled });
    return compiled;
  }

  get size(): number {
    return this.byId.size;
  }
}

/** The process-wide cache engines share unless a caller brings its own. */
export const sharedPolicyCache = new PolicyCache();

export function principalType(id: string): PrincipalType {
  if (!id.startsWith('arn:')) return 'other';
  if (id.includes(':user/')) return 'user';
  if (id.includes(':role/') || id.includes(':assumed-role/')) return 'role';
  if (id.includes(':group/')) return 'group';
  return 'other';
}

export interface PrincipalRow {
  id: string;
  name: string;
  account: string | null;
  tags: Record<string, string>;
}

/** The facts a principal brings to every request it makes: ARN, account, user name, tags. */
export function principalContext(p: PrincipalRow, type: PrincipalType): RequestContext {
  const ctx = new RequestContext({
    'aws:PrincipalArn': p.id,
    'aws:PrincipalAccount': p.account,
    'aws:PrincipalType': type === 'user' ? 'User' : type === 'role' ? 'AssumedRole' : null,
    // Only IAM users have a user name; for role sessions the key is absent.
    'aws:username': type === 'user' ? p.name : null,
    'aws:PrincipalIsAWSService': 'false',
  });
  for (const [k, v] of Object.entries(p.tags ?? {})) ctx.set(`aws:PrincipalTag/${k}`, v);
  return ctx.completePrefix('aws:principaltag/');
}

interface PolicyRef {
  policy: string;
  via: Entitlement['via'];
  viaId: string | null;
}

/**
 * Build policy sets from entitlement references and stored documents. Identity policies are those
 * reaching the principal directly or through a group; `boundary` and `scp` references form the
 * other layers; SCP policies stored with `attributes.targets` (account ids, principal ids or `*`)
 * apply to every principal they target.
 */
export function assemblePolicySet(
  p: PrincipalRow, refs: PolicyRef[], documents: Map<string, unknown>, scpPolicies: StoredScp[], cache: PolicyCache, trusted = false,
): PolicySet {
  const type = principalType(p.id);
  const identity: AttachedPolicy[] = [];
  const boundary: AttachedPolicy[] = [];
  const scps: AttachedPolicy[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  const compiled = (id: string): CompiledPolicy | null => {
    if (!documents.has(id)) return null;
    const doc = documents.get(id);
    if (doc === null || doc === undefined) return null;
    return trusted ? cache.getTrusted(id, doc) : cache.get(id, doc);
  };
  for (const r of refs) {
    const key = `${r.policy}\u0000${r.via}\u0000${r.viaId ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const c = compiled(r.policy);
    if (!c) {
      if (!unknown.includes(r.policy)) unknown.push(r.policy);
      continue;
    }
    const att = { policy: c, via: r.via, viaId: r.viaId };
    if (r.via === 'boundary') boundary.push(att);
    else if (r.via === 'scp') scps.push(att);
    else if (r.via === 'direct' || r.via === 'group') identity.push(att);
  }
  for (const s of scpPolicies) {
    if (!s.targets.some((t) => t === '*' || t === p.account || t === p.id)) continue;
    if (scps.some((x) => x.policy.id === s.id)) continue;
    scps.push({ policy: trusted ? cache.getTrusted(s.id, s.document) : cache.get(s.id, s.document), via: 'scp', viaId: null });
  }
  return {
    principal: { id: p.id, account: p.account ?? accountOfArn(p.id), type },
    identity,
    boundary: boundary.length ? boundary : null,
    scps: scps.length ? scps : null,
    unknown,
    context: principalContext(p, type),
  };
}

export interface StoredScp {
  id: string;
  document: unknown;
  /** Account ids, principal ids, or `*`. */
  targets: string[];
}

export async function loadScps(db: Db): Promise<StoredScp[]> {
  const rows = await db.query(`SELECT id, document, attributes FROM policies WHERE kind = 'scp'`);
  return rows.map((r) => {
    const a = (r.attributes ?? {}) as Record<string, unknown>;
    const raw = a.targets ?? a.accounts ?? [];
    const targets = (Array.isArray(raw) ? raw : [raw]).filter((t): t is string => typeof t === 'string');
    return { id: r.id, document: r.document, targets };
  });
}

/** One principal's policy set, or null when the store does not know the principal. */
export async function loadPolicySet(db: Db, principalId: string, cache: PolicyCache = sharedPolicyCache): Promise<PolicySet | null> {
  const [row] = await db.query('SELECT id, name, account, tags FROM identities WHERE id = $1', [principalId]);
  if (!row) return null;
  const refs = await db.query(
    'SELECT DISTINCT source_policy AS policy, via, via_id AS "viaId" FROM entitlements WHERE identity_id = $1 ORDER BY 1, 2', [principalId],
  );
  const ids = [...new Set(refs.map((r) => r.policy as string))];
  const documents = new Map<string, unknown>();
  if (ids.length) for (const d of await db.query('SELECT id, document FROM policies WHERE id = ANY($1::text[])', [ids])) documents.set(d.id, d.document);
  return assemblePolicySet(
    { id: row.id, name: row.name, account: row.account, tags: row.tags ?? {} },
    refs as PolicyRef[], documents, await loadScps(db), cache,
  );
}

/**
 * The resource side of a request: the role's trust policy for a role, resource-based policies stored
 * with `attributes.resource` (a bucket policy covers the bucket and its objects), and the account.
 */
export async function loadResourceSide(db: Db, resource: string, cache: PolicyCache = sharedPolicyCache): Promise<ResourceSide> {
  const policies: AttachedPolicy[] = [];
  const trustId = resource.includes(':role/') ? `trust:${resource}` : null;
  const rows = await db.query(
    `SELECT id, kind, document, attributes FROM policies
     WHERE provider = 'aws' AND (id = $1 OR (kind = 'resource' AND (attributes->>'resource' = ANY($2::text[]) OR attributes->'resources' ?| $2::text[])))`,
    [trustId ?? '', resourceAncestors(resource)],
  );
  for (const r of rows) policies.push({ policy: cache.get(r.id, r.document), via: 'resource', viaId: r.id });
  const [res] = await db.query('SELECT account FROM resources WHERE id = $1', [resource]);
  return { policies, account: res?.account ?? accountOfArn(resource), known: true, trust: trustId !== null && policies.some((p) => p.policy.id === trustId) };
}

/** The resource and what contains it: `arn:aws:s3:::b/k/x` -> itself, `arn:aws:s3:::b`. */
function resourceAncestors(resource: string): string[] {
  const out = [resource];
  const s3 = /^(arn:[^:]+:s3:::[^/]+)\//.exec(resource);
  if (s3) out.push(s3[1]);
  return out;
}
