import type { Db } from '../../store/index.js';
import { adminStatus } from '../permissions/admin.js';
import { actionReach, decide, type PolicySet, type ResourceSide } from '../permissions/decide.js';
import { assemblePolicySet, loadScps, PolicyCache, principalType } from '../permissions/store.js';
import { NO, YES, type Tri } from '../permissions/tri.js';
import type { Method } from './catalog.js';
import type { EscalationGraph } from './graph.js';
import type { EscalationStep } from './types.js';

/**
 * AWS principals in the escalation graph. Everything is read in a handful of queries and evaluated in
 * memory: policy documents are compiled once per policy id, and each principal's answer to "may I do
 * X at all?" is cached per set of policies, which most principals share with many others.
 */
interface Principal {
  id: string;
  name: string;
  kind: string;
  account: string | null;
  type: 'user' | 'role' | 'group';
  set: PolicySet;
  /** Customer-managed policies that reach it (the targets of CreatePolicyVersion). */
  managed: string[];
  groups: string[];
  serviceLinked: boolean;
  /** Shared by principals whose "may I do X at all" answers must agree (see signature). */
  sig: string | null;
}

interface Loaded {
  principals: Map<string, Principal>;
  byAccount: Map<string, { users: string[]; roles: string[]; groups: string[] }>;
  /** Roles a service principal may assume (`aws:service:lambda.amazonaws.com` -> roles). */
  serviceRoles: Map<string, string[]>;
  /** Roles an instance profile carries. */
  profileRoles: Set<string>;
  /** Trust: roles that name a principal, an account root, or anyone. */
  trustedBy: Map<string, string[]>;
  trustSide: (role: string) => ResourceSide;
  candidateCache: Map<string, string[]>;
}

const ANYONE = 'aws:principal:*';

export async function addAws(db: Db, graph: EscalationGraph, methods: Method[]): Promise<{ principals: number }> {
  const l = await load(db);
  const aws = methods.filter((m) => m.provider === 'aws');
  const shared = new Map<string, Map<string, Tri>>();
  const own = new Map<string, Map<string, Tri>>();
  const reach = (p: Principal, action: string): Tri => {
    // Principals with the same policies and no condition can only differ by who they are: share the answer.
    const key = p.sig;
    const pool = key === null ? own : shared;
    const k = key ?? p.id;
    let c = pool.get(k);
    if (!c) pool.set(k, (c = new Map()));
    let t = c.get(action);
    if (t === undefined) c.set(action, (t = actionReach(p.set, action).allowed));
    return t;
  };

  for (const p of l.principals.values()) {
    graph.addNode({ id: p.id, name: p.name, provider: 'aws', kind: p.kind, principal: p.type !== 'group' });
    if (adminStatus(p.set) === YES) graph.addAdmin(p.id);
  }
  for (const p of l.principals.values()) {
    if (graph.admins.has(p.id)) continue;
    const usable = aws.filter((m) => m.requires.every((a) => reach(p, a) !== NO));
    if (!usable.length) continue;
    const moves: EscalationStep[] = [];
    for (const m of usable) {
      if (m.yields === 'workload_role') workloadCandidates(l, graph, p, m);
      else moves.push(...movesFor(l, p, m));
    }
    for (const s of moves) graph.addMove(s);
    for (const m of usable) {
      if (m.yields === 'grant') for (const s of selfGrants(l, p, m)) graph.addFinish(s);
      if (m.yields === 'grant_unbounded') for (const s of unbounded(p, p, m)) graph.addFinish(s);
    }
    // A grant on a principal it can become: make it an administrator, then act as it.
    const grants = usable.filter((m) => m.yields === 'grant' || m.yields === 'grant_unbounded');
    if (grants.length) {
      // Rare (a principal that can both write policies and run code as roles), so expanded in full.
      for (const m of usable.filter((x) => x.yields === 'workload_role')) {
        for (const role of candidateRoles(l, p, m)) moves.push({ from: p.id, to: role, via: m.id, actions: m.requires, gains: 'identity', conditional: true, evidence: [`trust:${role}`] });
      }
    }
    for (const mv of moves) {
      const y = l.principals.get(mv.to);
      if (!y || y.type === 'group' || graph.admins.has(y.id)) continue;
      for (const g of grants) {
        for (const s of g.yields === 'grant' ? grantsOn(l, p, y, g) : unbounded(p, y, g)) {
          graph.addFinish({ ...s, to: y.id, via: `${g.id}+${mv.via}`, actions: union(s.actions, mv.actions), conditional: s.conditional || mv.conditional, evidence: union(s.evidence, mv.evidence) });
        }
      }
    }
  }
  return { principals: [...l.principals.values()].filter((p) => p.type !== 'group').length };
}

