import { actionCatalog, maxPrivilege } from '../../lib/aws/privilege.js';
import { CopilotError } from '../../lib/errors.js';
import { CONTRACT_VERSION, PRIVILEGE_RANK, type Privilege } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { adminStatus } from './admin.js';
import { awsActions, type ActionInfo } from './aws-actions.js';
import { actionReach, type PolicySet } from './decide.js';
import { loadPolicySet, sharedPolicyCache, type PolicyCache } from './store.js';
import { NO, YES } from './tri.js';
import type { EffectivePermissions, ServicePermissions } from './types.js';

/**
 * What a principal can do, by service and privilege level. For AWS principals every Allow pattern is
 * expanded against the action catalogue (`s3:Get*`, `*`, NotAction), then each action is checked
 * against Denies, the boundary and SCPs; other providers are summarised from their entitlements.
 */
export async function effectivePermissions(db: Db, principalId: string, opts: { cache?: PolicyCache } = {}): Promise<EffectivePermissions> {
  const [row] = await db.query('SELECT id, provider FROM identities WHERE id = $1', [principalId]);
  if (!row) throw new CopilotError('E_NOT_FOUND', `no identity ${principalId} in the store`);
  if (row.provider !== 'aws') return entitlementSummary(db, principalId, row.provider);
  const set = (await loadPolicySet(db, principalId, opts.cache ?? sharedPolicyCache))!;
  return summarise(set);
}

/** The summary for a policy set already in memory (the privesc pass reuses it). */
export async function summarise(set: PolicySet): Promise<EffectivePermissions> {
  const patterns: string[] = [];
  let everything = false;
  for (const att of set.identity) {
    for (const st of att.policy.statements) {
      if (st.effect !== 'Allow') continue;
      if (st.notActions || st.actions?.any) everything = true;
      else patterns.push(...st.raw.actions);
    }
  }
  if (everything) await awsActions.ensureAll();
  else await awsActions.ensureFor(patterns);
  const candidates = new Map<string, ActionInfo>();
  for (const a of everything ? awsActions.expand('*') : patterns.flatMap((p) => awsActions.expand(p))) candidates.set(a.key, a);
  const services = new Set([...candidates.values()].map((a) => a.service));
  await actionCatalog.ensureServices(services);

  const byService = new Map<string, ServicePermissions & { ranked: Array<{ name: string; rank: number }> }>();
  const byPrivilege: Record<string, number> = {};
  let top: Privilege | null = null;
  for (const a of candidates.values()) {
    const r = actionReach(set, a.key);
    if (r.allowed === NO) continue;
    let s = byService.get(a.service);
    if (!s) {
      s = { service: a.service, allowed: 0, total: awsActions.actionsOf(a.service).length, byAccessLevel: {}, privilege: 'read', onAllResources: 0, conditional: 0, sample: [], ranked: [] };
      byService.set(a.service, s);
    }
    const p = actionCatalog.patternPrivilege(a.name);
    s.allowed++;
    s.byAccessLevel[a.level] = (s.byAccessLevel[a.level] ?? 0) + 1;
    s.privilege = maxPrivilege(s.privilege, p);
    if (r.scope === 'all') s.onAllResources++;
    if (r.allowed !== YES) s.conditional++;
    s.ranked.push({ name: a.name, rank: PRIVILEGE_RANK[p] });
    byPrivilege[p] = (byPrivilege[p] ?? 0) + 1;
    top = top ? maxPrivilege(top, p) : p;
  }
  const admin = adminStatus(set) === YES;
  const servicesOut = [...byService.values()]
    .map(({ ranked, ...s }) => ({ ...s, sample: ranked.sort((x, y) => y.rank - x.rank || x.name.localeCompare(y.name)).slice(0, 20).map((r) => r.name) }))
    .sort((x, y) => PRIVILEGE_RANK[y.privilege] - PRIVILEGE_RANK[x.privilege] || y.allowed - x.allowed || x.service.localeCompare(y.service));
  const notes: string[] = [];
  if (set.unknown.length) notes.push(`${set.unknown.length} policies reach this principal without a document in the store: their permissions are not counted`);
  if (everything) notes.push('a statement allows every action (`*` or NotAction): every service in the catalogue was expanded');
  return {
    contractVersion: CONTRACT_VERSION,
    principal: set.principal.id,
    provider: 'aws',
    admin,
    privilege: admin ? 'admin' : top,
    services: servicesOut,
    byPrivilege,
    policies: set.identity.map((a) => ({ id: a.policy.id, via: a.via, viaId: a.viaId, statements: a.policy.statements.length })),
    boundary: set.boundary?.map((a) => a.policy.id) ?? null,
    scps: set.scps?.map((a) => a.policy.id) ?? null,
    unknownPolicies: set.unknown,
    notes,
  };
}

