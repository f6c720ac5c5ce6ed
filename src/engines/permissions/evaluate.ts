import { CopilotError } from '../../lib/errors.js';
import type { Db } from '../../store/index.js';
import { decide } from './decide.js';
import { loadPolicySet, loadResourceSide, sharedPolicyCache, type PolicyCache } from './store.js';
import type { EvaluationResult } from './types.js';

export interface EvaluateOptions {
  cache?: PolicyCache;
}

/**
 * May `principalId` perform `action` on `resource`? Reads the principal's policies (identity, group,
 * boundary, SCPs) and the resource's (trust policy of a role, stored resource policies), then applies
 * the AWS evaluation logic. `context` supplies condition keys the store cannot know
 * (`{ 'aws:MultiFactorAuthPresent': 'true', 'iam:PassedToService': 'ec2.amazonaws.com' }`); keys not
 * given and not derivable leave the statements that test them conditional.
 */
export async function evaluate(
  db: Db, principalId: string, action: string, resource: string,
  context: Record<string, string | string[] | null> = {}, opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  if (!/^[\w-]+:[\w*?-]+$/.test(action) && action !== '*') throw new CopilotError('E_USAGE', `action "${action}" is not service:Action`);
  const cache = opts.cache ?? sharedPolicyCache;
  const [who] = await db.query('SELECT provider FROM identities WHERE id = $1', [principalId]);
  if (!who) throw new CopilotError('E_NOT_FOUND', `no identity ${principalId} in the store`);
  if (who.provider !== 'aws') throw new CopilotError('E_USAGE', `request evaluation covers AWS principals; ${principalId} is ${who.provider} (without --action, permissions summarises it)`);
  const set = (await loadPolicySet(db, principalId, cache))!;
  const side = await loadResourceSide(db, resource, cache);
  const ctx = set.context.with({ ...context, 'aws:ResourceAccount': context['aws:ResourceAccount'] ?? side.account ?? undefined });
  const d = decide(set, action, resource, ctx, side);
  const unknownKeys = new Set<string>();
  for (const m of d.matched) {
    if (!m.conditional) continue;
    const st = [...set.identity, ...(set.boundary ?? []), ...(set.scps ?? []), ...side.policies]
      .find((a) => a.policy.id === m.policy)?.policy.statements.find((s) => s.index === m.statement);
    for (const k of st?.condition?.keys ?? []) if (ctx.get(k) === undefined) unknownKeys.add(k);
  }
  return { ...d, principal: principalId, action, resource, unknownKeys: [...unknownKeys].sort() };
}