/** Principals with identical policy lists and no conditions anywhere decide alike on "may I do X at all". */
function signature(set: PolicySet): string | null {
  const parts: string[] = [];
  for (const list of [set.identity, set.boundary ?? [], set.scps ?? []]) {
    for (const a of list) {
      if (a.policy.statements.some((s) => s.condition)) return null;
      parts.push(a.policy.id);
    }
    parts.push('|');
  }
  return parts.join('\u0000');
}

async function load(db: Db): Promise<Loaded> {
  const cache = new PolicyCache();
  const idRows = await db.query(`SELECT id, name, kind, account, CASE WHEN tags = '{}'::jsonb THEN NULL ELSE tags::text END AS tags FROM identities WHERE provider = 'aws' AND id LIKE 'arn:%'`);
  // Only AWS ids start with `arn:`: no join needed, which PGlite would make three times slower.
  const refRows = await db.query(`SELECT DISTINCT identity_id, source_policy AS policy, via, via_id AS "viaId" FROM entitlements WHERE identity_id LIKE 'arn:%'`);
  // Documents as text: JSON.parse in Node is faster than the driver's jsonb decoding.
  const docRows = await db.query(`SELECT id, document::text AS document FROM policies WHERE provider = 'aws'`);
  const edgeRows = await db.query(`SELECT from_id, to_id, kind FROM edges WHERE kind IN ('can_assume', 'member_of', 'runs_as') AND potential`);
  const scps = await loadScps(db);

  const documents = new Map<string, unknown>();
  for (const d of docRows) documents.set(d.id, d.document === null ? null : JSON.parse(d.document));
  const refs = new Map<string, Array<{ policy: string; via: PolicySet['identity'][number]['via']; viaId: string | null }>>();
  for (const r of refRows) {
    const list = refs.get(r.identity_id) ?? [];
    list.push({ policy: r.policy, via: r.via, viaId: r.viaId });
    refs.set(r.identity_id, list);
  }
  const groupsOf = new Map<string, string[]>();
  const serviceRoles = new Map<string, string[]>();
  const profileRoles = new Set<string>();
  const trustedBy = new Map<string, string[]>();
  for (const e of edgeRows) {
    if (e.kind === 'member_of' && e.to_id.includes(':group/')) add(groupsOf, e.from_id, e.to_id);
    else if (e.kind === 'runs_as' && e.from_id.includes(':instance-profile/')) profileRoles.add(e.to_id);
    else if (e.kind === 'can_assume') {
      if (e.from_id.startsWith('aws:service:')) add(serviceRoles, e.from_id.slice('aws:service:'.length), e.to_id);
      else add(trustedBy, e.from_id, e.to_id);
    }
  }

  const principals = new Map<string, Principal>();
  const byAccount: Loaded['byAccount'] = new Map();
  for (const r of idRows) {
    const type = principalType(r.id);
    if (type === 'other') continue;
    const set = assemblePolicySet({ id: r.id, name: r.name, account: r.account, tags: r.tags ? JSON.parse(r.tags) : {} }, refs.get(r.id) ?? [], documents, scps, cache, true);
    const managed = [...new Set(set.identity.map((a) => a.policy.id).filter(isCustomerManaged))];
    const p: Principal = {
      id: r.id, name: r.name, kind: r.kind, account: set.principal.account, type: type as Principal['type'], set, managed,
      groups: groupsOf.get(r.id) ?? [], serviceLinked: r.id.includes(':role/aws-service-role/'), sig: signature(set),
    };
    principals.set(r.id, p);
    const acct = p.account ?? '';
    let a = byAccount.get(acct);
    if (!a) byAccount.set(acct, (a = { users: [], roles: [], groups: [] }));
    (type === 'user' ? a.users : type === 'role' ? a.roles : a.groups).push(r.id);
  }
  const sides = new Map<string, ResourceSide>();
  const trustSide = (role: string): ResourceSide => {
    let s = sides.get(role);
    if (!s) {
      const id = `trust:${role}`;
      const doc = documents.get(id);
      s = { policies: doc ? [{ policy: cache.getTrusted(id, doc), via: 'resource', viaId: id }] : [], account: principals.get(role)?.account ?? role.split(':')[4] ?? null, known: doc !== undefined, trust: true };
      sides.set(role, s);
    }
    return s;
  };
  return { principals, byAccount, serviceRoles, profileRoles, trustedBy, trustSide, candidateCache: new Map() };
}

