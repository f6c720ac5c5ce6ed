import { RecordError } from '../../lib/errors.js';
import type { IdentityKind } from '../../model/index.js';
import { entraId, isGuid } from '../shared/graph.js';

type Obj = Record<string, unknown>;

/** Who made an Azure call, as ids the Entra connectors also use, and how (client app, credential, MFA). */
export interface Caller {
  id: string;
  /** Null when the caller is not an identity record of its own (anonymous access). */
  kind: IdentityKind | null;
  name: string;
  email: string | null;
  attributes: Obj;
  invokedBy: string | null;
  credentialId: string | null;
  mfa: boolean | null;
  ip: string | null;
}

const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

/**
 * The caller from the token claims (`identity.claims` in diagnostic exports, `claims` in the REST
 * API), else the authorization evidence, else `caller`, else a storage request's own identity (an
 * account key, a SAS, OAuth, anonymous). A record with none of these has no actor: it is rejected.
 */
export function resolveCaller(v: Obj, storageAccount: string | null): Caller {
  const identity = obj(v.identity);
  const claims = obj(identity?.claims) ?? obj(v.claims);
  const base = { attributes: {} as Obj, invokedBy: null as string | null, credentialId: null as string | null, mfa: null as boolean | null, ip: null as string | null };
  if (claims) {
    const oid = str(claims[OID]) ?? str(claims.oid);
    const upn = str(claims[UPN]) ?? str(claims.upn) ?? atName(str(claims.unique_name)) ?? atName(str(claims[NAME])) ?? atName(str(claims.name));
    const appId = str(claims.appid) ?? str(claims.azp);
    const amr = claims[AMR] ?? claims.amr;
    base.mfa = typeof amr === 'string' ? /\bmfa\b/.test(amr) : Array.isArray(amr) ? amr.includes('mfa') : null;
    base.ip = str(claims.ipaddr);
    const display = str(claims.name) ?? str(claims[NAME]);
    if (oid) {
      if (str(claims.xms_mirid)) {
        return { ...base, id: entraId.mi(oid), kind: 'service_account', name: display ?? oid, email: null, attributes: { objectId: oid, appId, resourceId: str(claims.xms_mirid)!.toLowerCase() } };
      }
      if (str(claims.idtyp) === 'app' || (!upn && appId)) {
        return { ...base, id: entraId.sp(oid), kind: 'service_account', name: display ?? appId ?? oid, email: null, attributes: { objectId: oid, appId } };
      }
      return { ...base, id: entraId.user(oid), kind: 'human', name: display ?? upn ?? oid, email: upn, attributes: { objectId: oid, userPrincipalName: upn }, invokedBy: appId ? entraId.app(appId) : null };
    }
    if (upn) return { ...base, id: entraId.upn(upn), kind: 'human', name: display ?? upn, email: upn, attributes: { userPrincipalName: upn }, invokedBy: appId ? entraId.app(appId) : null };
    if (appId) return { ...base, id: entraId.app(appId), kind: 'oauth_app', name: appId, email: null, attributes: { appId } };
    // Azure's own services sign as a name, not a principal (`Microsoft.Advisor`).
    const service = str(claims[EMAIL]) ?? display;
    if (service && !service.includes('@')) return { ...base, id: `azure:service:${service}`, kind: 'service_account', name: service, email: null };
  }
  const evidence = obj(obj(identity?.authorization ?? v.authorization)?.evidence);
  const principalId = str(evidence?.principalId);
  if (principalId) {
    const type = str(evidence?.principalType);
    const id = type === 'User' ? entraId.user(principalId) : type === 'ServicePrincipal' ? entraId.sp(principalId) : type === 'Group' ? entraId.group(principalId) : `entra:principal:${principalId}`;
    return { ...base, id, kind: type === 'User' ? 'human' : type === 'Group' ? 'group' : 'service_account', name: principalId, email: null, attributes: { objectId: principalId } };
  }
  const caller = str(v.caller);
  if (caller) {
    if (caller.includes('@')) return { ...base, id: entraId.upn(caller), kind: 'human', name: caller, email: caller, attributes: { userPrincipalName: caller } };
    // A service principal's calls name it by object id.
    if (isGuid(caller)) return { ...base, id: entraId.sp(caller), kind: 'service_account', name: caller, email: null, attributes: { objectId: caller } };
    return { ...base, id: `azure:caller:${caller}`, kind: 'service_account', name: caller, email: null };
  }
  const storageType = str(identity?.type);
  if (storageType) return storageCaller(identity!, storageType, storageAccount, base);
  throw new RecordError('missing caller (no identity.claims, claims, authorization evidence or caller)');
}

/** Storage data-plane callers: a shared key or a SAS signed with one is a machine credential of its own. */
function storageCaller(identity: Obj, type: string, account: string | null, base: Omit<Caller, 'id' | 'kind' | 'name' | 'email'>): Caller {
  const acct = account ?? 'unknown';
  const t = type.toLowerCase();
  if (t === 'accountkey' || t === 'sas') {
    // tokenHash is `key1(<sha256>)`: which account key signed the request, and a hash of the token.
    const m = /^(key\d)\(([^)]*)\)/.exec(str(identity.tokenHash) ?? '');
    const key = m ? m[1] : null;
    return {
      ...base,
      id: key ? `azure:storage-key:${acct}/${key}` : `azure:storage-key:${acct}`,
      kind: 'api_key',
      name: key ? `${acct} ${key}` : `${acct} account key`,
      email: null,
      attributes: key ? { storageAccount: acct, keyName: key } : { storageAccount: acct },
      credentialId: t === 'sas' && m?.[2] ? `azure:sas:${acct}/${m[2].slice(0, 64)}` : null,
    };
  }
  if (t === 'oauth') {
    const req = obj(identity.requester);
    const oid = str(req?.objectId);
    const upn = str(req?.upn);
    const appId = str(req?.appId);
    if (oid) {
      return upn
        ? { ...base, id: entraId.user(oid), kind: 'human', name: upn, email: upn, attributes: { objectId: oid, userPrincipalName: upn }, invokedBy: appId ? entraId.app(appId) : null }
        : { ...base, id: entraId.sp(oid), kind: 'service_account', name: appId ?? oid, email: null, attributes: { objectId: oid, appId } };
    }
    throw new RecordError('missing identity.requester.objectId (the OAuth caller of a storage request)');
  }
  if (t === 'anonymous') return { ...base, id: `azure:anonymous:${acct}`, kind: null, name: 'anonymous', email: null };
  throw new RecordError(`missing caller (storage identity type ${type} names no principal)`);
}

function atName(s: string | null): string | null {
  return s && s.includes('@') ? s : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}
function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}
