import { z } from 'zod';
import { Severity } from '../../model/index.js';

/**
 * The rule language (documented in docs/engines.md, "Detections"). Rules are data: YAML files in
 * ./rules, validated with these schemas when loaded, so that a typo in a rule file fails loudly with
 * the file and rule named instead of silently never matching.
 *
 * A condition tests one path of the event view (see ./view.ts): `detail.requestParameters.userName`,
 * `chain.mfa`, `actor.kind`, `sessionName`. A `*` segment walks every element of a list or every value
 * of an object; the condition holds when any value reached does.
 */
const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const OneOrMany = z.union([z.string(), z.array(z.string()).min(1)]);

export type Condition =
  | { path: string; equals?: z.infer<typeof Scalar>; notEquals?: z.infer<typeof Scalar>; in?: z.infer<typeof Scalar>[]; notIn?: z.infer<typeof Scalar>[];
      exists?: boolean; regex?: string; glob?: string | string[]; contains?: string; equalsPath?: string; notEqualsPath?: string; gt?: number; lt?: number;
      ignoreCase?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const TEST_KEYS = ['equals', 'notEquals', 'in', 'notIn', 'exists', 'regex', 'glob', 'contains', 'equalsPath', 'notEqualsPath', 'gt', 'lt'] as const;

const FieldTest = z.strictObject({
  path: z.string().min(1),
  equals: Scalar.optional(),
  notEquals: Scalar.optional(),
  in: z.array(Scalar).min(1).optional(),
  notIn: z.array(Scalar).min(1).optional(),
  exists: z.boolean().optional(),
  regex: z.string().optional(),
  glob: OneOrMany.optional(),
  contains: z.string().optional(),
  equalsPath: z.string().optional(),
  notEqualsPath: z.string().optional(),
  gt: z.number().optional(),
  lt: z.number().optional(),
  ignoreCase: z.boolean().optional(),
}).refine((c) => TEST_KEYS.filter((k) => c[k] !== undefined).length === 1, {
  message: `a condition names its path and exactly one test (${TEST_KEYS.join(', ')})`,
});

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    FieldTest,
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ not: Condition }),
  ]),
) as z.ZodType<Condition>;

/** What an event must be for the rule to look at it. Lists are alternatives; `*` globs are allowed. */
export const Match = z.strictObject({
  provider: OneOrMany.optional(),
  service: OneOrMany.optional(),
  action: OneOrMany.optional(),
  /** `not_failure` takes success and unknown: several audit logs do not say whether a change worked. */
  outcome: z.enum(['success', 'failure', 'unknown', 'not_failure', 'any']).default('success'),
  actorKind: OneOrMany.optional(),
  /** Every condition holds. */
  all: z.array(Condition).default([]),
  /** At least one holds (when given). */
  any: z.array(Condition).default([]),
  /** None holds. */
  none: z.array(Condition).default([]),
});
export type Match = z.infer<typeof Match>;

const Duration = z.string().regex(/^\d+(?:\.\d+)?\s*[smhdw]$/, 'expected a duration like 10m, 1h, 2d');

/** Who an alert is about: the actor, the target, the identities the chain names, the credential's holder. */
export const IdentityRef = z.enum(['actor', 'target', 'chain', 'credential']);

export const Rule = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'rule ids are lower-case words joined by . or -'),
  title: z.string().min(1),
  description: z.string().default(''),
  severity: Severity,
  mitre: z.array(z.string().regex(/^T\d{4}(?:\.\d{3})?$/, 'MITRE ATT&CK technique ids look like T1098 or T1098.001')).min(1),
  /**
   * - match: every matching event is an alert
   * - first_time: only the first matching event per key (`key` paths) in the subject's history
   * - burst: `count` matching events (distinct values of `distinct`, when given) within `window` per key
   * - new_network: a matching event from a network (/24, /48) the subject (`key`) never used before
   */
  type: z.enum(['match', 'first_time', 'burst', 'new_network']).default('match'),
  match: Match,
  /** Paths whose values group state (first_time, burst, new_network); default the actor. */
  key: z.array(z.string()).min(1).default(['actorId']),
  count: z.number().int().min(2).optional(),
  window: Duration.optional(),
  distinct: z.string().optional(),
  identities: z.array(IdentityRef).min(1).default(['actor', 'target', 'chain', 'credential']),
  confidence: z.number().min(0).max(1).default(0.7),
  enabled: z.boolean().default(true),
}).superRefine((r, ctx) => {
  if (r.type === 'burst' && (!r.count || !r.window)) ctx.addIssue({ code: 'custom', message: 'a burst rule needs count and window' });
  if (r.type !== 'burst' && (r.count !== undefined || r.window !== undefined)) ctx.addIssue({ code: 'custom', message: 'count and window belong to burst rules' });
});
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;

export const RuleFile = z.strictObject({
  /** What the file covers, for people reading it. */
  description: z.string().default(''),
  rules: z.array(Rule).min(1),
});
