import { RecordError } from '../../lib/errors.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { compact, obj, str } from '../openai-admin/records.js';
import { icIds, permissionSetId, permissionSetOfRole } from './ids.js';

type Obj = Record<string, unknown>;

export type IcKind = 'user' | 'group' | 'membership' | 'permissionSet' | 'assignment' | 'instance' | 'role';

/** What a file says about itself that assignments need: permission set names and the reserved roles it lists. */
export interface IcContext {
  permissionSetNames: Map<string, string>;
  /** `<account>/<permission set name>` -> the reserved role's ARN. */
  reservedRoles: Map<string, string>;
  ref: string;
}

export function kindOf(v: Obj): IcKind | null {
  if (typeof v.UserName === 'string' && !('RoleName' in v)) return 'user';
  if (typeof v.AccountId === 'string' && typeof v.PermissionSetArn === 'string' && (typeof v.PrincipalId === 'string' || typeof v.UserId === 'string' || typeof v.GroupId === 'string')) return 'assignment';
  if (typeof v.GroupId === 'string' && (obj(v.MemberId) || typeof v.MembershipId === 'string')) return 'membership';
  if (typeof v.GroupId === 'string' && typeof v.DisplayName === 'string') return 'group';
  if (typeof v.PermissionSetArn === 'string' && typeof v.Name === 'string') return 'permissionSet';
  if (typeof v.InstanceArn === 'string' && typeof v.IdentityStoreId === 'string') return 'instance';
  if (typeof v.Arn === 'string' && typeof v.RoleName === 'string') return 'role';
  return null;
}

/**
 * One Identity Center object -> identities and edges: users (with their emails and SCIM external ids),
 * groups, `member_of` memberships, and for each account assignment a `can_assume` from the user or
 * group to the `AWSReservedSSO_<permission set>_<hash>` role in that account (or to the provisioned
 * permission set standing for it, when the role is not in the file).
 */
export function icRecords(v: Obj, kind: IcKind, ctx: IcContext): CanonicalRecord[] {
  switch (kind) {
    case 'user': return userRecords(v);
    case 'group': return groupRecords(v);
    case 'membership': return membershipRecords(v);
    case 'permissionSet': return permissionSetRecords(v);
    case 'assignment': return assignmentRecords(v, ctx);
    case 'instance': return [rec.resource({ id: need(v, 'InstanceArn'), provider: 'aws', type: 'sso:instance', name: str(v.Name) ?? permissionSetId(need(v, 'InstanceArn')), account: str(v.OwnerAccountId), attributes: compact({ identityStoreId: str(v.IdentityStoreId), status: str(v.InstanceStatus) }) })];
    case 'role': return roleRecords(v);
  }
}

function userRecords(v: Obj): CanonicalRecord[] {
  const userId = need(v, 'UserId');
  const emails = Array.isArray(v.Emails) ? (v.Emails as unknown[]).map(obj).filter((e): e is Obj => Boolean(e)) : [];
  const primary = emails.find((e) => e.Primary === true) ?? emails[0];
  const name = obj(v.Name);
  const userName = need(v, 'UserName');
  return [rec.identity({
    id: icIds.user(userId),
    kind: 'human',
    provider: 'aws',
    name: str(v.DisplayName) ?? userName,
    email: str(primary?.Value) ?? (userName.includes('@') ? userName : null),
    account: str(v.IdentityStoreId),
    status: 'active',
    attributes: compact({
      identityCenter: true,
      userName,
      userId,
      identityStoreId: str(v.IdentityStoreId),
      givenName: str(name?.GivenName),
      familyName: str(name?.FamilyName),
      emails: emails.length > 1 ? emails.map((e) => str(e.Value)).filter(Boolean) : null,
      externalIds: externalIds(v),
      title: str(v.Title),
      userType: str(v.UserType),
    }),
  })];
}

function groupRecords(v: Obj): CanonicalRecord[] {
  const groupId = need(v, 'GroupId');
  return [rec.identity({
    id: icIds.group(groupId),
    kind: 'group',
    provider: 'aws',
    name: need(v, 'DisplayName'),
    account: str(v.IdentityStoreId),
    attributes: compact({ identityCenter: true, groupId, description: str(v.Description), externalIds: externalIds(v) }),
  })];
}

