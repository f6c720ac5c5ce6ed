import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toIso } from '../../src/lib/time.js';
import { CREDENTIAL_REPORT_HEADER } from '../../src/generator/inventory.js';
import { ROSTER_HEADER } from '../../src/generator/org.js';
import type { EstateSummary } from '../../src/generator/schema.js';
import { EstateFiles, generate, tag, type CtRecord } from './helpers.js';

const AWS_CLI_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;
const CT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const CT_NAME = /^(\d{12})_CloudTrail_([a-z]{2}-[a-z]+-\d)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/;

let files: EstateFiles;
let summary: EstateSummary;

beforeAll(async () => {
  const g = await generate();
  files = new EstateFiles(g.out);
  summary = g.summary;
}, 120_000);

describe('estate generator: HR roster and ownership map', () => {
  it('writes the roster with managers, teams, leavers with end dates and contractors', () => {
    const header = readFileSync(`${files.out}/hr/roster.csv`, 'utf8').split('\n')[0];
    expect(header).toBe(ROSTER_HEADER.join(','));
    const rows = files.roster();
    expect(rows).toHaveLength(60);
    const emails = new Set(rows.map((r) => r.email));
    expect(new Set(rows.map((r) => r.employee_id)).size).toBe(60);
    for (const r of rows) {
      expect(r.employee_id).toMatch(/^[EC]\d{5}$/);
      expect(r.email).toMatch(/^[a-z0-9.-]+@(ext\.)?corvidlabs\.example$/);
      expect(r.start_date).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(['active', 'terminated', 'leave']).toContain(r.status);
      if (r.manager) expect(emails.has(r.manager)).toBe(true);
      if (r.status === 'terminated') expect(r.end_date < '2026-11-01' && r.end_date > r.start_date).toBe(true);
      else expect(r.end_date).toBe('');
    }
    expect(rows.filter((r) => !r.manager)).toHaveLength(1); // the CEO
    expect(rows.filter((r) => r.status === 'terminated').length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((r) => r.team)).size).toBeGreaterThanOrEqual(15);
  });

  it('writes the ownership map as YAML owners: {match, owner, team, note} naming people and teams of the roster', () => {
    const map = files.ownership();
    const rows = files.roster();
    const emails = new Set(rows.map((r) => r.email));
    const teams = new Set(rows.map((r) => r.team));
    expect(map.owners.length).toBeGreaterThan(20);
    for (const o of map.owners) {
      expect(Object.keys(o).every((k) => ['match', 'owner', 'team', 'note'].includes(k))).toBe(true);
      expect(o.match).toMatch(/^arn:aws:iam::(\d{12}|\*):(role|user)\//);
      if (o.owner) expect(emails.has(o.owner)).toBe(true);
      if (o.team) expect(teams.has(o.team)).toBe(true);
      expect(o.owner ?? o.team).toBeTruthy();
    }
    expect(map.owners.some((o) => o.match.includes('*'))).toBe(true);
    expect(map.owners.some((o) => !o.match.includes('*'))).toBe(true);
  });
});

