import type { Entitlement } from '../../model/index.js';
import { coversAction, coversResource, type CompiledPolicy, type CompiledStatement, type PrincipalFacts } from './compile.js';
import type { RequestContext } from './context.js';
import { MAYBE, NO, YES, and, or, type Tri } from './tri.js';
import type { Decision, StatementMatch } from './types.js';

/** A policy as it reaches a principal: the compiled document and how it is attached. */
export interface AttachedPolicy {
  policy: CompiledPolicy;
  via: Entitlement['via'];
  viaId: string | null;
}

export type PrincipalType = 'user' | 'role' | 'group' | 'other';

/** Everything that decides what one AWS principal may do, gathered once and reused per request. */
export interface PolicySet {
  principal: PrincipalFacts & { type: PrincipalType };
  /** Identity-based policies: attached, inline, and those of the groups the user is in. */
  identity: AttachedPolicy[];
  /** The permissions boundary, or null when there is none. */
  boundary: AttachedPolicy[] | null;
  /** Service control policies that apply to the principal's account, or null when none are known. */
  scps: AttachedPolicy[] | null;
  /** Policies that reach the principal but whose documents are nowhere in the store. */
  unknown: string[];
  /** Facts about the principal (aws:PrincipalArn, aws:username, principal tags). */
  context: RequestContext;
}

export interface ResourceSide {
  /** Resource-based policies on the target (a bucket policy, a role's trust policy). */
  policies: AttachedPolicy[];
  /** The account that owns the resource, when known. */
  account: string | null;
  /** Whether resource policies for this resource could have been ingested at all (false: unknown). */
  known: boolean;
  /** The policies include the role's trust policy: without its Allow no one assumes the role. */
  trust?: boolean;
}

const NONE: ResourceSide = { policies: [], account: null, known: true };

/**
 * The AWS evaluation logic, in the order AWS documents it: an explicit Deny anywhere wins; SCPs and a
 * permissions boundary must each allow; then an identity-based or resource-based Allow grants (within
 * one account either suffices; across accounts both are needed). Unknown facts are carried as "maybe":
 * the decision is the one the request gets when they turn out favourable, and `conditional` says that
 * the unfavourable reading differs.
 */
export function decide(set: PolicySet, action: string, resource: string, ctx: RequestContext = set.context, side: ResourceSide = NONE, collect = true): Decision {
  const a = action.toLowerCase();
  const matched: StatementMatch[] = [];
  let deny: Tri = NO;
  let idAllow: Tri = NO;
  const visit = (list: AttachedPolicy[], allowSink: (t: Tri) => void, principal = false) => {
    for (const att of list) {
      for (const st of att.policy.statements) {
        const t = statementApplies(st, a, resource, ctx, principal ? set.principal : null);
        if (t === NO) continue;
        if (st.effect === 'Deny') deny = or(deny, t);
        else allowSink(t);
        if (collect) matched.push(matchOf(st, att, t));
      }
    }
  };
  visit(set.identity, (t) => (idAllow = or(idAllow, t)));
  let boundaryAllow: Tri = set.boundary ? NO : YES;
  if (set.boundary) visit(set.boundary, (t) => (boundaryAllow = or(boundaryAllow, t)));
  let scpAllow: Tri = set.scps ? NO : YES;
  if (set.scps) visit(set.scps, (t) => (scpAllow = or(scpAllow, t)));

  let resDirect: Tri = NO;
  let resAccount: Tri = NO;
  for (const att of side.policies) {
    for (const st of att.policy.statements) {
      const t = statementApplies(st, a, resource, ctx, set.principal);
      if (t === NO) continue;
      if (st.effect === 'Deny') deny = or(deny, t);
      else if (principalMatch(st, set.principal) === 'direct') resDirect = or(resDirect, t);
      else resAccount = or(resAccount, t);
      if (collect) matched.push(matchOf(st, att, t));
    }
  }

  const sameAccount = !side.account || !set.principal.account || side.account === set.principal.account;
  const identityPath = and(idAllow, boundaryAllow);
  let grant: Tri;
  if (side.trust && a.startsWith('sts:assumerole')) {
    // A trust policy is always required. Naming the principal itself suffices within the account;
    // naming its account (root) delegates to the account's own policies, which must then allow it.
    grant = or(and(resDirect, sameAccount ? YES : identityPath), and(resAccount, identityPath));
  } else if (sameAccount) {
    // A resource policy naming an IAM user directly is not limited by the user's boundary; one naming a
    // role is (AWS evaluates the session, which the boundary bounds).
    const resourcePath = and(resDirect, set.principal.type === 'user' ? YES : boundaryAllow);
    grant = or(identityPath, resourcePath);
  } else {
    const resourceAllows = side.known ? or(resDirect, resAccount) : or(or(resDirect, resAccount), MAYBE);
    grant = and(identityPath, resourceAllows);
  }
  grant = and(grant, scpAllow);

  const optimistic = deny === YES ? 'deny' : grant !== NO ? 'allow' : 'implicit_deny';
  const pessimistic = deny !== NO ? 'deny' : grant === YES ? 'allow' : 'implicit_deny';
  const reasons: string[] = [];
  if (collect) {
    const trustRequired = Boolean(side.trust && a.startsWith('sts:assumerole'));
    if (deny !== NO) reasons.push(`${deny === YES ? 'an' : 'a conditional'} explicit Deny applies`);
    if (set.scps && scpAllow === NO) reasons.push('no service control policy allows it');
    if (set.boundary && boundaryAllow === NO && idAllow !== NO) reasons.push(`the permissions boundary (${set.boundary.map((b) => b.policy.id).join(', ')}) does not allow it`);
    if (idAllow === NO && !(resDirect !== NO && (sameAccount || trustRequired))) reasons.push('no identity-based policy allows it');
    if (trustRequired && resDirect === NO && resAccount === NO) reasons.push("the role's trust policy does not name this principal or its account");
    if (!sameAccount && !trustRequired && resDirect === NO && resAccount === NO) reasons.push(side.known ? 'cross-account: no resource policy of the owner allows it' : 'cross-account: the owner\'s resource policy is not in the store');
    if (optimistic !== pessimistic) reasons.push('depends on condition keys or policies whose facts are unknown');
  }
  return {
    decision: optimistic,
    conditional: optimistic !== pessimistic,
    matched,
    unknownPolicies: set.unknown,
    crossAccount: !sameAccount,
    reasons,
  };
}