function membershipRecords(v: Obj): CanonicalRecord[] {
  const group = need(v, 'GroupId');
  const user = str(obj(v.MemberId)?.UserId) ?? str(v.UserId);
  if (!user) throw new RecordError('missing MemberId.UserId');
  return [rec.edge({ from: icIds.user(user), kind: 'member_of', to: icIds.group(group), attributes: compact({ membershipId: str(v.MembershipId) }) })];
}

function permissionSetRecords(v: Obj): CanonicalRecord[] {
  const arn = need(v, 'PermissionSetArn');
  return [rec.resource({
    id: arn, provider: 'aws', type: 'sso:permission-set', name: need(v, 'Name'),
    attributes: compact({ description: str(v.Description), sessionDuration: str(v.SessionDuration), createdAt: safeIso(v.CreatedDate), relayState: str(v.RelayState) }),
  })];
}

function assignmentRecords(v: Obj, ctx: IcContext): CanonicalRecord[] {
  const account = need(v, 'AccountId');
  if (!/^\d{12}$/.test(account)) throw new RecordError(`bad AccountId "${account.slice(0, 20)}" (expected 12 digits)`);
  const psArn = need(v, 'PermissionSetArn');
  const type = (str(v.PrincipalType) ?? (str(v.GroupId) && !str(v.UserId) ? 'GROUP' : 'USER')).toUpperCase();
  const principalId = str(v.PrincipalId) ?? (type === 'GROUP' ? str(v.GroupId) : str(v.UserId));
  if (!principalId) throw new RecordError('missing PrincipalId');
  if (type !== 'USER' && type !== 'GROUP') throw new RecordError(`bad PrincipalType "${type}" (expected USER or GROUP)`);
  const principal = type === 'GROUP' ? icIds.group(principalId) : icIds.user(principalId);
  const psName = ctx.permissionSetNames.get(psArn) ?? str(v.PermissionSetName);
  const role = psName ? ctx.reservedRoles.get(`${account}/${psName}`) : undefined;
  const attributes = compact({ permissionSetArn: psArn, permissionSet: psName, accountId: account, source: 'identity-center' });
  if (role) return [rec.edge({ from: principal, kind: 'can_assume', to: role, evidence: [psArn], attributes })];
  const placeholder = icIds.provisioned(account, psArn);
  return [
    rec.identity({
      id: placeholder,
      kind: 'role',
      provider: 'aws',
      name: psName ? `AWSReservedSSO_${psName}_*` : `${permissionSetId(psArn)} (permission set)`,
      account,
      origin: 'derived',
      attributes: compact({ provisionedPermissionSet: true, permissionSetArn: psArn, permissionSet: psName }),
    }),
    rec.edge({ from: principal, kind: 'can_assume', to: placeholder, evidence: [psArn], attributes }),
  ];
}

/** A reserved role listed beside the assignments (IAM list-roles output or a bundle). */
function roleRecords(v: Obj): CanonicalRecord[] {
  const arn = need(v, 'Arn');
  const roleName = need(v, 'RoleName');
  const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(arn)?.[1] ?? str(v.AccountId);
  if (!account) throw new RecordError('bad Arn (expected an IAM role ARN)');
  return [rec.identity({
    id: arn, kind: 'role', provider: 'aws', name: roleName, account, createdAt: safeIso(v.CreateDate),
    attributes: compact({ path: str(v.Path), roleId: str(v.RoleId), permissionSet: permissionSetOfRole(roleName) }),
  })];
}

function externalIds(v: Obj): { issuer: string | null; id: string }[] | null {
  if (!Array.isArray(v.ExternalIds)) return null;
  const out = (v.ExternalIds as unknown[]).map(obj).filter((e): e is Obj => Boolean(e && str(e.Id))).map((e) => ({ issuer: str(e.Issuer), id: str(e.Id)! }));
  return out.length ? out : null;
}

function need(v: Obj, key: string): string {
  const s = str(v[key]);
  if (!s) throw new RecordError(`missing ${key}`);
  return s;
}

function safeIso(v: unknown): string | null {
  try {
    return toIso(v);
  } catch {
    return null;
  }
}
