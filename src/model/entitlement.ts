import { z } from 'zod';
import { Attributes, Origin, Provider } from './common.js';
import { IdentityId } from './identity.js';

/**
 * Privilege levels, lowest to highest. `credential` mints or reads credentials (iam:CreateAccessKey,
 * sts:AssumeRole, secretsmanager:GetSecretValue); `privesc` can change permissions (a path to admin);
 * `admin` is full control.
 */
export const Privilege = z.enum(['read', 'write', 'credential', 'privesc', 'admin']);
export type Privilege = z.infer<typeof Privilege>;
export const PRIVILEGE_RANK: Record<Privilege, number> = { read: 0, write: 1, credential: 2, privesc: 3, admin: 4 };

/** How a policy reaches an identity. */
export const EntitlementVia = z.enum(['direct', 'group', 'boundary', 'role_binding', 'grant', 'scp', 'resource']);

/** One policy statement as it applies to one identity. */
export const Entitlement = z.object({
  id: z.string().min(1),
  identityId: IdentityId,
  effect: z.enum(['Allow', 'Deny']),
  actions: z.array(z.string()).default([]),
  notActions: z.array(z.string()).default([]),
  resources: z.array(z.string()).default([]),
  notResources: z.array(z.string()).default([]),
  conditions: z.unknown().nullable().default(null),
  privilege: Privilege,
  /** The policy id (a managed policy ARN, `inline:<principal>:<name>`, a role binding). */
  sourcePolicy: z.string(),
  via: EntitlementVia.default('direct'),
  /** The group, binding or grant it comes through, when not direct. */
  viaId: z.string().nullable().default(null),
});
export type Entitlement = z.infer<typeof Entitlement>;
export type EntitlementInput = z.input<typeof Entitlement>;

export const PolicyKind = z.enum(['managed', 'inline', 'boundary', 'scp', 'resource', 'trust', 'role']);

/** A policy document kept whole, so that the engines can evaluate it (Allow, Deny, NotAction, conditions). */
export const Policy = z.object({
  id: z.string().min(1),
  provider: Provider,
  name: z.string(),
  kind: PolicyKind,
  document: z.unknown(),
  attributes: Attributes.default({}),
  /** `derived` for documents the project ships (AWS-managed policies missing from an export): a real export's document wins. */
  origin: Origin.default('inventory'),
});
export type Policy = z.infer<typeof Policy>;
export type PolicyInput = z.input<typeof Policy>;
