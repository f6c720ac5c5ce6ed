import type { CanonicalRecord, EventChain, IdentityKind } from '../../model/index.js';
import { rec } from '../contract.js';
import type { Json } from './envelope.js';
import {
  ANONYMOUS_ACCOUNT, ANYONE, accountRootArn, credentialIdOf, federationProviderName, iamRoleArn, iamUserArn, keyFingerprint,
  lastSegment, principalId, roleArnFromSession, serviceId,
} from './ids.js';

/**
 * Who made a call, from CloudTrail's userIdentity: the actor id (docs/model.md), the delegation chain
 * exactly as the log states it, and the identities and credentials the log alone proves exist.
 *
 * The actor of a role session is the role (the session issuer), not the session: sessions are
 * short-lived and many, the role is what holds permissions and what inventories list. The session ARN,
 * which carries the session name (often a person's username), goes in chain.session.
 */
export interface Actor {
  id: string;
  chain: EventChain;
  records: CanonicalRecord[];
  /** A service or anonymous caller: nobody to hold accountable as a creator. */
  impersonal: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);

export function resolveActor(ui: Json, r: Json, time: string, recipient: string | null, seen: SeenPrincipals): Actor {
  const type = str(ui.type) ?? 'Unknown';
  const arn = str(ui.arn);
  const account = str(ui.accountId) ?? recipient;
  const ctx = obj(ui.sessionContext);
  const issuer = ctx ? obj(ctx.sessionIssuer) : null;
  const attrs = ctx ? obj(ctx.attributes) : null;
  const mfa = attrs ? attrs.mfaAuthenticated : undefined;
  const webId = ctx ? obj(ctx.webIdFederationData) : null;

  const chain: EventChain = {
    sessionIssuer: issuer ? str(issuer.arn) : null,
    session: null,
    sourceIdentity: ctx ? str(ctx.sourceIdentity) : null,
    onBehalfOf: onBehalfOfId(ui.onBehalfOf),
    credentialId: null,
    invokedBy: str(ui.invokedBy),
    federatedProvider: webId ? str(webId.federatedProvider) : null,
    mfa: mfa === true || mfa === 'true' ? true : mfa === false || mfa === 'false' ? false : null,
    delegation: [],
  };
  const records: CanonicalRecord[] = [];
  const keyId = str(ui.accessKeyId);
  let id: string;
  let impersonal = false;

  switch (type) {
    case 'IAMUser': {
      const name = str(ui.userName);
      id = arn ?? (account && name ? iamUserArn(account, name) : principalId(str(ui.principalId) ?? name ?? 'unknown'));
      emitIdentity(records, seen, id, 'service_account', name ?? lastSegment(id), account, time);
      if (keyId) signingKey(records, seen, keyId, false, id, null, account, time, chain);
      break;
    }
    case 'Root': {
      id = account ? accountRootArn(account) : arn ?? principalId(str(ui.principalId) ?? 'root');
      emitIdentity(records, seen, id, 'role', account ? `root (${account})` : 'root', account, time, { accountRoot: true });
      if (keyId) signingKey(records, seen, keyId, false, id, null, account, time, chain);
      break;
    }
    case 'AssumedRole': {
      chain.session = arn;
      const issuerArn = chain.sessionIssuer?.startsWith('arn:') ? chain.sessionIssuer : null;
      const roleArn = issuerArn ?? (arn ? roleArnFromSession(arn) : null) ?? issuerFromParts(issuer);
      id = roleArn ?? principalId(str(ui.principalId) ?? str(ui.userName) ?? 'unknown');
      if (!issuerArn && roleArn) chain.sessionIssuer = roleArn;
      const roleAccount = (issuer && str(issuer.accountId)) ?? account;
      emitIdentity(records, seen, id, 'role', (issuer && str(issuer.userName)) ?? lastSegment(id), roleAccount, time);
      if (keyId) signingKey(records, seen, keyId, true, id, arn, account, time, chain);
      break;
    }
    case 'FederatedUser': {
      chain.session = arn;
      id = arn ?? principalId(str(ui.principalId) ?? 'unknown');
      emitIdentity(records, seen, id, 'human', lastSegment(id), account, time, { federated: 'sts' });
      if (keyId) signingKey(records, seen, keyId, true, id, arn, account, time, chain);
      break;
    }
    case 'AWSService': {
      const service = str(ui.invokedBy) ?? str(r.eventSource) ?? 'unknown';
      id = serviceId(service);
      impersonal = true;
      emitIdentity(records, seen, id, 'service_account', service, null, time);
      break;
    }
    case 'AWSAccount': {
      // Another account's principal (cross-account access), or an unauthenticated caller.
      if (ui.accountId === ANONYMOUS_ACCOUNT || (!account && !str(ui.principalId))) {
        id = ANYONE;
        impersonal = true;
        emitIdentity(records, seen, id, 'group', 'anyone (unauthenticated)', null, time);
      } else if (account) {
        id = accountRootArn(account);
        emitIdentity(records, seen, id, 'role', `account ${account}`, account, time, { accountRoot: true });
      } else {
        id = principalId(str(ui.principalId)!);
        emitIdentity(records, seen, id, 'service_account', lastSegment(id), null, time);
      }
      // A role's unique id (AROA...) in principalId: the other account's caller is a role session.
      if (keyId) chain.credentialId = credentialIdOf(keyId, str(ui.principalId)?.startsWith('AROA') ?? false).id;
      break;
    }
    case 'SAMLUser':
    case 'WebIdentityUser': {
      const rp = obj(r.requestParameters);
      const providerArn = (rp && str(rp.principalArn)) ?? null;
      const provider = str(ui.identityProvider) ?? providerArn ?? 'unknown';
      const providerName = federationProviderName(type === 'SAMLUser' ? providerArn ?? provider : provider);
      const name = str(ui.userName) ?? str(ui.principalId) ?? 'unknown';
      const saml = type === 'SAMLUser';
      id = saml ? `aws:saml-user:${providerName}/${name}` : `aws:web-identity:${providerName}/${name}`;
      chain.federatedProvider = providerArn ?? provider;
      emitIdentity(records, seen, id, saml ? 'human' : 'workload', name, account, time, { federation: saml ? 'saml' : 'oidc', identityProvider: chain.federatedProvider });
      break;
    }
    case 'IdentityCenterUser': {
      id = chain.onBehalfOf ?? principalId(str(ui.principalId) ?? 'unknown');
      emitIdentity(records, seen, id, 'human', lastSegment(id), account, time);
      const credential = str(ui.credentialId);
      if (credential) chain.credentialId = `aws:identity-center-credential:${credential}`;
      break;
    }
    default: {
      // 'Unknown' (identity-provider users, SSO portal calls) and types newer than this code.
      const pid = str(ui.principalId) ?? str(ui.userName);
      id = (type === 'Unknown' && pid) || !arn ? principalId(pid ?? arn ?? 'unknown') : arn;
      emitIdentity(records, seen, id, 'service_account', str(ui.userName) ?? lastSegment(id), account, time, { principalType: type });
      if (keyId) chain.credentialId = credentialIdOf(keyId, false).id;
    }
  }
  return { id, chain, records, impersonal };
}

