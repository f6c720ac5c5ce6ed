import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { fingerprint } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, Environment, Provider } from '../../model/index.js';
import {
  azureResourceId, entraId, garr, gobj, gp, gs, odataType, oidcSubjectId, parseAzureResourceId,
} from '../shared/graph.js';

type Obj = Record<string, unknown>;

/** Microsoft's own tenant: service principals it owns are first-party apps, not third-party ones. */
const MICROSOFT_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';

export function need(v: Obj, key: string): string {
  const s = gs(v, key);
  if (!s) throw new RecordError(`missing ${key}`);
  return s;
}

export function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}

/** Graph `tags` are plain strings; `key:value` and `key=value` become pairs, the rest flags. */
function tagsOf(v: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of garr(v, 'tags')) {
    if (typeof t !== 'string' || !t) continue;
    const m = /^([^:=]+)[:=](.*)$/.exec(t);
    if (m) out[m[1]] = m[2];
    else out[t] = 'true';
  }
  return out;
}

function latest(...times: (string | null)[]): string | null {
  let best: string | null = null;
  for (const t of times) if (t && (!best || t > best)) best = t;
  return best;
}

export function userRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const upn = gs(v, 'userPrincipalName');
  const mail = gs(v, 'mail');
  const signIn = gobj(v, 'signInActivity');
  const enabled = gp(v, 'accountEnabled');
  return [rec.identity({
    id: entraId.user(id),
    kind: 'human',
    provider: 'entra',
    name: gs(v, 'displayName') ?? upn ?? id,
    // A guest's UPN is a mangled external address (`bob_example.com#EXT#@tenant`): not an email.
    email: mail ?? (upn && upn.includes('@') && !upn.includes('#EXT#') ? upn : null),
    status: enabled === false ? 'disabled' : enabled === true ? 'active' : 'unknown',
    createdAt: toIso(gp(v, 'createdDateTime'), 'createdDateTime'),
    lastSeenAt: latest(
      toIso(gp(signIn, 'lastSignInDateTime'), 'signInActivity.lastSignInDateTime'),
      toIso(gp(signIn, 'lastNonInteractiveSignInDateTime'), 'signInActivity.lastNonInteractiveSignInDateTime'),
      toIso(gp(signIn, 'lastSuccessfulSignInDateTime'), 'signInActivity.lastSuccessfulSignInDateTime'),
    ),
    attributes: compact({
      objectId: id,
      userPrincipalName: upn,
      userType: gs(v, 'userType'),
      otherMails: garr(v, 'otherMails'),
      employeeId: gs(v, 'employeeId'),
      department: gs(v, 'department'),
      jobTitle: gs(v, 'jobTitle'),
      managerId: gs(gobj(v, 'manager'), 'id'),
      // What a SAML or on-premises system calls the same person: identity resolution matches on these.
      onPremisesImmutableId: gs(v, 'onPremisesImmutableId'),
      onPremisesSamAccountName: gs(v, 'onPremisesSamAccountName'),
      onPremisesSyncEnabled: typeof gp(v, 'onPremisesSyncEnabled') === 'boolean' ? gp(v, 'onPremisesSyncEnabled') : null,
      externalUserState: gs(v, 'externalUserState'),
    }),
  })];
}

export function applicationRecords(v: Obj, now: Date, ref: string): CanonicalRecord[] {
  const appId = need(v, 'appId');
  const id = entraId.app(appId);
  const web = gobj(v, 'web');
  const redirectUris = [...garr(web, 'redirectUris'), ...garr(gobj(v, 'spa'), 'redirectUris'), ...garr(gobj(v, 'publicClient'), 'redirectUris')];
  const out: CanonicalRecord[] = [rec.identity({
    id,
    kind: 'oauth_app',
    provider: 'entra',
    name: gs(v, 'displayName') ?? appId,
    createdAt: toIso(gp(v, 'createdDateTime'), 'createdDateTime'),
    status: gs(v, 'deletedDateTime') ? 'deleted' : 'active',
    tags: tagsOf(v),
    attributes: compact({
      objectId: gs(v, 'id'),
      appId,
      signInAudience: gs(v, 'signInAudience'),
      publisherDomain: gs(v, 'publisherDomain'),
      redirectUris,
      // Permissions the app asks for: what admin consent would give it.
      requiredResourceAccess: garr(v, 'requiredResourceAccess').map((r) => ({
        resourceAppId: gs(r as Obj, 'resourceAppId'),
        access: garr(r as Obj, 'resourceAccess').map((a) => `${gs(a as Obj, 'type')}:${gs(a as Obj, 'id')}`),
      })),
      isFallbackPublicClient: typeof gp(v, 'isFallbackPublicClient') === 'boolean' ? gp(v, 'isFallbackPublicClient') : null,
    }),
  })];
  out.push(...credentialRecords(v, id, now));
  out.push(...ownerClaims(v, id, ref));
  for (const fic of garr(v, 'federatedIdentityCredentials')) {
    if (fic && typeof fic === 'object') out.push(...federatedCredentialRecords(fic as Obj, appId, ref));
  }
  return out;
}

