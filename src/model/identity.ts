import { z } from 'zod';
import { Attributes, Autonomy, Environment, IsoTime, Origin, Provider, Tags } from './common.js';

export const IdentityKind = z.enum([
  'human', 'service_account', 'role', 'api_key', 'oauth_app', 'ai_agent', 'workload', 'bot', 'group', 'certificate',
]);
export type IdentityKind = z.infer<typeof IdentityKind>;
/** Every kind but `human` (and `group`, a container) is a machine identity. */
export const MACHINE_KINDS: readonly IdentityKind[] = [
  'service_account', 'role', 'api_key', 'oauth_app', 'ai_agent', 'workload', 'bot', 'certificate',
];

export const IdentityStatus = z.enum(['active', 'inactive', 'disabled', 'suspended', 'terminated', 'deleted', 'unknown']);
export type IdentityStatus = z.infer<typeof IdentityStatus>;

/**
 * An identity id is globally unique and never an email or a display name: the provider's own id where
 * it is one (an AWS ARN, an Entra object id), otherwise `provider:type:native-id`
 * (`okta:user:00u1abc`, `aws:access-key:AKIA...`, `k8s:serviceaccount:cluster/ns/name`).
 */
export const IdentityId = z.string().min(3).max(2048);

export const Identity = z.object({
  id: IdentityId,
  kind: IdentityKind,
  provider: Provider,
  name: z.string().min(1),
  /** Email for people and for principals that carry one (GCP service accounts, Okta users). */
  email: z.string().nullable().default(null),
  /** Account, tenant, org, project or cluster that scopes the identity. */
  account: z.string().nullable().default(null),
  environment: Environment.default('unknown'),
  status: IdentityStatus.default('unknown'),
  createdAt: IsoTime.nullable().default(null),
  lastSeenAt: IsoTime.nullable().default(null),
  /** For agents and automation only; null for people and plain principals. */
  autonomy: Autonomy.nullable().default(null),
  tags: Tags.default({}),
  attributes: Attributes.default({}),
  origin: Origin.default('inventory'),
});
export type Identity = z.infer<typeof Identity>;
export type IdentityInput = z.input<typeof Identity>;