function isCustomerManaged(id: string): boolean {
  return id.startsWith('arn:') && id.includes(':policy/') && !/^arn:[^:]+:iam::aws:policy\//.test(id);
}

/** Decide every required action of a method on one resource; null when any is not allowed. */
function allowedOn(p: Principal, m: Method, resource: string, extra: Record<string, string> = {}, side?: ResourceSide, only?: string[]): { conditional: boolean; evidence: string[] } | null {
  const ctx = Object.keys(extra).length ? p.set.context.with(extra) : p.set.context;
  let conditional = false;
  const evidence: string[] = [];
  for (const a of only ?? m.requires) {
    const d = decide(p.set, a, resource, ctx, side);
    if (d.decision !== 'allow') return null;
    conditional ||= d.conditional;
    for (const s of d.matched) if (s.effect === 'Allow' && !evidence.includes(s.policy)) evidence.push(s.policy);
  }
  return { conditional, evidence };
}

function step(p: Principal, to: string, m: Method, gains: EscalationStep['gains'], r: { conditional: boolean; evidence: string[] }, extraEvidence: string[] = []): EscalationStep {
  return { from: p.id, to, via: m.id, actions: m.requires, gains, conditional: r.conditional || Boolean(m.conditional), evidence: union(r.evidence, extraEvidence) };
}

/** Grants on the principal itself: its own user or role, a group it is in, a policy it carries. */
function selfGrants(l: Loaded, p: Principal, m: Method): EscalationStep[] {
  return grantsOn(l, p, p, m).map((s) => ({ ...s, to: p.id }));
}

/** Grants by `p` that reach `y`: y itself, y's groups, y's customer-managed policies. */
function grantsOn(l: Loaded, p: Principal, y: Principal, m: Method): EscalationStep[] {
  if (y.serviceLinked || y.account !== p.account) return [];
  const targets: string[] = [];
  if (m.target === 'user' && y.type === 'user') targets.push(y.id);
  else if (m.target === 'role' && y.type === 'role') targets.push(y.id);
  else if (m.target === 'group') targets.push(...(y.type === 'group' ? [y.id] : y.groups));
  else if (m.target === 'policy') targets.push(...y.managed);
  const out: EscalationStep[] = [];
  for (const t of targets) {
    const r = allowedOn(p, m, t);
    if (r) out.push(step(p, y.id, m, 'admin', r, t === y.id ? [] : [t]));
  }
  return out;
}

/** Removing or replacing a boundary makes an administrator of a principal whose own policies already are. */
function unbounded(p: Principal, y: Principal, m: Method): EscalationStep[] {
  if (!y.set.boundary || y.type === 'group' || (m.target === 'user') !== (y.type === 'user') || y.account !== p.account) return [];
  if (adminStatus({ ...y.set, boundary: null }) !== YES) return [];
  const r = allowedOn(p, m, y.id);
  return r ? [step(p, y.id, m, 'admin', r, y.set.boundary.map((b) => b.policy.id))] : [];
}

