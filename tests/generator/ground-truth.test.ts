import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { globToRegExp } from '../../src/generator/ownership.js';
import { GroundTruth } from '../../src/generator/schema.js';
import { EstateFiles, generate, tag, type CtRecord } from './helpers.js';

let files: EstateFiles;
let gt: GroundTruth;
let trail: CtRecord[];
let principals: ReturnType<EstateFiles['principals']>;

beforeAll(async () => {
  const g = await generate({ seed: 'ground-truth', days: 5, eventsPerDay: 1200 });
  files = new EstateFiles(g.out);
  gt = GroundTruth.parse(files.groundTruth());
  trail = files.trail().map((x) => x.record).sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  principals = files.principals();
}, 120_000);

const incident = (prefix: string) => gt.incidents.find((i) => i.id.startsWith(prefix))!;
const keyId = (id: string) => id.replace('aws:access-key:', '');
const byKey = (key: string) => trail.filter((r) => r.userIdentity.accessKeyId === key);
const sessionsOf = (issuerArn: string) => trail.filter((r) => r.userIdentity.sessionContext?.sessionIssuer?.arn === issuerArn);

describe('estate generator: ground truth', () => {
  it('lists five incidents with canonical ids that exist in the generated files', () => {
    expect(gt.incidents.map((i) => i.id)).toEqual([
      'gt-1-ai-assistant-ci-role-customer-data', 'gt-2-offboarded-employee-key', 'gt-3-service-account-used-interactively',
      'gt-4-dev-key-used-against-prod', 'gt-5-third-party-admin',
    ]);
    const trusted = new Set([...principals.values()].filter((p) => p.kind === 'role').flatMap((p) => p.entry.AssumeRolePolicyDocument.Statement.flatMap((s: any) => [s.Principal.AWS ?? []].flat())));
    const exists = (id: string) => {
      if (id.startsWith('aws:access-key:')) return trail.some((r) => r.userIdentity.accessKeyId === keyId(id) || r.responseElements?.accessKey?.accessKeyId === keyId(id));
      if (id.startsWith('aws:password:')) return files.credentialReport(id.split(':')[6]).some((r) => r.arn === id.slice('aws:password:'.length) && r.password_enabled === 'true');
      if (id.endsWith(':root')) return trusted.has(id);
      return principals.has(id) || trail.some((r) => r.resources?.some((x: any) => x.ARN === id));
    };
    for (const i of gt.incidents) {
      expect(i.chain[0]).toBe(i.rootIdentity);
      for (const id of i.chain) expect(exists(id), `${i.id}: ${id}`).toBe(true);
      for (const a of i.actions) expect(exists(a.target), `${i.id}: ${a.action} ${a.target}`).toBe(true);
    }
  });

  it('1: an AI assistant acting for an engineer reads restricted customer data through the admin CI role at night', () => {
    const i = incident('gt-1');
    const [userArn, key, roleArn] = i.chain;
    const user = principals.get(userArn)!.entry;
    const email = tag(user, 'email')!;
    const role = principals.get(roleArn)!.entry;
    expect(role.AttachedManagedPolicies.map((p: any) => p.PolicyName)).toContain('AdministratorAccess');
    expect(user.GroupList).toContain('platform-engineers');
    // The hop: the engineer's key assumes the CI role, carrying their email as sourceIdentity, from an AI tool.
    const hop = byKey(keyId(key)).filter((r) => r.eventName === 'AssumeRole' && r.requestParameters.roleArn === roleArn);
    expect(hop).toHaveLength(1);
    expect(hop[0].requestParameters.sourceIdentity).toBe(email);
    expect(hop[0].userAgent).toMatch(/claude-code|cursor|copilot/);
    const session = hop[0].responseElements.credentials.accessKeyId;
    const reads = byKey(session).filter((r) => r.eventName === 'GetObject');
    expect(reads.length).toBeGreaterThanOrEqual(140);
    const bucket = reads[0].requestParameters.bucketName;
    const resource = files.accounts.flatMap((a) => files.resources(a).ResourceTagMappingList).find((r) => r.ResourceARN === `arn:aws:s3:::${bucket}`)!;
    expect(resource.Tags).toContainEqual({ Key: 'data-classification', Value: 'restricted' });
    expect(byKey(session).every((r) => r.userIdentity.sessionContext.sourceIdentity === email)).toBe(true);
    // Unusual hour for that person: their own CLI sessions all happen in office hours, hours apart from this.
    const own = trail.filter((r) => r.eventName === 'AssumeRole' && r.userIdentity.arn === userArn && r !== hop[0]);
    expect(own.length).toBeGreaterThan(0);
    const hourOf = (r: CtRecord) => new Date(r.eventTime).getUTCHours();
    for (const r of own) expect(Math.abs(hourOf(r) - hourOf(hop[0]))).toBeGreaterThanOrEqual(4);
    // The look-alike: nobody else's session reads that bucket through a CI role.
    expect(sessionsOf(roleArn).filter((r) => r.requestParameters?.bucketName === bucket && r.userIdentity.accessKeyId !== session)).toHaveLength(0);
  });

  it('2: a leaver\'s key, unused for months, calls iam, s3 and sts from a network never seen for it', () => {
    const i = incident('gt-2');
    const [userArn, key] = i.chain;
    const user = principals.get(userArn)!.entry;
    const person = files.roster().find((r) => r.email === tag(user, 'email'))!;
    expect(person.status).toBe('terminated');
    expect(person.end_date < '2026-08-01').toBe(true);
    const row = files.credentialReport(userArn.split(':')[4]).find((r) => r.arn === userArn)!;
    const slot = row.access_key_2_active === 'true' ? 2 : 1;
    expect(row[`access_key_${slot}_active`]).toBe('true');
    expect(row[`access_key_${slot}_last_used_date`] < person.end_date).toBe(true);
    expect(row[`access_key_${slot}_last_rotated`] < '2025-11-01').toBe(true); // over a year old
    const calls = byKey(keyId(key));
    expect(new Set(calls.map((r) => r.eventSource))).toEqual(new Set(['sts.amazonaws.com', 'iam.amazonaws.com', 's3.amazonaws.com']));
    const ips = new Set(calls.map((r) => r.sourceIPAddress));
    expect(ips.size).toBe(1);
    const ip = [...ips][0];
    // Nothing else ever came from there (the role accounts' copies of its AssumeRole calls name it by its user id).
    expect(trail.filter((r) => r.sourceIPAddress === ip && r.userIdentity.accessKeyId !== keyId(key) && r.userIdentity.principalId !== user.UserId)).toHaveLength(0);
    // And the key was silent until then.
    expect(calls[0].eventTime > '2026-11-03').toBe(true);
    expect(calls.filter((r) => r.errorCode === 'AccessDenied').length).toBeGreaterThanOrEqual(4);
    const created = calls.find((r) => r.eventName === 'CreateAccessKey')!;
    expect(i.actions).toContainEqual({ action: 'deactivate_credential', target: `aws:access-key:${created.responseElements.accessKey.accessKeyId}` });
  });

  it('3: a service user signs in to the console and is driven from a browser, against its SDK baseline', () => {
    const [userArn] = incident('gt-3').chain;
    const user = principals.get(userArn)!.entry;
    expect(tag(user, 'identity-type')).toBe('service');
    const mine = trail.filter((r) => r.userIdentity.arn === userArn);
    const login = mine.filter((r) => r.eventName === 'ConsoleLogin');
    expect(login).toHaveLength(1);
    expect(login[0].additionalEventData.MFAUsed).toBe('No');
    const browser = mine.filter((r) => r.userAgent.startsWith('Mozilla/5.0'));
    expect(browser.length).toBeGreaterThanOrEqual(15);
    expect(browser.every((r) => r.eventName === 'ConsoleLogin' || r.sessionCredentialFromConsole === 'true')).toBe(true);
    const sdk = mine.filter((r) => !r.userAgent.startsWith('Mozilla/5.0'));
    expect(sdk.length).toBeGreaterThan(200); // steady automation around the clock
    expect(new Set(sdk.map((r) => r.sourceIPAddress)).size).toBe(1);
    expect(new Set(sdk.map((r) => r.userAgent.split(' ')[0]))).toEqual(new Set(['Boto3/1.35.36']));
    expect(sdk.every((r) => r.userIdentity.accessKeyId.startsWith('AKIA'))).toBe(true);
    expect(browser[0].sourceIPAddress).not.toBe(sdk[0].sourceIPAddress);
  });

  it('4: a dev-tagged service user\'s key assumes a production role and reads production data', () => {
    const [userArn, key, roleArn] = incident('gt-4').chain;
    const user = principals.get(userArn)!.entry;
    expect(tag(user, 'environment')).toBe('dev');
    const prodRole = principals.get(roleArn)!.entry;
    expect(prodRole.AssumeRolePolicyDocument.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${userArn.split(':')[4]}:root`);
    const prodAccount = roleArn.split(':')[4];
    const roles = files.authz(prodAccount).RoleDetailList.filter((r) => tag(r, 'environment') ?? tag(r, 'env'));
    expect(roles.every((r) => ['prod', 'production'].includes(tag(r, 'environment') ?? tag(r, 'env')!))).toBe(true);
    const hops = byKey(keyId(key)).filter((r) => r.eventName === 'AssumeRole');
    expect(hops.length).toBeGreaterThanOrEqual(1);
    expect(hops.every((r) => r.requestParameters.roleArn === roleArn && !r.errorCode)).toBe(true);
    const reads = hops.flatMap((h) => byKey(h.responseElements.credentials.accessKeyId)).filter((r) => r.eventName === 'GetObject');
    expect(reads.length).toBeGreaterThanOrEqual(25);
    expect(reads.every((r) => r.recipientAccountId === prodAccount && r.requestParameters.bucketName.endsWith('-prod'))).toBe(true);
    // Its everyday traffic stays in dev.
    const daily = byKey(keyId(key)).filter((r) => r.eventName !== 'AssumeRole');
    expect(daily.length).toBeGreaterThan(20);
    expect(daily.every((r) => r.recipientAccountId === userArn.split(':')[4])).toBe(true);
  });

  it('5: a third party\'s role holds AdministratorAccess and is used from the vendor\'s account', () => {
    const [root, roleArn] = incident('gt-5').chain;
    const vendor = root.split(':')[4];
    expect(files.accounts).not.toContain(vendor);
    const role = principals.get(roleArn)!.entry;
    expect(role.AttachedManagedPolicies.map((p: any) => p.PolicyName)).toEqual(['AdministratorAccess']);
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal.AWS).toBe(root);
    expect(role.RoleLastUsed).toEqual({});
    const uses = trail.filter((r) => r.eventName === 'AssumeRole' && r.userIdentity.type === 'AWSAccount' && r.userIdentity.accountId === vendor);
    expect(uses.length).toBeGreaterThan(20);
    expect(uses.every((r) => r.requestParameters.roleArn === roleArn)).toBe(true);
    // Look-alikes: other vendors hold read-only policies, or admin without using it.
    const vendorRoles = [...principals.values()].filter((p) => p.kind === 'role' && p.entry.RoleName.endsWith('IntegrationRole'));
    expect(vendorRoles).toHaveLength(5);
    const admins = vendorRoles.filter((p) => p.entry.AttachedManagedPolicies.some((x: any) => x.PolicyName === 'AdministratorAccess'));
    expect(admins.map((p) => p.entry.Arn).sort()).toEqual([roleArn, admins.find((p) => p.entry.Arn !== roleArn)!.entry.Arn].sort());
    const other = admins.find((p) => p.entry.Arn !== roleArn)!.entry.Arn;
    expect(sessionsOf(other)).toHaveLength(0);
  });

  it('lists privilege-escalation principals: an escalation permission each, none already admin', () => {
    const escalation = /^iam:(CreatePolicyVersion|PassRole|AttachUserPolicy|PutRolePolicy|UpdateAssumeRolePolicy|CreateLoginProfile|AttachRolePolicy)$/;
    expect(gt.privesc.length).toBeGreaterThanOrEqual(6);
    for (const id of gt.privesc) {
      const p = principals.get(id)!;
      expect(p, id).toBeDefined();
      const own = [...(p.entry.UserPolicyList ?? []), ...(p.entry.RolePolicyList ?? [])];
      const groups = (p.entry.GroupList ?? []).map((g: string) => principals.get(`arn:aws:iam::${p.account}:group/${g}`)!.entry);
      const policies = files.authz(p.account).Policies;
      const docs = [
        ...own.map((x: any) => x.PolicyDocument),
        ...groups.flatMap((g: any) => g.AttachedManagedPolicies.map((a: any) => policies.find((x) => x.Arn === a.PolicyArn)?.PolicyVersionList[0].Document).filter(Boolean)),
      ];
      const actions = docs.flatMap((d: any) => d.Statement.flatMap((s: any) => [s.Action].flat()));
      expect(actions.some((a: string) => escalation.test(a)), id).toBe(true);
      const attached = [...p.entry.AttachedManagedPolicies, ...groups.flatMap((g: any) => g.AttachedManagedPolicies)].map((x: any) => x.PolicyName);
      expect(attached).not.toContain('AdministratorAccess');
      expect(attached).not.toContain('PowerUserAccess');
    }
    // PassRole escalations have a more privileged role to pass in the same account.
    for (const id of gt.privesc) {
      const p = principals.get(id)!;
      const passRole = [...(p.entry.UserPolicyList ?? []), ...(p.entry.RolePolicyList ?? [])].some((x: any) => JSON.stringify(x).includes('iam:PassRole'));
      if (!passRole) continue;
      const admin = files.authz(p.account).RoleDetailList.filter((r) => r.AttachedManagedPolicies.some((x: any) => x.PolicyName === 'AdministratorAccess') && r.AssumeRolePolicyDocument.Statement.some((s: any) => s.Principal.Service));
      expect(admin.length, id).toBeGreaterThan(0);
    }
  });

  it('lists orphaned users and roles exactly: no ownership entry matches and no owner or team tag', () => {
    const patterns = files.ownership().owners.map((o) => globToRegExp(o.match));
    const owned = (arn: string, entry: any) => patterns.some((p) => p.test(arn)) || (entry.Tags ?? []).some((t: any) => /^(owner|team)$/i.test(t.Key));
    const orphaned = new Set(gt.orphaned);
    let machines = 0;
    for (const [arn, p] of principals) {
      if (p.kind === 'group' || (p.kind === 'user' && tag(p.entry, 'email'))) continue;
      machines++;
      expect(orphaned.has(arn), arn).toBe(!owned(arn, p.entry));
    }
    expect(gt.orphaned.length).toBeGreaterThan(machines * 0.05);
    expect(gt.orphaned.length).toBeLessThan(machines * 0.35);
    // Some are owned only through tags, some only through the map.
    const tagOnly = [...principals].filter(([arn, p]) => p.kind !== 'group' && !patterns.some((x) => x.test(arn)) && (p.entry.Tags ?? []).some((t: any) => /^owner$/i.test(t.Key)));
    expect(tagOnly.length).toBeGreaterThan(20);
  });

  it('is pretty-printed JSON that validates against the GroundTruth schema', () => {
    const text = readFileSync(`${files.out}/ground-truth.json`, 'utf8');
    expect(text.startsWith('{\n  "incidents": [')).toBe(true);
    expect(GroundTruth.safeParse(JSON.parse(text)).success).toBe(true);
  });
});
