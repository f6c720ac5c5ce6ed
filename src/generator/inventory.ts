import type { AccountModel } from './accounts.js';
import { AWS_MANAGED, awsPolicyArn, type ManagedPolicy, type Role, type User } from './iam.js';
import { StreamedFile, csvLine, type OutputStats } from './output.js';
import { awsTime } from './time.js';

/**
 * The three inventory exports of an account, written as the AWS CLI prints them (4-space JSON; dates
 * as 2026-10-31T08:00:00+00:00) and streamed entity by entity.
 */

const INDENT = '        ';

/** A list entry pretty-printed as the CLI does, indented to sit inside `{ "List": [ ... ] }`. */
function entry(value: unknown): string {
  return INDENT + JSON.stringify(value, null, 4).replace(/\n/g, '\n' + INDENT);
}

async function writeList(file: StreamedFile, key: string, items: Iterable<unknown>, last: boolean): Promise<void> {
  await file.write(`    ${JSON.stringify(key)}: [`);
  let first = true;
  let buffer = '';
  for (const item of items) {
    buffer += (first ? '\n' : ',\n') + entry(item);
    first = false;
    if (buffer.length > 256 * 1024) {
      await file.write(buffer);
      buffer = '';
    }
  }
  await file.write(buffer + (first ? ']' : '\n    ]') + (last ? '\n' : ',\n'));
}

function userEntry(u: User, groupNames: Map<string, string>) {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: u.arn,
    CreateDate: awsTime(u.created),
    UserPolicyList: u.inline,
    GroupList: u.groups.map((g) => groupNames.get(g) ?? g),
    AttachedManagedPolicies: u.attached.map(attachment),
    Tags: u.tags,
  };
}

/** RoleDetail carries no Description or MaxSessionDuration (get-role does); the instance profile's role is the short form. */
function roleEntry(r: Role) {
  const base = { Path: r.path, RoleName: r.name, RoleId: r.id, Arn: r.arn, CreateDate: awsTime(r.created), AssumeRolePolicyDocument: r.trust };
  return {
    ...base,
    InstanceProfileList: r.profile
      ? [{ Path: r.path, InstanceProfileName: r.profile.name, InstanceProfileId: r.profile.id, Arn: r.profile.arn, CreateDate: awsTime(r.profile.created), Roles: [base] }]
      : [],
    RolePolicyList: r.inline,
    AttachedManagedPolicies: r.attached.map(attachment),
    Tags: r.tags,
    RoleLastUsed: r.lastUsed ? { LastUsedDate: awsTime(r.lastUsed.t), Region: r.lastUsed.region } : {},
  };
}

function attachment(arn: string) {
  return { PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn };
}

function policyEntry(p: ManagedPolicy, attachments: number) {
  const versions = p.versions.map((v, i) => ({
    Document: v.doc,
    VersionId: `v${i + 1}`,
    IsDefaultVersion: i === p.versions.length - 1,
    CreateDate: awsTime(v.created),
  })).reverse();
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: `v${p.versions.length}`,
    AttachmentCount: attachments,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    ...(p.description ? { Description: p.description } : {}),
    CreateDate: awsTime(p.created),
    UpdateDate: awsTime(p.updated),
    PolicyVersionList: versions,
  };
}