/** Roles of the principal's account that a service of the method may run as (with an instance profile where needed). */
function candidateRoles(l: Loaded, p: Principal, m: Method): string[] {
  const key = `${p.account}\u0000${m.id}`;
  let list = l.candidateCache.get(key);
  if (!list) {
    const set = new Set<string>();
    for (const svc of m.services ?? []) {
      for (const role of l.serviceRoles.get(svc) ?? []) {
        const r = l.principals.get(role);
        if (!r || r.serviceLinked || r.account !== p.account || (m.instanceProfile && !l.profileRoles.has(role))) continue;
        set.add(role);
      }
    }
    l.candidateCache.set(key, (list = [...set]));
  }
  return list;
}

/**
 * Code in an existing function, instance or build runs as its role; which ones exist is not in the
 * store, so every role the service may run as is a conditional target, added only where it leads on.
 */
function workloadCandidates(l: Loaded, graph: EscalationGraph, p: Principal, m: Method): void {
  const roles = candidateRoles(l, p, m);
  graph.addCandidates(p.id, roles, (to) => ({
    from: p.id, to, via: m.id, actions: m.requires, gains: 'identity', conditional: true, evidence: [`trust:${to}`],
  }));
}

function movesFor(l: Loaded, p: Principal, m: Method): EscalationStep[] {
  const out: EscalationStep[] = [];
  const acct = l.byAccount.get(p.account ?? '') ?? { users: [], roles: [], groups: [] };
  const notSelf = (id: string) => id !== p.id && !l.principals.get(id)?.serviceLinked;
  switch (m.yields) {
    case 'assume': {
      const candidates = new Set<string>([...(l.trustedBy.get(p.id) ?? []), ...(l.trustedBy.get(`arn:aws:iam::${p.account}:root`) ?? []), ...(l.trustedBy.get(ANYONE) ?? [])]);
      for (const role of candidates) {
        if (role === p.id) continue;
        const side = l.trustSide(role);
        const d = decide(p.set, 'sts:AssumeRole', role, p.set.context, side);
        if (d.decision !== 'allow') continue;
        const evidence = [...new Set(d.matched.filter((s) => s.effect === 'Allow').map((s) => s.policy))];
        out.push(step(p, role, m, 'identity', { conditional: d.conditional, evidence }));
      }
      return out;
    }
    case 'trust':
      for (const role of acct.roles) {
        if (!notSelf(role)) continue;
        const r = allowedOn(p, m, role);
        if (r) out.push(step(p, role, m, 'identity', r, [`trust:${role}`]));
      }
      return out;
    case 'credentials':
      for (const user of acct.users) {
        if (!notSelf(user)) continue;
        const r = allowedOn(p, m, user);
        if (r) out.push(step(p, user, m, 'identity', r));
      }
      return out;
    case 'membership':
      if (p.type !== 'user') return out;
      for (const g of acct.groups) {
        if (p.groups.includes(g)) continue;
        const r = allowedOn(p, m, g);
        if (r) out.push(step(p, g, m, 'identity', r));
      }
      return out;
    case 'passed_role': {
      for (const role of candidateRoles(l, p, m)) {
        const passRole = m.requires.find((a) => a.toLowerCase() === 'iam:passrole') ?? 'iam:PassRole';
        for (const svc of m.services ?? []) {
          if (!(l.serviceRoles.get(svc) ?? []).includes(role)) continue;
          const r = allowedOn(p, m, role, { 'iam:PassedToService': svc }, undefined, [passRole]);
          if (r) {
            out.push(step(p, role, m, 'identity', r, [`trust:${role}`]));
            break;
          }
        }
      }
      return out;
    }
    default:
      return out;
  }
}

function add(map: Map<string, string[]>, k: string, v: string): void {
  const l = map.get(k);
  if (l) {
    if (!l.includes(v)) l.push(v);
  } else map.set(k, [v]);
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
