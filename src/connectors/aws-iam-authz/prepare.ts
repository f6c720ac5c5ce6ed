import { parseArn } from '../../lib/aws/arn.js';
import { inlinePolicyId } from '../../lib/aws/ids.js';
import { tagMap } from '../../lib/aws/tags.js';
import { RecordError } from '../../lib/errors.js';
import { decodePolicyDocument, type PolicyDocument } from './documents.js';

/**
 * First pass over `get-account-authorization-details`: every list entry checked and its documents
 * decoded once. The second pass (build.ts) needs the whole file first, because a user's permissions
 * come from groups and managed policies that the file lists after it.
 */
export type EntryKind = 'user' | 'group' | 'role' | 'policy';

export interface InlinePolicy {
  id: string;
  name: string;
  doc: PolicyDocument;
}

export interface AttachedPolicy {
  arn: string;
  name: string;
}

export interface PreparedPrincipal {
  kind: 'user' | 'group' | 'role';
  arn: string;
  name: string;
  account: string;
  partition: string;
  path: string;
  value: Record<string, unknown>;
  tags: Record<string, string>;
  inline: InlinePolicy[];
  attached: AttachedPolicy[];
  boundary: string | null;
  /** Roles only: the decoded trust policy. */
  trust: PolicyDocument | null;
}

export interface PreparedPolicy {
  kind: 'policy';
  arn: string;
  name: string;
  value: Record<string, unknown>;
  doc: PolicyDocument;
  versionId: string | null;
}

export type Prepared = PreparedPrincipal | PreparedPolicy;

const NAME_KEY: Record<Exclude<EntryKind, 'policy'>, string> = { user: 'UserName', group: 'GroupName', role: 'RoleName' };

/**
 * Which list an entry came from, by its shape (the record reader hands entries over without their
 * list). An entry missing its name key is still placed by the type in its ARN, so that the reject says
 * what is missing rather than "unrecognised".
 */
export function entryKind(v: Record<string, unknown>): EntryKind | null {
  if (typeof v.UserName === 'string') return 'user';
  if (typeof v.GroupName === 'string') return 'group';
  if (typeof v.RoleName === 'string') return 'role';
  if (typeof v.PolicyName === 'string' || Array.isArray(v.PolicyVersionList)) return 'policy';
  const arn = typeof v.Arn === 'string' ? parseArn(v.Arn) : null;
  if (arn?.service === 'iam') {
    if (arn.resourceType === 'user' || arn.resourceType === 'group' || arn.resourceType === 'role') return arn.resourceType;
    if (arn.resourceType === 'policy') return 'policy';
  }
  return null;
}

export function prepare(value: unknown): Prepared {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RecordError('not an authorization-details entry (expected an object)');
  }
  const v = value as Record<string, unknown>;
  const kind = entryKind(v);
  if (!kind) throw new RecordError('not an authorization-details entry (expected UserName, GroupName, RoleName or PolicyName)');
  if (kind === 'policy') return preparePolicy(v);
  return preparePrincipal(kind, v);
}

function requireArn(v: Record<string, unknown>) {
  if (typeof v.Arn !== 'string' || !v.Arn) throw new RecordError('missing Arn');
  const arn = parseArn(v.Arn);
  if (!arn || !arn.account) throw new RecordError(`Arn: "${v.Arn.slice(0, 80)}" is not an IAM ARN`);
  return { text: v.Arn, arn };
}

function preparePrincipal(kind: 'user' | 'group' | 'role', v: Record<string, unknown>): PreparedPrincipal {
  const { text: arn, arn: parsed } = requireArn(v);
  const nameKey = NAME_KEY[kind];
  const name = v[nameKey];
  if (typeof name !== 'string' || !name) throw new RecordError(`missing ${nameKey}`);
  const listKey = kind === 'user' ? 'UserPolicyList' : kind === 'group' ? 'GroupPolicyList' : 'RolePolicyList';
  const inline: InlinePolicy[] = [];
  for (const [i, p] of list(v[listKey], listKey).entries()) {
    const pname = (p as { PolicyName?: unknown }).PolicyName;
    if (typeof pname !== 'string' || !pname) throw new RecordError(`${listKey}[${i}]: missing PolicyName`);
    inline.push({ id: inlinePolicyId(arn, pname), name: pname, doc: decodePolicyDocument((p as { PolicyDocument?: unknown }).PolicyDocument, `${listKey}[${i}] ${pname}: PolicyDocument`) });
  }
  const attached: AttachedPolicy[] = [];
  for (const [i, p] of list(v.AttachedManagedPolicies, 'AttachedManagedPolicies').entries()) {
    const parn = (p as { PolicyArn?: unknown }).PolicyArn;
    if (typeof parn !== 'string' || !parn) throw new RecordError(`AttachedManagedPolicies[${i}]: missing PolicyArn`);
    const pname = (p as { PolicyName?: unknown }).PolicyName;
    attached.push({ arn: parn, name: typeof pname === 'string' && pname ? pname : parn.slice(parn.lastIndexOf('/') + 1) });
  }
  const pb = v.PermissionsBoundary as { PermissionsBoundaryArn?: unknown } | undefined;
  const boundary = pb && typeof pb.PermissionsBoundaryArn === 'string' ? pb.PermissionsBoundaryArn : null;
  let trust: PolicyDocument | null = null;
  if (kind === 'role') trust = decodePolicyDocument(v.AssumeRolePolicyDocument, 'AssumeRolePolicyDocument');
  return {
    kind, arn, name, account: parsed.account, partition: parsed.partition,
    path: typeof v.Path === 'string' ? v.Path : '/',
    value: v, tags: tagMap(v.Tags), inline, attached, boundary, trust,
  };
}

function preparePolicy(v: Record<string, unknown>): PreparedPolicy {
  const { text: arn } = requireArn(v);
  const name = typeof v.PolicyName === 'string' && v.PolicyName ? v.PolicyName : arn.slice(arn.lastIndexOf('/') + 1);
  const versions = list(v.PolicyVersionList, 'PolicyVersionList') as Array<Record<string, unknown>>;
  const version = versions.find((x) => x?.IsDefaultVersion === true) ?? versions.find((x) => x?.VersionId !== undefined && x.VersionId === v.DefaultVersionId);
  if (!version) throw new RecordError('PolicyVersionList: no default version (IsDefaultVersion)');
  return {
    kind: 'policy', arn, name, value: v,
    doc: decodePolicyDocument(version.Document, `PolicyVersionList ${String(version.VersionId ?? '')}: Document`),
    versionId: typeof version.VersionId === 'string' ? version.VersionId : null,
  };
}

function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RecordError(`${field}: expected a list`);
  return v;
}
