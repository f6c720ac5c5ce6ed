import { accountRootArn, isAccountId, parseArn } from '../../lib/aws/arn.js';
import { ANYONE_ID, federatedProviderId, servicePrincipalId, uniqueIdPrincipalId } from '../../lib/aws/ids.js';

/** A principal named by a trust policy, resolved to the id the model gives it (docs/model.md). */
export interface TrustPrincipal {
  id: string;
  type: 'account-root' | 'role' | 'user' | 'session' | 'service' | 'federated' | 'anyone' | 'unique-id';
  account: string | null;
  partition: string;
  federation: 'saml' | 'oidc' | null;
  /** The text as the policy wrote it. */
  raw: string;
}

export interface PrincipalList {
  principals: TrustPrincipal[];
  /** Principals that name nothing AWS would accept (malformed ARNs): kept for the record, not linked. */
  unparsed: string[];
}

/** AWS unique ids (AIDA user, AROA role, ...): what a trust policy shows after its principal was deleted. */
const UNIQUE_ID = /^A[A-Z0-9]{3}[A-Z0-9]{12,}$/;

export function trustPrincipals(principal: unknown): PrincipalList {
  const out: PrincipalList = { principals: [], unparsed: [] };
  if (principal === undefined || principal === null) return out;
  if (principal === '*') {
    out.principals.push(anyone());
    return out;
  }
  if (typeof principal !== 'object' || Array.isArray(principal)) {
    out.unparsed.push(JSON.stringify(principal));
    return out;
  }
  for (const [type, value] of Object.entries(principal as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string') {
        out.unparsed.push(`${type}:${JSON.stringify(v)}`);
        continue;
      }
      const p = type === 'AWS' ? awsPrincipal(v) : type === 'Service' ? service(v) : type === 'Federated' ? federated(v) : null;
      if (p) out.principals.push(p);
      else out.unparsed.push(`${type}:${v}`);
    }
  }
  return out;
}

function anyone(): TrustPrincipal {
  return { id: ANYONE_ID, type: 'anyone', account: null, partition: 'aws', federation: null, raw: '*' };
}

function awsPrincipal(v: string): TrustPrincipal | null {
  if (v === '*') return anyone();
  if (isAccountId(v)) return { id: accountRootArn(v), type: 'account-root', account: v, partition: 'aws', federation: null, raw: v };
  if (UNIQUE_ID.test(v)) return { id: uniqueIdPrincipalId(v), type: 'unique-id', account: null, partition: 'aws', federation: null, raw: v };
  const arn = parseArn(v);
  if (!arn || !arn.account) return null;
  const base = { account: arn.account, partition: arn.partition, federation: null, raw: v };
  if (arn.service === 'iam') {
    if (arn.resource === 'root') return { ...base, id: v, type: 'account-root' };
    if (arn.resourceType === 'role') return { ...base, id: v, type: 'role' };
    if (arn.resourceType === 'user') return { ...base, id: v, type: 'user' };
    return null;
  }
  if (arn.service === 'sts' && (arn.resourceType === 'assumed-role' || arn.resourceType === 'federated-user')) {
    return { ...base, id: v, type: 'session' };
  }
  return null;
}

function service(v: string): TrustPrincipal | null {
  if (!v) return null;
  return { id: servicePrincipalId(v), type: 'service', account: null, partition: 'aws', federation: null, raw: v };
}

function federated(v: string): TrustPrincipal | null {
  const arn = parseArn(v);
  if (arn) {
    if (arn.service !== 'iam' || !arn.account) return null;
    if (arn.resourceType === 'saml-provider') return { id: v, type: 'federated', account: arn.account, partition: arn.partition, federation: 'saml', raw: v };
    if (arn.resourceType === 'oidc-provider') return { id: v, type: 'federated', account: arn.account, partition: arn.partition, federation: 'oidc', raw: v };
    return null;
  }
  // Web identity providers AWS knows by name: Cognito, Google, Facebook, Login with Amazon.
  if (!v || /\s/.test(v)) return null;
  return { id: federatedProviderId(v), type: 'federated', account: null, partition: 'aws', federation: 'oidc', raw: v };
}