/** Whether one statement applies to the request: action, resource, principal (resource policies), condition. */
export function statementApplies(st: CompiledStatement, action: string, resource: string, ctx: RequestContext, principal: PrincipalFacts | null): Tri {
  if (!coversAction(st, action)) return NO;
  let t = coversResource(st, resource, ctx);
  if (t === NO) return NO;
  if (principal && (st.principals || st.notPrincipals)) {
    if (principalMatch(st, principal) === null) return NO;
  }
  if (st.condition) t = and(t, st.condition.test(ctx));
  return t;
}

function principalMatch(st: CompiledStatement, p: PrincipalFacts): 'direct' | 'account' | null {
  if (st.notPrincipals) return st.notPrincipals.match(p) ? null : 'direct';
  if (!st.principals) return 'direct';
  return st.principals.match(p);
}

function matchOf(st: CompiledStatement, att: AttachedPolicy, t: Tri): StatementMatch {
  return {
    policy: st.policy, statement: st.index, sid: st.sid, effect: st.effect, via: att.via, viaId: att.viaId,
    conditional: t === MAYBE,
  };
}

/**
 * What a principal may do with an action on some resource, without naming one: the question an
 * effective-permissions summary asks. `scope` is `all` when an allowing statement covers every
 * resource, `some` when only named ones.
 */
export function actionReach(set: PolicySet, action: string): { allowed: Tri; scope: 'all' | 'some' | 'none' } {
  const a = action.toLowerCase();
  let allow: Tri = NO;
  let all = false;
  for (const att of set.identity) {
    for (const st of att.policy.statements) {
      if (st.effect !== 'Allow' || !coversAction(st, a)) continue;
      const t = st.condition ? st.condition.test(set.context) : YES;
      if (t === NO) continue;
      allow = or(allow, t);
      if (st.resources?.any && !st.notResources) all = true;
    }
  }
  if (allow === NO) return { allowed: NO, scope: 'none' };
  // A Deny on every resource removes the action; a narrower one leaves the rest of it.
  for (const list of [set.identity, set.boundary ?? [], set.scps ?? []]) {
    for (const att of list) {
      for (const st of att.policy.statements) {
        if (st.effect !== 'Deny' || !coversAction(st, a) || !st.resources?.any) continue;
        const t = st.condition ? st.condition.test(set.context) : YES;
        if (t === YES) return { allowed: NO, scope: 'none' };
        if (t === MAYBE) allow = and(allow, MAYBE);
      }
    }
  }
  for (const list of [set.boundary, set.scps]) {
    if (!list) continue;
    let ok: Tri = NO;
    for (const att of list) {
      for (const st of att.policy.statements) {
        if (st.effect !== 'Allow' || !coversAction(st, a)) continue;
        ok = or(ok, st.condition ? st.condition.test(set.context) : YES);
      }
    }
    allow = and(allow, ok);
    if (allow === NO) return { allowed: NO, scope: 'none' };
  }
  return { allowed: allow, scope: all ? 'all' : 'some' };
}
