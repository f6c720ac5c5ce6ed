import { RecordError } from '../../lib/errors.js';
import type { CanonicalRecord, IdentityKind } from '../../model/index.js';
import { rec } from '../contract.js';
import { accountRootArn, credentialIdOf, iamRoleArn, iamUserArn, keyFingerprint, principalId, roleArnFromSession } from '../aws-cloudtrail/ids.js';

/**
 * The AWS principals and keys an alert names (GuardDuty's accessKeyDetails, Security Hub's
 * AwsIamAccessKey and AwsIamUser / AwsIamRole resources, OCSF actors with ARNs), as the ids the IAM and
 * CloudTrail connectors use, so that the alert lands on the identities already in the store. The
 * identities and keys are emitted with origin `log`: the inventory describes them better.
 */
export interface Refs {
  identities: string[];
  credentials: string[];
  records: CanonicalRecord[];
}

export function newRefs(): Refs {
  return { identities: [], credentials: [], records: [] };
}

export interface KeyDetails {
  accessKeyId?: string | null;
  principalId?: string | null;
  userName?: string | null;
  userType?: string | null;
  /** The role or user a session was issued by, when the source states it. */
  issuerArn?: string | null;
  account?: string | null;
}

const USER_TYPES: Record<string, IdentityKind> = { IAMUser: 'service_account', AssumedRole: 'role', Role: 'role', Root: 'role', FederatedUser: 'human' };
const PLACEHOLDER = /^GeneratedFinding|^<.*>$/;

/** An access key and the principal it belongs to; returns the principal's id (or null when nothing is named). */
export function addAccessKey(refs: Refs, d: KeyDetails, time: string | null): string | null {
  const type = d.userType ?? null;
  const account = d.account ?? null;
  const name = d.userName ?? null;
  let principal: string | null = null;
  let kind: IdentityKind = type ? USER_TYPES[type] ?? 'service_account' : 'service_account';
  if (d.issuerArn?.startsWith('arn:')) {
    principal = d.issuerArn.includes(':assumed-role/') ? roleArnFromSession(d.issuerArn) : d.issuerArn;
    kind = principal?.includes(':role/') ? 'role' : principal?.includes(':user/') ? 'service_account' : kind;
  } else if (type === 'Root' && account) principal = accountRootArn(account);
  else if (type === 'IAMUser' && account && name) principal = iamUserArn(account, name);
  else if ((type === 'AssumedRole' || type === 'Role') && account && name) principal = iamRoleArn(account, name);
  else if (type === 'FederatedUser' && account && name) principal = `arn:aws:sts::${account}:federated-user/${name}`;
  else if (d.principalId) principal = principalId(d.principalId.split(':')[0]);
  if (principal) addIdentity(refs, principal, kind, name ?? lastSegment(principal), account, time, type === 'Root' ? { accountRoot: true } : undefined);

  const keyId = d.accessKeyId && !PLACEHOLDER.test(d.accessKeyId) ? d.accessKeyId : null;
  if (keyId) {
    const session = type === 'AssumedRole' || type === 'FederatedUser' || type === 'Role';
    const { id, session: isSession } = credentialIdOf(keyId, session);
    if (!refs.credentials.includes(id)) refs.credentials.push(id);
    const holder = principal ?? principalId(keyId);
    if (isSession) {
      refs.records.push(rec.credential({ id, identityId: holder, type: 'session_key', fingerprint: keyFingerprint(keyId), lastUsedAt: time, origin: 'alert' }));
    } else {
      addIdentity(refs, id, 'api_key', keyId, account, time);
      refs.records.push(
        rec.credential({ id, identityId: holder, type: 'access_key', fingerprint: keyFingerprint(keyId), lastUsedAt: time, origin: 'alert' }),
        rec.edge({ from: holder, kind: 'owns_credential', to: id }),
      );
    }
  }
  return principal;
}

