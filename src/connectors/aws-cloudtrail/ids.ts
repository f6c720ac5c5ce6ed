import { hash } from 'node:crypto';

/**
 * Id builders for what CloudTrail names (docs/model.md). Where the log gives no ARN, one is rebuilt
 * from the account and name; IAM paths are then unknown, which the inventory corrects when it is
 * ingested (an exact ARN from an export and a rebuilt one only differ for principals with a path).
 */
export const iamUserArn = (account: string, name: string): string => `arn:aws:iam::${account}:user/${name}`;
export const iamRoleArn = (account: string, name: string): string => `arn:aws:iam::${account}:role/${name}`;
export const iamGroupArn = (account: string, name: string): string => `arn:aws:iam::${account}:group/${name}`;
export const accountRootArn = (account: string): string => `arn:aws:iam::${account}:root`;
export const serviceId = (service: string): string => `aws:service:${service}`;
export const principalId = (id: string): string => `aws:principal:${id}`;
export const ANYONE = 'aws:principal:*';

/** CloudTrail's placeholder account for unauthenticated S3 and API Gateway requests. */
export const ANONYMOUS_ACCOUNT = 'ANONYMOUS_PRINCIPAL';

/**
 * `arn:aws:sts::1111:assumed-role/Name/session` -> `arn:aws:iam::1111:role/Name`, for sessions whose
 * issuer the log leaves out (cross-account data events, some console sessions).
 */
// `iam` too: some exports rewrite the service of session ARNs.
const SESSION_ARN = /^arn:(aws[a-z-]*):(?:sts|iam)::([^:]*):assumed-role\/([^/]+)/;
export function roleArnFromSession(sessionArn: string): string | null {
  const m = SESSION_ARN.exec(sessionArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : null;
}

/**
 * Long-term keys start AKIA, session keys ASIA. A role or federated session only ever signs with a
 * session key, whatever the id looks like (redacted and made-up ids are common in exports); a user
 * or root signs with either.
 */
export function credentialIdOf(keyId: string, sessionOnly: boolean): { id: string; session: boolean } {
  const session = sessionOnly || keyId.startsWith('ASIA');
  return { id: session ? `aws:session-key:${keyId}` : `aws:access-key:${keyId}`, session };
}

/** The name after `saml-provider/` or `oidc-provider/` in a provider ARN, or the value as given. */
export function federationProviderName(value: string): string {
  const i = value.indexOf('-provider/');
  return value.startsWith('arn:') && i !== -1 ? value.slice(i + '-provider/'.length) : value;
}

const fingerprints = new Map<string, string>();
/**
 * fingerprint() of a key id (src/lib/secrets.ts; a test holds the two equal), with the one-shot
 * crypto.hash, about three times faster than createHash for short input: every AssumeRole issues a
 * new key. Cached, because the same few keys sign most calls in a log; the cache is dropped when it
 * grows, so memory stays bounded on logs with millions of session keys.
 */
export function keyFingerprint(keyId: string): string {
  let fp = fingerprints.get(keyId);
  if (fp === undefined) {
    if (fingerprints.size >= 50_000) fingerprints.clear();
    fp = 'sha256:' + hash('sha256', keyId, 'hex').slice(0, 32);
    fingerprints.set(keyId, fp);
  }
  return fp;
}

/** The last `/`-separated part of an ARN's resource (a user or role name), for display names. */
export function lastSegment(arn: string): string {
  const slash = arn.lastIndexOf('/');
  if (slash !== -1 && slash < arn.length - 1) return arn.slice(slash + 1);
  const colon = arn.lastIndexOf(':');
  return colon !== -1 && colon < arn.length - 1 ? arn.slice(colon + 1) : arn;
}
