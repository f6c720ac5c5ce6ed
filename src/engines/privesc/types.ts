import { z } from 'zod';
import { CONTRACT_VERSION } from '../../model/index.js';

/**
 * The privilege-escalation contract (`idcopilot privesc [ID] --json`). A step reads "from can act as
 * `to`" (or, when `gains` is `admin`, "from makes `to` an administrator and acts as it"); a path ends
 * at an administrator. Additive changes only within a contract version.
 */
export const EscalationStep = z.object({
  from: z.string(),
  to: z.string(),
  /** Catalogue method ids; `a+b` when a grant and a move combine in one step. Delegation edges by kind. */
  via: z.string(),
  /** The actions (AWS), verbs (Kubernetes) or permissions (GCP) that make the step possible. */
  actions: z.array(z.string()),
  /** `admin`: the step itself makes `to` an administrator; `identity`: `from` acts with `to`'s permissions. */
  gains: z.enum(['admin', 'identity']),
  /** The step needs a fact the store cannot show (a condition, a running workload, an old policy version). */
  conditional: z.boolean(),
  /** Records that show the step is possible: policy ids, trust policies, bindings. */
  evidence: z.array(z.string()).default([]),
});
export type EscalationStep = z.infer<typeof EscalationStep>;

export const EscalationPath = z.object({ steps: z.array(EscalationStep) });
export type EscalationPath = z.infer<typeof EscalationPath>;

export const PrincipalEscalation = z.object({
  id: z.string(),
  name: z.string(),
  provider: z.string(),
  kind: z.string(),
  /** Already an administrator (of its AWS account, Kubernetes cluster or GCP project): no path needed. */
  isAdmin: z.boolean(),
  reachesAdmin: z.boolean(),
  /** Fewest steps to an administrator (0 for one), or null. */
  steps: z.number().int().nullable(),
  /** Some path uses an escalation method, not only delegation it was granted (assume role, federation). */
  escalates: z.boolean(),
  /** `definite`: an escalating path needs no unknown fact; `conditional`: every one does; `none`. */
  escalation: z.enum(['none', 'conditional', 'definite']),
  /** No path without a conditional step: reaching admin depends on facts the store cannot show. */
  conditional: z.boolean(),
  paths: z.array(EscalationPath),
  /** Paths found before the cap; `truncated` when the cap or the work budget cut the search. */
  pathsFound: z.number().int(),
  truncated: z.boolean(),
});
export type PrincipalEscalation = z.infer<typeof PrincipalEscalation>;

export const PrivescResult = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  catalog: z.object({ origin: z.string(), format: z.string(), methods: z.number().int(), modelled: z.number().int().nullable(), entries: z.number().int().nullable() }),
  limits: z.object({ maxDepth: z.number().int(), maxPaths: z.number().int() }),
  totals: z.object({
    principals: z.number().int(), admins: z.number().int(), reachAdmin: z.number().int(),
    /** Principals (not administrators) with an escalating path; `escalateDefinite`: one that needs no unknown fact. */
    escalate: z.number().int(), escalateDefinite: z.number().int(),
  }),
  principals: z.array(PrincipalEscalation),
  notes: z.array(z.string()).default([]),
});
export type PrivescResult = z.infer<typeof PrivescResult>;