/** An IAM principal named by ARN (user, role, instance profile, account root). Non-IAM ARNs are not identities. */
export function addArn(refs: Refs, arn: string, time: string | null): string | null {
  const m = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}|aws)?:(user|role|group|root|instance-profile|assumed-role|federated-user)(?:\/(.*))?$/.exec(arn);
  if (!m) return null;
  const [, , account, type, rest] = m;
  if (type === 'assumed-role') {
    const role = roleArnFromSession(arn);
    if (role) addIdentity(refs, role, 'role', lastSegment(role), account ?? null, time);
    return role;
  }
  const kind: IdentityKind = type === 'user' ? 'service_account' : type === 'group' ? 'group' : type === 'instance-profile' ? 'workload' : type === 'federated-user' ? 'human' : 'role';
  addIdentity(refs, arn, kind, rest ? lastSegment(arn) : `root (${account})`, account ?? null, time, type === 'root' ? { accountRoot: true } : undefined);
  return arn;
}

export function addIdentity(refs: Refs, id: string, kind: IdentityKind, name: string, account: string | null, time: string | null, attributes?: Record<string, unknown>): void {
  if (refs.identities.includes(id)) return;
  refs.identities.push(id);
  refs.records.push(rec.identity({ id, kind, provider: 'aws', name: name || id, account, lastSeenAt: time, origin: 'alert', attributes }));
}

/**
 * GuardDuty writes the principal into its titles and descriptions ("Principal AssumedRole:IAMRole
 * attempted ...", "observed for IAMUser/john_doe with principalId AIDA... in account 1111..."): for
 * findings that carry no accessKeyDetails (attack sequences, some IAM findings) this is the only place.
 */
const TEXT_PRINCIPAL = /(?:Principal|for|of|by)\s+(IAMUser|AssumedRole|Root|FederatedUser)[:/]([\w+=,.@-]+?)(?=[\s.,;]|$)(?: with principalId (\w+))?(?: in account (\d{12}))?/;

export function principalFromText(texts: (string | null)[], fallbackAccount: string | null): KeyDetails | null {
  for (const t of texts) {
    if (!t) continue;
    const m = TEXT_PRINCIPAL.exec(t);
    if (m) return { userType: m[1], userName: m[2], principalId: m[3] ?? null, account: m[4] ?? fallbackAccount };
  }
  return null;
}

/** The Kubernetes user of an EKS finding as the Kubernetes connectors name it. */
export function addK8sUser(refs: Refs, cluster: string, username: string, time: string | null): string {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(username);
  const id = sa ? `k8s:serviceaccount:${cluster}/${sa[1]}/${sa[2]}` : `k8s:user:${cluster}/${username}`;
  if (!refs.identities.includes(id)) {
    refs.identities.push(id);
    const machine = Boolean(sa) || /^(system|eks|aws):/.test(username);
    refs.records.push(rec.identity({ id, kind: sa ? 'service_account' : machine ? 'service_account' : 'human', provider: 'k8s', name: sa ? sa[2] : username, account: cluster, lastSeenAt: time, origin: 'alert' }));
  }
  return id;
}

export function lastSegment(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash !== -1 && slash < arn.length - 1 ? arn.slice(slash + 1) : arn.slice(arn.lastIndexOf(':') + 1);
}

/** A field by its camelCase name or its PascalCase twin: EventBridge and S3 exports use one, the API the other. */
export function pick(o: Record<string, unknown> | null | undefined, key: string): unknown {
  if (!o) return undefined;
  const v = o[key];
  return v !== undefined ? v : o[key.charAt(0).toUpperCase() + key.slice(1)];
}

export function pstr(o: Record<string, unknown> | null | undefined, key: string): string | null {
  const v = pick(o, key);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}

export function pobj(o: Record<string, unknown> | null | undefined, key: string): Record<string, unknown> | null {
  const v = pick(o, key);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function parr(o: Record<string, unknown> | null | undefined, key: string): unknown[] {
  const v = pick(o, key);
  return Array.isArray(v) ? v : [];
}

export function needTime(value: unknown, field: string, toIso: (v: unknown, f: string) => string | null): string {
  let t: string | null;
  try {
    t = toIso(value, field);
  } catch (err) {
    const msg = (err as Error).message;
    throw new RecordError(`bad ${msg.startsWith(`${field}:`) ? msg : `${field}: ${msg}`}`);
  }
  if (!t) throw new RecordError(`missing ${field}`);
  return t;
}