export function servicePrincipalRecords(v: Obj, now: Date, ref: string): CanonicalRecord[] {
  const objectId = need(v, 'id');
  const type = gs(v, 'servicePrincipalType');
  const appId = gs(v, 'appId');
  const owner = gs(v, 'appOwnerOrganizationId');
  const enabled = gp(v, 'accountEnabled');
  const isMi = type === 'ManagedIdentity';
  const id = isMi ? entraId.mi(objectId) : entraId.sp(objectId);
  // alternativeNames of a managed identity: ["isExplicit=False", "<resource id>"]; explicit = user-assigned.
  const alt = garr(v, 'alternativeNames').filter((s): s is string => typeof s === 'string');
  const miResource = alt.find((s) => s.startsWith('/subscriptions/')) ?? null;
  const userAssigned = alt.some((s) => /^isExplicit=true$/i.test(s));
  const out: CanonicalRecord[] = [rec.identity({
    id,
    kind: 'service_account',
    provider: 'entra',
    name: gs(v, 'displayName') ?? gs(v, 'appDisplayName') ?? objectId,
    status: enabled === false ? 'disabled' : enabled === true ? 'active' : 'unknown',
    createdAt: toIso(gp(v, 'createdDateTime'), 'createdDateTime'),
    account: miResource ? parseAzureResourceId(miResource)?.subscription ?? null : null,
    autonomy: isMi ? 'full' : null,
    tags: tagsOf(v),
    attributes: compact({
      objectId,
      appId,
      servicePrincipalType: type,
      appDisplayName: gs(v, 'appDisplayName'),
      appOwnerOrganizationId: owner,
      firstParty: owner ? owner === MICROSOFT_TENANT : null,
      publisherName: gs(v, 'publisherName'),
      verifiedPublisher: gs(gobj(v, 'verifiedPublisher'), 'displayName'),
      replyUrls: garr(v, 'replyUrls'),
      appRoleAssignmentRequired: typeof gp(v, 'appRoleAssignmentRequired') === 'boolean' ? gp(v, 'appRoleAssignmentRequired') : null,
      managedIdentityType: isMi ? (userAssigned ? 'userAssigned' : 'systemAssigned') : null,
      resourceId: miResource ? azureResourceId(miResource) : null,
    }),
  })];
  // The app registration's credentials authenticate as this principal in the tenant.
  if (appId && !isMi) out.push(rec.edge({ from: entraId.app(appId), to: id, kind: 'runs_as', evidence: [ref] }));
  if (isMi && miResource && !userAssigned) {
    const rid = azureResourceId(miResource);
    const parsed = parseAzureResourceId(miResource);
    out.push(
      rec.resource({ id: rid, provider: 'azure', type: parsed?.type ?? 'unknown', name: parsed?.name ?? rid, account: parsed?.subscription ?? null }),
      rec.edge({ from: rid, to: id, kind: 'runs_as', evidence: [ref], attributes: { managedIdentityType: 'systemAssigned' } }),
    );
  }
  out.push(...credentialRecords(v, id, now));
  out.push(...ownerClaims(v, id, ref));
  return out;
}

/**
 * Client secrets (passwordCredentials) and certificates (keyCredentials): their keyId is what sign-in
 * logs report as servicePrincipalCredentialKeyId. Neither the secret text nor the certificate is kept.
 */
function credentialRecords(v: Obj, identityId: string, now: Date): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  const add = (c: Obj, type: 'client_secret' | 'certificate') => {
    const keyId = gs(c, 'keyId');
    if (!keyId) return;
    const expiresAt = toIso(gp(c, 'endDateTime'), 'endDateTime');
    out.push(rec.credential({
      id: entraId.credential(keyId),
      identityId,
      type,
      fingerprint: fingerprint(type === 'certificate' ? gs(c, 'customKeyIdentifier') ?? keyId : keyId),
      createdAt: toIso(gp(c, 'startDateTime'), 'startDateTime'),
      expiresAt,
      status: expiresAt && new Date(expiresAt).getTime() < now.getTime() ? 'expired' : 'active',
      attributes: compact({ keyId, displayName: gs(c, 'displayName'), usage: gs(c, 'usage'), keyType: gs(c, 'type') }),
    }));
  };
  for (const c of garr(v, 'passwordCredentials')) if (c && typeof c === 'object') add(c as Obj, 'client_secret');
  for (const c of garr(v, 'keyCredentials')) if (c && typeof c === 'object') add(c as Obj, 'certificate');
  return out;
}

/** `owners` ($expand=owners): the people accountable for an app registration or service principal. */
function ownerClaims(v: Obj, target: string, ref: string): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  for (const o of garr(v, 'owners')) {
    if (!o || typeof o !== 'object') continue;
    const ownerId = principalId(o as Obj);
    if (ownerId) out.push(rec.ownerClaim({ target, ref: ownerId, refType: 'identity', source: 'registry', confidence: 0.9, evidence: [ref] }));
  }
  return out;
}