/** `aws iam get-account-authorization-details` for one account. */
export async function writeAuthorizationDetails(out: string, m: AccountModel, stats: OutputStats): Promise<void> {
  const file = await StreamedFile.open(out, `aws/${m.account.id}/authorization-details.json`, 'aws-iam-authz', stats);
  const attachments = new Map<string, number>();
  const count = (arns: string[]) => arns.forEach((a) => attachments.set(a, (attachments.get(a) ?? 0) + 1));
  for (const u of m.users) count(u.attached);
  for (const r of m.roles) count(r.attached);
  for (const g of m.groups) count(g.attached);
  const groupNames = new Map(m.groups.map((g) => [g.name, g.name]));

  await file.write('{\n');
  await writeList(file, 'UserDetailList', m.users.map((u) => userEntry(u, groupNames)), false);
  await writeList(file, 'GroupDetailList', m.groups.map((g) => ({
    Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: awsTime(g.created), GroupPolicyList: g.inline,
    AttachedManagedPolicies: g.attached.map(attachment),
  })), false);
  await writeList(file, 'RoleDetailList', (function* () {
    for (const r of m.roles) yield roleEntry(r);
  })(), false);
  // Customer managed policies, then the AWS managed ones attached here whose documents are known.
  const awsAttached = [...attachments.keys()].filter((a) => a.startsWith('arn:aws:iam::aws:policy/')).sort();
  const policies: unknown[] = m.policies.map((p) => policyEntry(p, attachments.get(p.arn) ?? 0));
  for (const arn of awsAttached) {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    const p = AWS_MANAGED[name];
    if (!p?.doc) continue;
    policies.push({
      PolicyName: name, PolicyId: awsManagedId(name), Arn: awsPolicyArn(name), Path: p.path, DefaultVersionId: p.version,
      AttachmentCount: attachments.get(arn), PermissionsBoundaryUsageCount: 0, IsAttachable: true,
      CreateDate: awsTime(p.created), UpdateDate: awsTime(p.updated),
      PolicyVersionList: [{ Document: p.doc, VersionId: p.version, IsDefaultVersion: true, CreateDate: awsTime(p.updated) }],
    });
  }
  await writeList(file, 'Policies', policies, true);
  await file.write('}\n');
  await file.close();
}

/** AWS managed policy ids are fixed by AWS; a stable stand-in derived from the name keeps files reproducible. */
function awsManagedId(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = 'ANPA';
  for (let i = 0; i < 17; i++) {
    id += alphabet[h % 32];
    h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
  }
  return id;
}

export const CREDENTIAL_REPORT_HEADER = [
  'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation',
  'mfa_active', 'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region',
  'access_key_1_last_used_service', 'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date',
  'access_key_2_last_used_region', 'access_key_2_last_used_service', 'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
];

/** `aws iam get-credential-report` (the decoded Content): the root row first, then every user. */
export async function writeCredentialReport(out: string, m: AccountModel, accountCreated: number, rootLastLogin: number | null, stats: OutputStats): Promise<void> {
  const file = await StreamedFile.open(out, `aws/${m.account.id}/credential-report.csv`, 'aws-credential-report', stats);
  let text = csvLine(CREDENTIAL_REPORT_HEADER);
  text += csvLine([
    '<root_account>', `arn:aws:iam::${m.account.id}:root`, awsTime(accountCreated), 'not_supported', rootLastLogin ? awsTime(rootLastLogin) : 'no_information',
    'not_supported', 'not_supported', 'true', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'false', 'N/A',
  ]);
  for (const u of m.users) {
    const k = (i: number) => {
      const key = u.keys[i];
      if (!key) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
      return [
        String(key.active), awsTime(key.created), key.lastUsed ? awsTime(key.lastUsed) : 'N/A', key.lastUsedRegion ?? 'N/A', key.lastUsedService ?? 'N/A',
      ];
    };
    const pw = u.password;
    text += csvLine([
      u.name, u.arn, awsTime(u.created), String(Boolean(pw)), pw ? (pw.lastUsed ? awsTime(pw.lastUsed) : 'no_information') : 'N/A',
      pw ? awsTime(pw.changed) : 'N/A', 'N/A', String(u.mfa), ...k(0), ...k(1), 'false', 'N/A', 'false', 'N/A',
    ]);
    if (text.length > 256 * 1024) {
      await file.write(text);
      text = '';
    }
  }
  await file.write(text);
  await file.close();
}

/** `aws resourcegroupstaggingapi get-resources`: every tagged resource of the account. */
export async function writeResources(out: string, m: AccountModel, stats: OutputStats): Promise<void> {
  const file = await StreamedFile.open(out, `aws/${m.account.id}/resources.json`, 'aws-resource-tags', stats);
  await file.write('{\n');
  await writeList(file, 'ResourceTagMappingList', m.resources.map((r) => ({ ResourceARN: r.arn, Tags: r.tags })), true);
  await file.write('}\n');
  await file.close();
}
