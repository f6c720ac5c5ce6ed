import * as crypto from 'node:crypto';
import type { Entitlement } from '../../model/index.js';

/**
 * `ent:<sha256(identity, policy, statement index, via, viaId), 24 hex>` (docs/model.md). The parts are
 * joined with NUL, which no ARN, policy name or group id can contain, so two different tuples cannot
 * hash the same text.
 */
export function entitlementId(identityId: string, policyId: string, statementIndex: number, via: Entitlement['via'], viaId: string | null): string {
  const text = `${identityId}\u0000${policyId}\u0000${statementIndex}\u0000${via}\u0000${viaId ?? ''}`;
  return 'ent:' + sha256Hex(text).slice(0, 24);
}

// One-shot crypto.hash (Node >= 20.12) is about twice as fast as createHash for short inputs, and an
// export has one entitlement per statement per identity: hundreds of thousands of them.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

export const inlinePolicyId = (principalArn: string, policyName: string): string => `inline:${principalArn}:${policyName}`;
export const trustPolicyId = (roleArn: string): string => `trust:${roleArn}`;
export const servicePrincipalId = (service: string): string => `aws:service:${service}`;
export const ANYONE_ID = 'aws:principal:*';
/** A principal AWS shows by its unique id (AROA..., AIDA...): what a trust policy shows once the principal is deleted. */
export const uniqueIdPrincipalId = (id: string): string => `aws:principal:${id}`;
/** Web identity providers without an ARN (`accounts.google.com`, `cognito-identity.amazonaws.com`). */
export const federatedProviderId = (provider: string): string => `aws:federated:${provider}`;
/** Credential-report slots: the report says which slot, never which key id. */
export const keySlotId = (userArn: string, slot: number): string => `aws:key-slot:${userArn}#${slot}`;
export const certSlotId = (userArn: string, slot: number): string => `aws:cert-slot:${userArn}#${slot}`;
export const passwordId = (userArn: string): string => `aws:password:${userArn}`;