/** A directory object's typed id, by its `@odata.type` or its shape; `entra:principal:` when neither tells. */
export function principalId(o: Obj, hint?: string | null): string | null {
  const id = gs(o, 'id');
  if (!id) return null;
  const t = odataType(o) ?? hint ?? null;
  if (t === 'user' || t === 'User' || gp(o, 'userPrincipalName') !== undefined) return entraId.user(id);
  if (t === 'group' || t === 'Group') return entraId.group(id);
  if (t === 'servicePrincipal' || t === 'ServicePrincipal' || gp(o, 'appId') !== undefined) {
    return gs(o, 'servicePrincipalType') === 'ManagedIdentity' ? entraId.mi(id) : entraId.sp(id);
  }
  return `entra:principal:${id}`;
}

export function groupRecords(v: Obj, ref: string): CanonicalRecord[] {
  const id = need(v, 'id');
  const groupId = entraId.group(id);
  const out: CanonicalRecord[] = [rec.identity({
    id: groupId,
    kind: 'group',
    provider: 'entra',
    name: gs(v, 'displayName') ?? id,
    email: gs(v, 'mail'),
    createdAt: toIso(gp(v, 'createdDateTime'), 'createdDateTime'),
    status: gs(v, 'deletedDateTime') ? 'deleted' : 'unknown',
    attributes: compact({
      objectId: id,
      securityEnabled: typeof gp(v, 'securityEnabled') === 'boolean' ? gp(v, 'securityEnabled') : null,
      groupTypes: garr(v, 'groupTypes'),
      // Role-assignable groups can hold directory roles: membership there is privilege.
      isAssignableToRole: typeof gp(v, 'isAssignableToRole') === 'boolean' ? gp(v, 'isAssignableToRole') : null,
      membershipRule: gs(v, 'membershipRule'),
    }),
  })];
  for (const m of garr(v, 'members')) if (m && typeof m === 'object') out.push(...memberRecords(m as Obj, id, ref));
  return out;
}

export function memberRecords(m: Obj, groupObjectId: string, ref: string): CanonicalRecord[] {
  const from = principalId(m);
  if (!from) throw new RecordError('missing id (of the group member)');
  return [rec.edge({ from, to: entraId.group(groupObjectId), kind: 'member_of', evidence: [ref] })];
}

/**
 * A federated identity credential lets an external workload (a GitHub Actions job, a Kubernetes
 * service account) sign in as the app with its own OIDC token: `federates_to` from that subject.
 */
export function federatedCredentialRecords(v: Obj, appId: string, ref: string): CanonicalRecord[] {
  const issuer = need(v, 'issuer');
  const subject = gs(v, 'subject');
  if (!subject) throw new RecordError('missing subject (a flexible claimsMatchingExpression cannot be matched to one workload)');
  const ext = externalWorkload(issuer, subject);
  const id = oidcSubjectId(issuer, subject);
  return [
    rec.identity({
      id,
      kind: 'workload',
      provider: ext.provider,
      name: ext.name,
      environment: ext.environment,
      autonomy: 'full',
      attributes: compact({ issuer, subject, ...ext.attributes }),
    }),
    rec.edge({
      from: id,
      to: entraId.app(appId),
      kind: 'federates_to',
      evidence: [ref],
      conditions: { issuer, subject, audiences: garr(v, 'audiences') },
      attributes: compact({ federatedCredentialId: gs(v, 'id'), name: gs(v, 'name'), description: gs(v, 'description') }),
    }),
  ];
}

function externalWorkload(issuer: string, subject: string): { provider: Provider; name: string; environment: Environment; attributes: Obj } {
  if (/token\.actions\.githubusercontent\.com/.test(issuer)) {
    // repo:<owner>/<repo>:environment:<env> | :ref:<ref> | :pull_request
    const m = /^repo:([^:]+):(environment|ref|pull_request|job_workflow_ref)?:?(.*)$/.exec(subject);
    const repository = m ? m[1] : null;
    const envName = m && m[2] === 'environment' ? m[3] : null;
    return {
      provider: 'github',
      name: subject,
      environment: envOf(envName ?? (m && m[2] === 'ref' ? m[3] : null)),
      attributes: { repository, githubEnvironment: envName, ref: m && m[2] === 'ref' ? m[3] : null },
    };
  }
  const k8s = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject);
  if (k8s) {
    return { provider: 'k8s', name: `${k8s[1]}/${k8s[2]}`, environment: envOf(k8s[1]), attributes: { namespace: k8s[1], serviceAccount: k8s[2] } };
  }
  return { provider: 'generic', name: subject, environment: 'unknown', attributes: {} };
}

function envOf(name: string | null): Environment {
  if (!name) return 'unknown';
  const n = name.toLowerCase();
  if (n.startsWith('refs/')) return 'unknown';
  if (/(^|[^a-z])(prod|production|prd)([^a-z]|$)/.test(n)) return 'prod';
  if (/(^|[^a-z])(stag|staging|stg|preprod)/.test(n)) return 'staging';
  if (/(^|[^a-z])(dev|development|test|qa|sandbox)([^a-z]|$)/.test(n)) return 'dev';
  return 'unknown';
}