/**
 * The principal records already emitted in this batch. A log names the same few principals in most of
 * its events: each is emitted once per batch, its last-seen time raised by later events, instead of
 * once per event (which would be validated and merged by the store again and again).
 */
export class SeenPrincipals {
  private readonly identities = new Map<string, { lastSeenAt?: string | null }>();
  private readonly credentials = new Map<string, { lastUsedAt?: string | null }>();

  /** True when `id` was emitted in this batch; its time is then raised to `time`. */
  identity(id: string, time: string): boolean {
    const v = this.identities.get(id);
    if (v === undefined) return false;
    if (!v.lastSeenAt || time > v.lastSeenAt) v.lastSeenAt = time;
    return true;
  }

  credential(id: string, time: string): boolean {
    const v = this.credentials.get(id);
    if (v === undefined) return false;
    if (!v.lastUsedAt || time > v.lastUsedAt) v.lastUsedAt = time;
    return true;
  }

  add(record: CanonicalRecord): CanonicalRecord {
    if (record.kind === 'identity') this.identities.set(record.value.id, record.value);
    else if (record.kind === 'credential') this.credentials.set(record.value.id, record.value);
    return record;
  }
}

function emitIdentity(out: CanonicalRecord[], seen: SeenPrincipals, id: string, kind: IdentityKind, name: string, account: string | null, time: string, attributes?: Json): void {
  if (seen.identity(id, time)) return;
  out.push(seen.add(rec.identity({ id, kind, provider: 'aws', name: name || id, account, lastSeenAt: time, origin: 'log', attributes })));
}

/**
 * The key a call was signed with. A long-term key (AKIA) is an api_key identity and a credential of
 * its user, with an owns_credential edge; a session key (ASIA) is a credential of the role or user
 * whose session it is.
 */
function signingKey(out: CanonicalRecord[], seen: SeenPrincipals, keyId: string, sessionOnly: boolean, owner: string, session: string | null, account: string | null, time: string, chain: EventChain): void {
  const { id, session: isSession } = credentialIdOf(keyId, sessionOnly);
  chain.credentialId = id;
  if (isSession) {
    if (seen.credential(id, time)) return;
    out.push(seen.add(rec.credential({
      id, identityId: owner, type: 'session_key', fingerprint: keyFingerprint(keyId), lastUsedAt: time, origin: 'log',
      attributes: session ? { session } : undefined,
    })));
    return;
  }
  if (seen.credential(id, time)) {
    seen.identity(id, time);
    return;
  }
  out.push(
    seen.add(rec.identity({ id, kind: 'api_key', provider: 'aws', name: keyId, account, lastSeenAt: time, origin: 'log' })),
    seen.add(rec.credential({ id, identityId: owner, type: 'access_key', fingerprint: keyFingerprint(keyId), lastUsedAt: time, origin: 'log' })),
    rec.edge({ from: owner, kind: 'owns_credential', to: id }),
  );
}

/** Some logs (and log pipelines) keep the issuer's account and name but drop its ARN. */
function issuerFromParts(issuer: Json | null): string | null {
  if (!issuer) return null;
  const account = str(issuer.accountId);
  const name = str(issuer.userName);
  if (!account || !name) return null;
  return issuer.type === 'User' ? iamUserArn(account, name) : iamRoleArn(account, name);
}

/** Identity Center's onBehalfOf {userId, identityStoreArn} as one id. */
function onBehalfOfId(v: unknown): string | null {
  const o = obj(v);
  if (!o) return null;
  const user = str(o.userId);
  if (!user) return null;
  const store = str(o.identityStoreArn);
  const storeId = store ? lastSegment(store) : null;
  return `aws:identity-center-user:${storeId ? `${storeId}/` : ''}${user}`;
}