describe('estate generator: IAM inventories per account', () => {
  it('splits the estate into an identity account and prod/staging/dev workload accounts', () => {
    expect(files.accounts).toEqual(summary.accounts.map((a) => a.id).sort());
    expect(summary.accounts.map((a) => `${a.kind}:${a.env}`).sort()).toEqual(['identity:prod', 'workload:dev', 'workload:prod', 'workload:staging']);
    for (const a of files.accounts) expect(a).toMatch(/^[1-9]\d{11}$/);
  });

  it('writes get-account-authorization-details as the CLI prints it', () => {
    for (const account of files.accounts) {
      const text = readFileSync(`${files.out}/aws/${account}/authorization-details.json`, 'utf8');
      expect(text.startsWith('{\n    "UserDetailList": [\n        {\n            "Path": ')).toBe(true);
      const d = files.authz(account);
      expect(Object.keys(d)).toEqual(['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies']);
      for (const u of d.UserDetailList) {
        expect(Object.keys(u)).toEqual(['Path', 'UserName', 'UserId', 'Arn', 'CreateDate', 'UserPolicyList', 'GroupList', 'AttachedManagedPolicies', 'Tags']);
        expect(u.Arn).toBe(`arn:aws:iam::${account}:user${u.Path}${u.UserName}`);
        expect(u.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
        expect(u.CreateDate).toMatch(AWS_CLI_TIME);
        for (const g of u.GroupList) expect(d.GroupDetailList.some((x) => x.GroupName === g)).toBe(true);
      }
      for (const r of d.RoleDetailList) {
        expect(Object.keys(r)).toEqual(['Path', 'RoleName', 'RoleId', 'Arn', 'CreateDate', 'AssumeRolePolicyDocument', 'InstanceProfileList', 'RolePolicyList', 'AttachedManagedPolicies', 'Tags', 'RoleLastUsed']);
        expect(r.Arn).toBe(`arn:aws:iam::${account}:role${r.Path}${r.RoleName}`);
        expect(r.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
        expect(r.AssumeRolePolicyDocument.Version).toBe('2012-10-17');
        expect(JSON.stringify(r.AssumeRolePolicyDocument).length).toBeLessThanOrEqual(2048); // the default trust policy size quota
        if (r.RoleLastUsed.LastUsedDate) {
          expect(r.RoleLastUsed.LastUsedDate).toMatch(AWS_CLI_TIME);
          expect(r.RoleLastUsed.LastUsedDate < '2026-11-01').toBe(true); // exported as the window opens
        } else expect(r.RoleLastUsed).toEqual({});
        for (const p of r.InstanceProfileList) {
          expect(p.Arn).toBe(`arn:aws:iam::${account}:instance-profile${p.Path}${p.InstanceProfileName}`);
          expect(p.Roles[0].Arn).toBe(r.Arn);
        }
        for (const m of r.AttachedManagedPolicies) expect(m.PolicyArn.endsWith(`/${m.PolicyName}`)).toBe(true);
        expect(r.AttachedManagedPolicies.length).toBeLessThanOrEqual(10);
      }
      for (const p of d.Policies) {
        expect(p.PolicyVersionList.filter((v: any) => v.IsDefaultVersion)).toHaveLength(1);
        expect(p.PolicyVersionList.find((v: any) => v.IsDefaultVersion).VersionId).toBe(p.DefaultVersionId);
        expect(p.PolicyVersionList[0].Document.Statement.length).toBeGreaterThan(0);
        expect(JSON.stringify(p.PolicyVersionList[0].Document).length).toBeLessThanOrEqual(6144); // managed policy size quota
        if (!p.Arn.startsWith('arn:aws:iam::aws:')) expect(p.Arn).toBe(`arn:aws:iam::${account}:policy${p.Path}${p.PolicyName}`);
        expect(p.AttachmentCount).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('has trust chains: GitHub OIDC with and without a strict sub, cross-account, third parties, service roles', () => {
    const roles = files.accounts.flatMap((a) => files.authz(a).RoleDetailList);
    const statements = roles.flatMap((r) => r.AssumeRolePolicyDocument.Statement.map((s: any) => ({ role: r, s })));
    const oidc = statements.filter(({ s }) => s.Principal.Federated?.endsWith(':oidc-provider/token.actions.githubusercontent.com'));
    const sub = (s: any) => s.Condition?.StringEquals?.['token.actions.githubusercontent.com:sub'];
    expect(oidc.filter(({ s }) => sub(s)?.startsWith('repo:corvidlabs/')).length).toBeGreaterThan(3);
    expect(oidc.some(({ s }) => !sub(s))).toBe(true); // StringLike or audience only
    expect(oidc.every(({ s }) => s.Action === 'sts:AssumeRoleWithWebIdentity' && s.Condition.StringEquals['token.actions.githubusercontent.com:aud'] === 'sts.amazonaws.com')).toBe(true);
    const ours = new Set(files.accounts);
    const aws = statements.flatMap(({ role, s }) => [s.Principal.AWS ?? []].flat().map((p: string) => ({ role, p, s })));
    const external = aws.filter(({ p }) => !ours.has(p.split(':')[4]));
    expect(external.length).toBe(5); // the vendors
    expect(external.filter(({ s }) => s.Condition?.StringEquals?.['sts:ExternalId']).length).toBe(4);
    expect(aws.some(({ p, role }) => ours.has(p.split(':')[4]) && p.split(':')[4] !== role.Arn.split(':')[4])).toBe(true);
    const services = new Set(statements.map(({ s }) => s.Principal.Service).filter(Boolean));
    for (const s of ['ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'autoscaling.amazonaws.com']) expect(services.has(s)).toBe(true);
    expect(roles.some((r) => r.Path.startsWith('/aws-service-role/'))).toBe(true);
  });

  it('tags environments on workloads and classifies buckets, the customer-data bucket as restricted', () => {
    const roles = files.accounts.flatMap((a) => files.authz(a).RoleDetailList.filter((r) => r.Tags.length));
    const envs = new Set(roles.map((r) => tag(r, 'environment') ?? tag(r, 'env')));
    for (const e of ['prod', 'dev', 'staging']) expect(envs.has(e)).toBe(true);
    const buckets = files.accounts.flatMap((a) => files.resources(a).ResourceTagMappingList).filter((r) => r.ResourceARN.startsWith('arn:aws:s3:::'));
    const cls = (r: (typeof buckets)[number]) => r.Tags.find((t) => t.Key === 'data-classification')?.Value;
    expect(cls(buckets.find((b) => b.ResourceARN === 'arn:aws:s3:::corvidlabs-customer-data-prod')!)).toBe('restricted');
    expect(new Set(buckets.map(cls))).toEqual(new Set(['public', 'internal', 'confidential', 'restricted']));
    for (const a of files.accounts) {
      const text = readFileSync(`${files.out}/aws/${a}/resources.json`, 'utf8');
      expect(text.startsWith('{\n    "ResourceTagMappingList": [')).toBe(true);
      for (const r of files.resources(a).ResourceTagMappingList) {
        expect(Object.keys(r)).toEqual(['ResourceARN', 'Tags']);
        expect(r.ResourceARN).toMatch(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:/);
        if (!r.ResourceARN.startsWith('arn:aws:s3:::')) expect(r.ResourceARN.split(':')[4]).toBe(a);
      }
    }
  });

  it('writes the credential report with its 22 columns, the root row first, and key ages over a year', () => {
    let oldKeys = 0;
    for (const a of files.accounts) {
      const text = readFileSync(`${files.out}/aws/${a}/credential-report.csv`, 'utf8');
      expect(text.split('\n')[0]).toBe(CREDENTIAL_REPORT_HEADER.join(','));
      const rows = files.credentialReport(a);
      expect(rows[0]).toMatchObject({ user: '<root_account>', arn: `arn:aws:iam::${a}:root`, password_enabled: 'not_supported' });
      const users = files.authz(a).UserDetailList;
      expect(rows.slice(1).map((r) => r.arn)).toEqual(users.map((u) => u.Arn));
      for (const r of rows) {
        expect(Object.keys(r)).toHaveLength(22);
        for (const k of ['user_creation_time', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'password_last_used']) {
          expect(r[k]).toMatch(/^(N\/A|no_information|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)$/);
          expect(() => toIso(r[k], k)).not.toThrow();
        }
        for (const k of ['mfa_active', 'access_key_1_active', 'access_key_2_active', 'cert_1_active']) expect(['true', 'false']).toContain(r[k]);
        if (r.access_key_1_active === 'true' && r.access_key_1_last_rotated < '2025-11-01') oldKeys++;
      }
    }
    expect(oldKeys).toBeGreaterThan(10);
  });
});

describe('estate generator: CloudTrail as delivered', () => {
  it('delivers gzipped {"Records": [...]} files by account, region and day, under CloudTrail names', () => {
    expect(files.trailFiles.length).toBe(summary.cloudtrailFiles);
    let total = 0;
    for (const f of files.trailFiles) {
      const rel = relative(files.out, f).split('/');
      expect(rel.slice(0, 3)).toEqual(['AWSLogs', rel[1], 'CloudTrail']);
      const m = CT_NAME.exec(basename(f))!;
      expect(m).not.toBeNull();
      expect(m[1]).toBe(rel[1]);
      expect(m[2]).toBe(rel[3]);
      expect(`${m[3].slice(0, 4)}/${m[3].slice(4, 6)}/${m[3].slice(6, 8)}`).toBe(rel.slice(4, 7).join('/'));
      const bytes = readFileSync(f);
      expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    }
    const byFile = new Map<string, CtRecord[]>();
    for (const { file, record } of files.trail()) {
      total++;
      (byFile.get(file) ?? byFile.set(file, []).get(file)!).push(record);
    }
    expect(total).toBe(summary.events);
    for (const [file, recs] of byFile) {
      expect(recs.length).toBeLessThanOrEqual(2500);
      const [, account, region, stamp] = CT_NAME.exec(basename(file))!;
      const delivered = Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:00Z`);
      for (const r of recs) {
        expect(r.recipientAccountId).toBe(account);
        expect(r.awsRegion).toBe(region);
        const t = Date.parse(r.eventTime);
        expect(t).toBeLessThanOrEqual(delivered); // delivered after the window closes...
        expect(delivered - t).toBeLessThan((summary.deliveryMinutes + 5) * 60_000); // ...within minutes of it
      }
    }
  });

  it('writes every record with the fields and userIdentity shapes CloudTrail uses', () => {
    const types = new Map<string, number>();
    const accounts = new Set(files.accounts);
    for (const { record: r } of files.trail()) {
      expect(Object.keys(r).slice(0, 8)).toEqual(['eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent']);
      expect(r.eventTime).toMatch(CT_TIME);
      expect(r.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.eventSource).toMatch(/\.amazonaws\.com$/);
      expect(['Management', 'Data']).toContain(r.eventCategory);
      expect(typeof r.readOnly).toBe('boolean');
      expect(r.managementEvent).toBe(r.eventCategory === 'Management');
      expect(r.eventTime >= '2026-11-01' && r.eventTime < '2026-11-04T00:10').toBe(true);
      const u = r.userIdentity;
      types.set(u.type, (types.get(u.type) ?? 0) + 1);
      switch (u.type) {
        case 'IAMUser':
          expect(u.principalId).toMatch(/^AIDA/);
          expect(u.arn).toBe(`arn:aws:iam::${u.accountId}:user${u.arn.slice(u.arn.indexOf(':user') + 5)}`);
          expect(u.arn.endsWith(`/${u.userName}`)).toBe(true);
          if (u.accessKeyId) expect(u.accessKeyId).toMatch(r.sessionCredentialFromConsole ? /^ASIA/ : /^AKIA[A-Z2-7]{16}$/);
          break;
        case 'AssumedRole': {
          const issuer = u.sessionContext.sessionIssuer;
          expect(issuer.type).toBe('Role');
          expect(u.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
          const session = u.principalId.slice(u.principalId.indexOf(':') + 1);
          expect(u.principalId).toBe(`${issuer.principalId}:${session}`);
          // The session ARN drops the role's path; the issuer keeps it.
          expect(u.arn).toBe(`arn:aws:sts::${u.accountId}:assumed-role/${issuer.userName}/${session}`);
          expect(issuer.arn).toMatch(new RegExp(`^arn:aws:iam::${u.accountId}:role/(.+/)?${issuer.userName}$`));
          expect(u.sessionContext.attributes.creationDate).toMatch(CT_TIME);
          expect(['true', 'false']).toContain(u.sessionContext.attributes.mfaAuthenticated);
          break;
        }
        case 'AWSService':
          expect(u.invokedBy).toMatch(/\.amazonaws\.com$/);
          expect(r.sourceIPAddress).toBe(u.invokedBy);
          break;
        case 'Root':
          expect(u.arn).toBe(`arn:aws:iam::${u.accountId}:root`);
          expect(u.principalId).toBe(u.accountId);
          break;
        case 'AWSAccount':
          expect(u.accountId).toMatch(/^\d{12}$/);
          expect(r.eventName).toBe('AssumeRole');
          break;
        case 'WebIdentityUser':
          expect(u.identityProvider).toMatch(/:oidc-provider\/token\.actions\.githubusercontent\.com$/);
          expect(u.principalId).toBe(`${u.identityProvider}:sts.amazonaws.com:${u.userName}`);
          break;
        default:
          throw new Error(`unexpected userIdentity type ${u.type}`);
      }
      if (u.accountId && u.type !== 'AWSAccount') expect(accounts.has(u.accountId)).toBe(true);
    }
    for (const t of ['IAMUser', 'AssumedRole', 'AWSService', 'AWSAccount', 'WebIdentityUser', 'Root']) expect(types.get(t), t).toBeGreaterThan(0);
  });

  it('links every role session to the AssumeRole* call that issued it (credentials, assumedRoleUser, sourceIdentity)', () => {
    const issued = new Map<string, CtRecord>();
    const records = files.trail().map((x) => x.record).sort((a, b) => (a.eventTime < b.eventTime ? -1 : 1));
    for (const r of records) {
      if (r.eventName.startsWith('AssumeRole') && r.responseElements) {
        const c = r.responseElements.credentials;
        expect(c.accessKeyId).toMatch(/^ASIA/);
        expect(c.expiration).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$/);
        expect(r.responseElements.assumedRoleUser.arn).toBe(`arn:aws:sts::${r.requestParameters.roleArn.split(':')[4]}:assumed-role/${r.requestParameters.roleArn.split('/').pop()}/${r.requestParameters.roleSessionName}`);
        issued.set(c.accessKeyId, r);
      }
    }
    let sessions = 0;
    for (const r of records) {
      if (r.userIdentity.type !== 'AssumedRole') continue;
      sessions++;
      const origin = issued.get(r.userIdentity.accessKeyId);
      expect(origin, `${r.userIdentity.accessKeyId} was issued`).toBeDefined();
      expect(origin!.requestParameters.roleArn).toBe(r.userIdentity.sessionContext.sessionIssuer.arn);
      expect(origin!.eventTime <= r.eventTime).toBe(true);
      expect(r.userIdentity.sessionContext.sourceIdentity ?? null).toBe(origin!.requestParameters.sourceIdentity ?? null);
    }
    expect(sessions).toBeGreaterThan(1000);
  });

  it('has a daily rhythm: people in office hours, automation around the clock', () => {
    const people = files.trail().map((x) => x.record).filter((r) => r.userIdentity.type === 'AssumedRole' && r.userIdentity.sessionContext.attributes.mfaAuthenticated === 'true');
    const automation = files.trail().map((x) => x.record).filter((r) => r.userIdentity.type === 'AssumedRole' && r.userIdentity.sessionContext.ec2RoleDelivery);
    expect(people.length).toBeGreaterThan(100);
    expect(automation.length).toBeGreaterThan(100);
    // Offices are UTC-6..UTC+1: 07:00-24:00 UTC covers everyone's working day.
    const hour = (r: CtRecord) => Number(r.eventTime.slice(11, 13));
    const night = (rs: CtRecord[]) => rs.filter((r) => hour(r) >= 1 && hour(r) < 6).length / rs.length;
    expect(night(people)).toBeLessThan(0.02);
    expect(night(automation)).toBeGreaterThan(0.12);
  });
});

describe('estate generator: realism guards', () => {
  it('keeps the machine:human ratio near the one asked for', () => {
    expect(summary.identities.humans).toBe(60);
    expect(summary.identities.ratio).toBeGreaterThan(45 * 0.9);
    expect(summary.identities.ratio).toBeLessThan(45 * 1.1);
    const counted = summary.accounts.reduce((s, a) => s + a.roles + a.instanceProfiles + a.accessKeys + a.users, 0) - summary.identities.humanIamUsers;
    expect(counted).toBeLessThanOrEqual(summary.identities.machines);
  });

  it('names nothing after what it plants', () => {
    const banned = /attacker|malicious|planted|compromis|exfil|backdoor|evil|hacker|incident|suspicious|rogue|stolen|leaked/i;
    // Random identifiers (key ids, request ids, tokens) are left out: letters drawn at random can spell anything.
    const random = new Set(['UserId', 'RoleId', 'GroupId', 'PolicyId', 'InstanceProfileId', 'x-amz-id-2', 'sessionToken', 'requestID', 'eventID', 'accessKeyId', 'principalId', 'assumedRoleId', 'tokenCode']);
    const text = (v: unknown) => JSON.stringify(v, (k, x) => (random.has(k) ? '' : x));
    for (const a of files.accounts) {
      expect(text(files.authz(a))).not.toMatch(banned);
      expect(readFileSync(`${files.out}/aws/${a}/credential-report.csv`, 'utf8')).not.toMatch(banned);
      expect(readFileSync(`${files.out}/aws/${a}/resources.json`, 'utf8')).not.toMatch(banned);
    }
    expect(readFileSync(`${files.out}/hr/roster.csv`, 'utf8')).not.toMatch(banned);
    expect(readFileSync(`${files.out}/ownership/ownership.yaml`, 'utf8')).not.toMatch(banned);
    for (const { record } of files.trail()) expect(text(record)).not.toMatch(banned);
  });
});
