import { coversAction } from './compile.js';
import type { AttachedPolicy, PolicySet } from './decide.js';
import { MAYBE, NO, YES, and, or, type Tri } from './tri.js';

/**
 * IAM actions a Deny must leave alone for a principal to count as administrator: with them it can
 * rewrite its own permissions, so a Deny elsewhere (a guardrail on s3:DeleteBucket) does not make it
 * less than admin.
 */
const CONTROL_ACTIONS = ['iam:putrolepolicy', 'iam:attachrolepolicy', 'iam:putuserpolicy', 'iam:attachuserpolicy', 'iam:createpolicyversion', 'iam:passrole'];

/**
 * Administrator: an Allow of every action on every resource in each layer that applies (identity,
 * boundary, SCPs), and no Deny on every resource that takes away control over IAM. `MAYBE` when that
 * Allow or such a Deny depends on unknown conditions.
 */
export function adminStatus(set: PolicySet): Tri {
  let t = allowsEverything(set.identity, set);
  if (t === NO) return NO;
  if (set.boundary) t = and(t, allowsEverything(set.boundary, set));
  if (set.scps) t = and(t, allowsEverything(set.scps, set));
  if (t === NO) return NO;
  for (const list of [set.identity, set.boundary ?? [], set.scps ?? []]) {
    for (const att of list) {
      for (const st of att.policy.statements) {
        if (st.effect !== 'Deny' || !st.resources?.any) continue;
        if (!CONTROL_ACTIONS.some((a) => coversAction(st, a))) continue;
        const c = st.condition ? st.condition.test(set.context) : YES;
        if (c === YES) return NO;
        if (c === MAYBE) t = and(t, MAYBE);
      }
    }
  }
  return t;
}

function allowsEverything(list: AttachedPolicy[], set: PolicySet): Tri {
  let t: Tri = NO;
  for (const att of list) {
    for (const st of att.policy.statements) {
      if (st.effect !== 'Allow' || !st.actions?.any || !st.resources?.any || st.notResources) continue;
      t = or(t, st.condition ? st.condition.test(set.context) : YES);
      if (t === YES) return YES;
    }
  }
  return t;
}
