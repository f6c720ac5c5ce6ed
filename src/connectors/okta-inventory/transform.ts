import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { fingerprint, redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, IdentityStatus, Privilege } from '../../model/index.js';
import { idFromHref, oktaHost, oktaId } from './ids.js';

type Obj = Record<string, unknown>;

export type OktaObjectKind = 'user' | 'app' | 'apiToken' | 'grant' | 'group' | 'appUser' | 'appGroup' | 'roleAssignment' | 'apiService';

/** Which Okta management API object this is, by the fields only that object has. */
export function classifyOkta(v: Obj): OktaObjectKind | null {
  const profile = obj(v.profile);
  if (typeof v.scopeId === 'string' && ('clientId' in v || 'issuer' in v)) return 'grant';
  if ('tokenWindow' in v || ('clientName' in v && 'userId' in v)) return 'apiToken';
  if ('assignmentType' in v && 'label' in v && 'type' in v) return 'roleAssignment';
  if (Array.isArray(v.grantedScopes) && 'type' in v) return 'apiService';
  if ('signOnMode' in v || ('label' in v && 'settings' in v)) return 'app';
  if ('scope' in v && ('syncState' in v || obj(obj(v._links)?.app))) return 'appUser';
  if ('priority' in v && typeof v.id === 'string' && !profile) return 'appGroup';
  if (profile && typeof profile.login === 'string') return 'user';
  if (profile && typeof profile.name === 'string' && ('objectClass' in v || 'type' in v)) return 'group';
  return null;
}

/**
 * A grant's edge. A user's consent is `granted` user -> app (the app acts with the user's rights);
 * an admin grant of org scopes (`okta.users.read`) is `can_access` app -> the org (what the app reaches).
 */
export function grantEdgeKey(v: Obj): { from: string; to: string; kind: 'granted' | 'can_access' } | null {
  const appId = idFromHref(obj(obj(v._links)?.app)?.href, 'apps') ?? str(v.clientId);
  if (!appId) return null;
  const userId = str(v.userId);
  if (userId) return { from: oktaId.user(userId), to: oktaId.app(appId), kind: 'granted' };
  const host = oktaHost(v.issuer) ?? oktaHost(obj(obj(v._links)?.self)?.href);
  return host ? { from: oktaId.app(appId), to: oktaId.org(host), kind: 'can_access' } : null;
}

/** Scopes granted per edge, gathered over the whole file so that one edge carries them all. */
export type GrantScopes = Map<string, { scopes: Set<string>; revoked: Set<string>; grants: string[] }>;

export function oktaObjectRecords(v: Obj, kind: OktaObjectKind, grants: GrantScopes, now: Date, ref: string): CanonicalRecord[] {
  switch (kind) {
    case 'user': return userRecords(v);
    case 'app': return appRecords(v);
    case 'apiToken': return apiTokenRecords(v, now);
    case 'grant': return grantRecords(v, grants, ref);
    case 'group': return groupRecords(v);
    case 'appUser': return assignmentRecords(v, 'users', ref);
    case 'appGroup': return assignmentRecords(v, 'groups', ref);
    case 'roleAssignment': return roleRecords(v, ref);
    case 'apiService': return apiServiceRecords(v, ref);
  }
}

const USER_STATUS: Record<string, IdentityStatus> = {
  ACTIVE: 'active', PASSWORD_EXPIRED: 'active', RECOVERY: 'active', LOCKED_OUT: 'suspended', SUSPENDED: 'suspended',
  STAGED: 'inactive', PROVISIONED: 'inactive', DEPROVISIONED: 'disabled',
};

function userRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const p = obj(v.profile)!;
  const login = str(p.login)!;
  const fullName = [str(p.firstName), str(p.lastName)].filter(Boolean).join(' ');
  const status = USER_STATUS[String(v.status ?? '').toUpperCase()] ?? 'unknown';
  const creds = obj(v.credentials);
  const out: CanonicalRecord[] = [rec.identity({
    id: oktaId.user(id),
    kind: 'human',
    provider: 'okta',
    name: fullName || login,
    email: str(p.email) ?? (login.includes('@') ? login : null),
    status,
    createdAt: toIso(v.created, 'created'),
    lastSeenAt: toIso(v.lastLogin, 'lastLogin'),
    attributes: compact({
      login,
      secondEmail: str(p.secondEmail),
      employeeNumber: str(p.employeeNumber),
      department: str(p.department),
      title: str(p.title),
      managerId: str(p.managerId),
      userType: str(obj(v.type)?.id) ?? str(p.userType),
      credentialProvider: str(obj(creds?.provider)?.type),
      passwordChanged: toIso(v.passwordChanged, 'passwordChanged'),
      statusChanged: toIso(v.statusChanged, 'statusChanged'),
    }),
  })];
  if (creds && obj(creds.password)) {
    out.push(rec.credential({
      id: oktaId.password(id),
      identityId: oktaId.user(id),
      type: 'password',
      fingerprint: fingerprint(oktaId.password(id)),
      lastRotatedAt: toIso(v.passwordChanged, 'passwordChanged'),
      status: status === 'active' ? 'active' : status === 'unknown' ? 'unknown' : 'inactive',
    }));
  }
  return out;
}

function appRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const oauthCreds = obj(obj(v.credentials)?.oauthClient);
  const oauthSettings = obj(obj(v.settings)?.oauthClient);
  const grantTypes = arr(oauthSettings?.grant_types).filter((g): g is string => typeof g === 'string');
  const applicationType = str(oauthSettings?.application_type);
  const status = String(v.status ?? '').toUpperCase();
  const out: CanonicalRecord[] = [rec.identity({
    id: oktaId.app(id),
    kind: 'oauth_app',
    provider: 'okta',
    name: str(v.label) ?? str(v.name) ?? id,
    status: status === 'ACTIVE' ? 'active' : status === 'INACTIVE' ? 'inactive' : status === 'DELETED' ? 'deleted' : 'unknown',
    createdAt: toIso(v.created, 'created'),
    attributes: compact({
      appName: str(v.name),
      signOnMode: str(v.signOnMode),
      clientId: str(oauthCreds?.client_id),
      applicationType,
      grantTypes: grantTypes.length ? grantTypes : null,
      // A service app with client credentials acts on its own, with no person behind the token.
      machineToMachine: applicationType === 'service' || grantTypes.includes('client_credentials') ? true : null,
      tokenEndpointAuthMethod: str(oauthCreds?.token_endpoint_auth_method),
      autoKeyRotation: typeof oauthCreds?.autoKeyRotation === 'boolean' ? oauthCreds.autoKeyRotation : null,
      redirectUris: arr(oauthSettings?.redirect_uris).length ? arr(oauthSettings?.redirect_uris) : null,
    }),
  })];
  // Older API versions return the client secret in the app object: keep its fingerprint only.
  const secret = str(oauthCreds?.client_secret);
  if (secret) {
    out.push(rec.credential({
      id: `okta:client-secret:${id}`,
      identityId: oktaId.app(id),
      type: 'client_secret',
      fingerprint: fingerprint(secret),
      status: status === 'ACTIVE' ? 'active' : 'unknown',
    }));
  }
  return out;
}

function apiTokenRecords(v: Obj, now: Date): CanonicalRecord[] {
  const id = need(v, 'id');
  const userId = str(v.userId);
  if (!userId) throw new RecordError('missing userId (the user the API token acts as)');
  const tokenId = oktaId.apiToken(id);
  const expiresAt = toIso(v.expiresAt, 'expiresAt');
  const expired = expiresAt !== null && new Date(expiresAt).getTime() < now.getTime();
  return [
    rec.identity({
      id: tokenId,
      kind: 'api_key',
      provider: 'okta',
      name: str(v.name) ?? id,
      status: expired ? 'inactive' : 'active',
      createdAt: toIso(v.created, 'created'),
      attributes: compact({ userId, clientName: str(v.clientName), tokenWindow: str(v.tokenWindow), network: obj(v.network) ? redact(obj(v.network)) : null }),
    }),
    rec.credential({
      id: tokenId,
      identityId: oktaId.user(userId),
      type: 'api_token',
      fingerprint: fingerprint(tokenId),
      createdAt: toIso(v.created, 'created'),
      expiresAt,
      status: expired ? 'expired' : 'active',
      attributes: compact({ tokenWindow: str(v.tokenWindow), clientName: str(v.clientName) }),
    }),
    // An Okta API token carries the permissions of the user who created it.
    rec.edge({ from: oktaId.user(userId), to: tokenId, kind: 'owns_credential', evidence: [tokenId] }),
    rec.ownerClaim({ target: tokenId, ref: oktaId.user(userId), refType: 'identity', source: 'creator', confidence: 0.5, evidence: [tokenId] }),
  ];
}

function grantRecords(v: Obj, grants: GrantScopes, ref: string): CanonicalRecord[] {
  need(v, 'id');
  const key = grantEdgeKey(v);
  if (!key) throw new RecordError('missing clientId or _links.app (the app the grant is for), or userId/issuer (who granted it)');
  const agg = grants.get(`${key.from}|${key.to}`);
  const org = key.kind === 'can_access' ? [orgResource(key.to)] : [];
  const scopes = agg ? [...agg.scopes].sort() : [];
  return [...org, rec.edge({
    from: key.from,
    to: key.to,
    kind: key.kind,
    potential: scopes.length > 0,
    evidence: [ref],
    attributes: compact({
      scopes,
      revokedScopes: agg && agg.revoked.size ? [...agg.revoked].sort() : null,
      consentType: str(v.userId) ? 'user' : 'admin',
      source: str(v.source),
      grantIds: agg?.grants ?? null,
    }),
  })];
}

function groupRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const p = obj(v.profile)!;
  return [rec.identity({
    id: oktaId.group(id),
    kind: 'group',
    provider: 'okta',
    name: str(p.name)!,
    createdAt: toIso(v.created, 'created'),
    attributes: compact({ groupType: str(v.type), description: str(p.description) }),
  })];
}

/** GET /apps/{id}/users and /apps/{id}/groups: who can sign in to the app. */
function assignmentRecords(v: Obj, collection: 'users' | 'groups', ref: string): CanonicalRecord[] {
  const links = obj(v._links);
  const appId = idFromHref(obj(links?.app)?.href, 'apps');
  if (!appId) throw new RecordError('missing _links.app.href (the app this assignment belongs to)');
  const principalId = (collection === 'users' ? idFromHref(obj(links?.user)?.href, 'users') : idFromHref(obj(links?.group)?.href, 'groups')) ?? need(v, 'id');
  const from = collection === 'users' ? oktaId.user(principalId) : oktaId.group(principalId);
  const userName = str(obj(v.credentials)?.userName);
  return [rec.edge({
    from,
    to: oktaId.app(appId),
    kind: 'can_access',
    evidence: [ref],
    attributes: compact({ assignment: collection === 'users' ? str(v.scope) ?? 'USER' : 'GROUP', status: str(v.status), appUserName: userName, priority: typeof v.priority === 'number' ? v.priority : null }),
  })];
}

/** Okta admin role types by what they can do: super and org admins hold everything. */
const ROLE_PRIVILEGE: Record<string, Privilege> = {
  SUPER_ADMIN: 'admin', ORG_ADMIN: 'admin', APP_ADMIN: 'privesc', USER_ADMIN: 'privesc', GROUP_MEMBERSHIP_ADMIN: 'privesc',
  API_ACCESS_MANAGEMENT_ADMIN: 'privesc', HELP_DESK_ADMIN: 'credential', MOBILE_ADMIN: 'write', READ_ONLY_ADMIN: 'read', REPORT_ADMIN: 'read',
};

function roleRecords(v: Obj, ref: string): CanonicalRecord[] {
  const type = need(v, 'type');
  const href = obj(obj(v._links)?.assignee)?.href;
  const userId = idFromHref(href, 'users');
  const groupId = idFromHref(href, 'groups');
  if (!userId && !groupId) throw new RecordError('missing _links.assignee.href (who holds the role)');
  const identityId = userId ? oktaId.user(userId) : oktaId.group(groupId!);
  const policy = oktaId.role(type);
  return [rec.entitlement({
    id: `ent:${shortHash([identityId, policy, 0, 'direct', ''].join('|'), 24)}`,
    identityId,
    effect: 'Allow',
    actions: [`okta:${type}`],
    resources: ['*'],
    privilege: ROLE_PRIVILEGE[type] ?? 'write',
    sourcePolicy: policy,
    via: 'direct',
  }), rec.policy({ id: policy, provider: 'okta', name: str(v.label) ?? type, kind: 'role', document: null, attributes: { roleType: type, evidence: ref } })];
}

/** API service integrations (/integrations/api/v1/api-services): OAuth clients with org-wide scopes. */
function apiServiceRecords(v: Obj, ref: string): CanonicalRecord[] {
  const id = need(v, 'id');
  const appId = oktaId.app(id);
  const scopes = arr(v.grantedScopes).filter((s): s is string => typeof s === 'string');
  const host = oktaHost(obj(obj(v._links)?.self)?.href) ?? oktaHost(obj(obj(v._links)?.client)?.href);
  const createdBy = str(v.createdBy);
  const out: CanonicalRecord[] = [rec.identity({
    id: appId,
    kind: 'oauth_app',
    provider: 'okta',
    name: str(v.name) ?? id,
    createdAt: toIso(v.createdAt, 'createdAt'),
    attributes: compact({ integrationType: str(v.type), grantedScopes: scopes, machineToMachine: true }),
  })];
  if (host) out.push(orgResource(oktaId.org(host)), rec.edge({ from: appId, to: oktaId.org(host), kind: 'can_access', evidence: [ref], attributes: { scopes, consentType: 'admin' } }));
  if (createdBy) out.push(rec.ownerClaim({ target: appId, ref: oktaId.user(createdBy), refType: 'identity', source: 'creator', confidence: 0.5, evidence: [ref] }));
  return out;
}

/** The Okta org as the resource that admin-granted scopes reach. */
function orgResource(id: string): CanonicalRecord {
  const host = id.slice('okta:org:'.length);
  return rec.resource({ id, provider: 'okta', type: 'okta:org', name: host });
}

function need(v: Obj, field: string): string {
  const s = str(v[field]);
  if (!s) throw new RecordError(`missing ${field}`);
  return s;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
/** Drops null entries so that a partial record never overwrites a known attribute with null. */
function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