/**
 * Kubernetes, GCP and the rest: what their connectors state as entitlements (a role binding's role,
 * an RBAC rule's resource:verb pairs), counted by service or resource and privilege.
 */
async function entitlementSummary(db: Db, principalId: string, provider: string): Promise<EffectivePermissions> {
  const direct = await db.query('SELECT actions, privilege, source_policy, via, via_id FROM entitlements WHERE identity_id = $1', [principalId]);
  // Kubernetes subjects get their rules through the roles they are bound to (member_of edges).
  const bound = await db.query(
    `SELECT e.actions, e.privilege, e.source_policy, 'role_binding' AS via, m.to_id AS via_id
     FROM edges m JOIN entitlements e ON e.identity_id = m.to_id
     WHERE m.from_id = $1 AND m.kind = 'member_of'`, [principalId]);
  const rows = [...direct, ...bound];
  const byService = new Map<string, ServicePermissions>();
  const byPrivilege: Record<string, number> = {};
  let top: Privilege | null = null;
  for (const r of rows) {
    const p = r.privilege as Privilege;
    const actions = (r.actions as string[]).length ? (r.actions as string[]) : [String(r.source_policy)];
    for (const a of actions) {
      const service = serviceOf(a, provider);
      let s = byService.get(service);
      if (!s) byService.set(service, (s = { service, allowed: 0, total: 0, byAccessLevel: {}, privilege: p, onAllResources: 0, conditional: 0, sample: [] }));
      s.allowed++;
      s.total++;
      s.privilege = maxPrivilege(s.privilege, p);
      if (s.sample.length < 20) s.sample.push(a);
    }
    byPrivilege[p] = (byPrivilege[p] ?? 0) + actions.length;
    top = top ? maxPrivilege(top, p) : p;
  }
  const policies = new Map<string, { id: string; via: EffectivePermissions['policies'][number]['via']; viaId: string | null; statements: number }>();
  for (const r of rows) {
    const k = `${r.source_policy}|${r.via}|${r.via_id ?? ''}`;
    const e = policies.get(k) ?? { id: r.source_policy, via: r.via, viaId: r.via_id ?? null, statements: 0 };
    e.statements++;
    policies.set(k, e);
  }
  return {
    contractVersion: CONTRACT_VERSION, principal: principalId, provider, admin: top === 'admin', privilege: top,
    services: [...byService.values()].sort((x, y) => PRIVILEGE_RANK[y.privilege] - PRIVILEGE_RANK[x.privilege] || x.service.localeCompare(y.service)),
    byPrivilege, policies: [...policies.values()], boundary: null, scps: null, unknownPolicies: [],
    notes: [`${provider} permissions are summarised from the entitlements its connector stores; request-level evaluation covers AWS`],
  };
}

/** `roles/storage.admin` -> storage; `apps/deployments:create` -> apps/deployments; `pods:get` -> pods. */
function serviceOf(action: string, provider: string): string {
  if (provider === 'gcp') {
    const m = /^roles\/([^.]+)\./.exec(action);
    return m ? m[1] : action.replace(/^roles\//, '');
  }
  const c = action.lastIndexOf(':');
  return c === -1 ? action : action.slice(0, c);
}
