import { z } from 'zod';
import { CONTRACT_VERSION, EntitlementVia, Privilege } from '../../model/index.js';

/**
 * The permissions contract (`idcopilot permissions ID --json`, the engine's return values). Additive
 * changes only within a contract version.
 */

/** One policy statement that took part in a decision. */
export const StatementMatch = z.object({
  /** The policy id (managed policy ARN, `inline:<principal>:<name>`, `trust:<role>`, an SCP id). */
  policy: z.string(),
  /** Position of the statement in the policy's Statement list. */
  statement: z.number().int().nonnegative(),
  sid: z.string().nullable(),
  effect: z.enum(['Allow', 'Deny']),
  via: EntitlementVia,
  viaId: z.string().nullable(),
  /** The statement applies only if conditions whose facts are unknown hold. */
  conditional: z.boolean(),
});
export type StatementMatch = z.infer<typeof StatementMatch>;

export const DecisionKind = z.enum(['allow', 'deny', 'implicit_deny']);

export const Decision = z.object({
  decision: DecisionKind,
  /** True when unknown facts (conditions, unread policies) could change the decision. */
  conditional: z.boolean(),
  matched: z.array(StatementMatch),
  /** Policies that reach the principal but whose documents are not in the store. */
  unknownPolicies: z.array(z.string()).default([]),
  crossAccount: z.boolean().default(false),
  /** Why the decision is what it is, in words (Deny, boundary, SCP, trust, cross-account, unknown facts). */
  reasons: z.array(z.string()).default([]),
});
export type Decision = z.infer<typeof Decision>;

export const EvaluationResult = Decision.extend({
  principal: z.string(),
  action: z.string(),
  resource: z.string(),
  /** Condition keys that were unknown in the statements that matched conditionally. */
  unknownKeys: z.array(z.string()).default([]),
});
export type EvaluationResult = z.infer<typeof EvaluationResult>;

/** `idcopilot permissions ID --action A --json`. */
export const EvaluationOutput = EvaluationResult.extend({ contractVersion: z.literal(CONTRACT_VERSION) });
export type EvaluationOutput = z.infer<typeof EvaluationOutput>;

/** IAM access levels as the AWS service reference states them. */
export const AccessLevel = z.enum(['List', 'Read', 'Write', 'Tagging', 'Permissions management']);
export type AccessLevel = z.infer<typeof AccessLevel>;

export const ServicePermissions = z.object({
  service: z.string(),
  /** Actions allowed on some resource, out of how many the service has. */
  allowed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Allowed actions per access level. */
  byAccessLevel: z.record(z.string(), z.number().int().nonnegative()),
  /** Highest privilege among the allowed actions. */
  privilege: Privilege,
  /** Allowed actions that reach every resource of their type (Resource "*"). */
  onAllResources: z.number().int().nonnegative(),
  /** Allowed actions that hold only if unknown conditions hold. */
  conditional: z.number().int().nonnegative(),
  /** Up to 20 of the allowed actions, most privileged first. */
  sample: z.array(z.string()),
});
export type ServicePermissions = z.infer<typeof ServicePermissions>;

export const EffectivePermissions = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  principal: z.string(),
  provider: z.string(),
  /** Every action on every resource, with no Deny, boundary or SCP taking any away. */
  admin: z.boolean(),
  privilege: Privilege.nullable(),
  services: z.array(ServicePermissions),
  byPrivilege: z.record(z.string(), z.number().int().nonnegative()),
  policies: z.array(z.object({ id: z.string(), via: EntitlementVia, viaId: z.string().nullable(), statements: z.number().int() })),
  boundary: z.array(z.string()).nullable(),
  scps: z.array(z.string()).nullable(),
  unknownPolicies: z.array(z.string()),
  notes: z.array(z.string()).default([]),
});
export type EffectivePermissions = z.infer<typeof EffectivePermissions>;

/** The risk categories cloudsplaining popularised, found per policy document. */
export const RiskCategory = z.enum(['PrivilegeEscalation', 'ResourceExposure', 'DataExfiltration', 'CredentialsExposure', 'InfrastructureModification', 'ServiceWildcard']);
export type RiskCategory = z.infer<typeof RiskCategory>;

export const PolicyRisks = z.object({
  policy: z.string(),
  PrivilegeEscalation: z.array(z.object({ method: z.string(), actions: z.array(z.string()) })),
  ResourceExposure: z.array(z.string()),
  DataExfiltration: z.array(z.string()),
  CredentialsExposure: z.array(z.string()),
  InfrastructureModification: z.array(z.string()),
  ServiceWildcard: z.array(z.string()),
});
export type PolicyRisks = z.infer<typeof PolicyRisks>;
