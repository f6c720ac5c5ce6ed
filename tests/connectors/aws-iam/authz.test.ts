import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/aws-iam-authz/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { FIXTURES, parseFile, parseText, type Parsed } from './helpers.js';

const A = 'arn:aws:iam::111122223333';
const FIXTURE = join(FIXTURES, 'authz-details.json');

const identity = (p: Parsed, id: string) => p.of('identity').find((i) => i.id === id);
const edge = (p: Parsed, from: string, kind: string, to: string) => p.of('edge').find((e) => e.from === from && e.kind === kind && e.to === to);
const entitlements = (p: Parsed, identityId: string) => p.of('entitlement').filter((e) => e.identityId === identityId);

describe('aws-iam-authz: own fixture', async () => {
  const p = await parseFile(connector, FIXTURE);

  it('detects the export and reads every list entry as one source record, rejecting the bad ones with a reason', () => {
    const head = readFileSync(FIXTURE, 'utf8').slice(0, 65536);
    expect(connector.detect({ path: FIXTURE, name: 'authz-details.json', head })).toBeGreaterThan(0.9);
    expect(connector.detect({ path: 'x.json', name: 'x.json', head: '{"Records": []}' })).toBe(0);
    // 3 users + 1 group + 5 roles + 2 managed policies, indexed through the file.
    expect(p.items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(p.rejects.map((r) => [r.index, r.line, r.reject])).toEqual([
      [2, 70, 'missing Arn'],
      [8, 363, 'CreateDate: "last tuesday" is not a timestamp (expected ISO-8601)'],
    ]);
  });

  it('emits only records that satisfy the canonical schemas', () => {
    for (const item of p.items) for (const r of item.records ?? []) expect(RECORD_SCHEMAS[r.kind].safeParse(r.value).success, JSON.stringify(r)).toBe(true);
  });

  it('tells people from automation: tags first, then the name; records why', () => {
    expect(identity(p, `${A}:user/alice.smith`)).toMatchObject({ kind: 'human', attributes: { kindSource: 'name:first.last' }, createdAt: '2021-03-04T09:15:00.000Z', account: '111122223333' });
    expect(identity(p, `${A}:user/automation/ci-deployer`)).toMatchObject({
      kind: 'service_account', environment: 'prod', attributes: { kindSource: 'tag:identity-type', path: '/automation/', permissionsBoundary: `${A}:policy/boundary-deploy` },
    });
  });

  it('reads owner and team claims from tags', () => {
    const claims = p.of('ownerClaim');
    expect(claims.filter((c) => c.target === `${A}:user/alice.smith`)).toEqual([
      { target: `${A}:user/alice.smith`, ref: 'platform', refType: 'team', role: 'team', source: 'tag', confidence: 0.8, evidence: ['tag:team'] },
      { target: `${A}:user/alice.smith`, ref: 'alice.smith@example.com', refType: 'email', role: 'owner', source: 'tag', confidence: 0.8, evidence: ['tag:owner'] },
    ]);
    expect(claims.find((c) => c.target === `${A}:user/automation/ci-deployer`)).toMatchObject({ ref: 'platform-oncall', refType: 'username', evidence: ['tag:contact'] });
    expect(claims.filter((c) => c.target === `${A}:role/deploy/prod-deployer`).map((c) => [c.ref, c.refType, c.evidence])).toEqual([
      ['bob.jones', 'username', ['tag:Owner']],
      ['platform', 'team', ['tag:Team']],
    ]);
  });

  it('decodes URL-encoded documents (raw API output) into entitlements', () => {
    const ent = entitlements(p, `${A}:user/automation/ci-deployer`).find((e) => e.sourcePolicy === `inline:${A}:user/automation/ci-deployer:deploy-secrets`);
    expect(ent).toMatchObject({
      effect: 'Allow', actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:us-east-1:111122223333:secret:deploy/*'],
      privilege: 'credential', via: 'direct', viaId: null,
    });
    expect(ent!.id).toMatch(/^ent:[0-9a-f]{24}$/);
    expect(p.of('policy').find((x) => x.id === `inline:${A}:user/automation/ci-deployer:deploy-secrets`)?.document).toMatchObject({ Statement: [{ Sid: 'ReadDeploySecrets' }] });
  });

  it('inherits group policies (via group) and permission boundaries (via boundary)', () => {
    const alice = entitlements(p, `${A}:user/alice.smith`);
    expect(alice.map((e) => [e.sourcePolicy, e.effect, e.privilege, e.via, e.viaId])).toEqual([
      [`inline:${A}:group/developers:assume-deploy`, 'Allow', 'credential', 'group', `${A}:group/developers`],
      [`inline:${A}:group/developers:assume-deploy`, 'Deny', 'privesc', 'group', `${A}:group/developers`],
      // The abridged built-in ReadOnlyAccess still grants ssm:Get* and ecr:Get*: parameters and registry tokens.
      ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'Allow', 'credential', 'group', `${A}:group/developers`],
    ]);
    expect(alice[1].conditions).toEqual({ Bool: { 'aws:MultiFactorAuthPresent': 'false' } });
    const boundary = entitlements(p, `${A}:user/automation/ci-deployer`).find((e) => e.via === 'boundary');
    expect(boundary).toMatchObject({ sourcePolicy: `${A}:policy/boundary-deploy`, viaId: `${A}:policy/boundary-deploy`, privilege: 'privesc', actions: ['s3:*', 'secretsmanager:GetSecretValue', 'sts:AssumeRole'] });
    expect(new Set(p.of('entitlement').map((e) => e.id)).size).toBe(p.of('entitlement').length);
  });

  it('uses the default version of a managed policy, not an older one', () => {
    const ents = entitlements(p, `${A}:role/deploy/prod-deployer`).filter((e) => e.sourcePolicy === `${A}:policy/deploy-permissions`);
    expect(ents).toHaveLength(1);
    expect(ents[0]).toMatchObject({ actions: ['ecs:UpdateService', 'ecs:DescribeServices', 'ecr:GetAuthorizationToken'], privilege: 'credential' });
    expect(p.of('policy').find((x) => x.id === `${A}:policy/deploy-permissions`)).toMatchObject({ kind: 'managed', attributes: { defaultVersionId: 'v2', documentSource: 'file', awsManaged: false } });
  });

  it('uses shipped documents for AWS-managed policies missing from the file, once per file, and infers the rest by name', () => {
    const builtin = p.of('policy').filter((x) => x.attributes?.documentSource === 'builtin').map((x) => x.id).sort();
    expect(builtin).toEqual([
      'arn:aws:iam::aws:policy/AdministratorAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore', 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
    const inferred = entitlements(p, `${A}:user/automation/ci-deployer`).find((e) => e.sourcePolicy.endsWith('AWSCodeArtifactReadOnlyAccess'));
    expect(inferred).toMatchObject({ actions: [], resources: [], privilege: 'read', effect: 'Allow' });
    expect(identity(p, `${A}:user/automation/ci-deployer`)?.attributes).toMatchObject({ policiesWithoutDocument: ['arn:aws:iam::aws:policy/AWSCodeArtifactReadOnlyAccess'] });
    expect(entitlements(p, `${A}:role/public-reader`)).toMatchObject([{ notActions: ['iam:*'], privilege: 'admin' }]);
  });

  it('links users to groups, including a group the file does not describe', () => {
    expect(edge(p, `${A}:user/alice.smith`, 'member_of', `${A}:group/developers`)).toBeDefined();
    expect(edge(p, `${A}:user/automation/ci-deployer`, 'member_of', `${A}:group/legacy-admins`)?.attributes).toEqual({ groupInFile: false });
    expect(identity(p, `${A}:group/legacy-admins`)).toMatchObject({ kind: 'group', origin: 'derived' });
    expect(identity(p, `${A}:user/automation/ci-deployer`)?.attributes).toMatchObject({ groups: ['developers', 'legacy-admins'], groupsNotInFile: ['legacy-admins'] });
  });

  it('turns every trust-policy principal into a can_assume edge with its conditions', () => {
    const role = `${A}:role/deploy/prod-deployer`;
    expect(edge(p, `${A}:user/automation/ci-deployer`, 'can_assume', role)).toMatchObject({
      // The extra sts:TagSession statement grants no assumption: the ExternalId condition stands.
      conditions: { StringEquals: { 'sts:ExternalId': 'deploy-7f3a' } },
      evidence: [`trust:${role}`],
      attributes: { action: 'sts:AssumeRole', crossAccount: false, principalType: 'user' },
    });
    expect(edge(p, 'arn:aws:iam::444455556666:root', 'can_assume', role)?.attributes).toMatchObject({ crossAccount: true, principalType: 'account-root' });
    expect(identity(p, 'arn:aws:iam::444455556666:root')).toMatchObject({ kind: 'role', origin: 'derived', account: '444455556666', attributes: { accountRoot: true, external: true } });
    expect(edge(p, `${A}:oidc-provider/token.actions.githubusercontent.com`, 'can_assume', role)).toMatchObject({
      conditions: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:example-org/app:ref:refs/heads/main' } },
      attributes: { action: 'sts:AssumeRoleWithWebIdentity', federation: 'oidc', crossAccount: false },
    });
    expect(identity(p, `${A}:oidc-provider/token.actions.githubusercontent.com`)).toMatchObject({ kind: 'oauth_app', origin: 'derived', attributes: { federation: 'oidc' } });
    // ci-deployer is in the file: no derived copy of it.
    expect(p.of('identity').filter((i) => i.id === `${A}:user/automation/ci-deployer`)).toHaveLength(1);
    expect(identity(p, role)).toMatchObject({ environment: 'prod', lastSeenAt: '2024-05-01T10:00:00.000Z', attributes: { trustedPrincipals: 3, lastUsedRegion: 'us-east-1' } });
  });

  it('covers SAML, service, anyone and deleted principals', () => {
    const sso = `${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef`;
    expect(edge(p, `${A}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE`, 'can_assume', sso)).toMatchObject({
      conditions: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } }, attributes: { action: 'sts:AssumeRoleWithSAML', federation: 'saml' },
    });
    expect(identity(p, sso)?.attributes).toMatchObject({ ssoPermissionSet: 'AdministratorAccess' });
    expect(entitlements(p, sso)).toMatchObject([{ sourcePolicy: 'arn:aws:iam::aws:policy/AdministratorAccess', privilege: 'admin' }]);
    expect(edge(p, 'aws:service:ec2.amazonaws.com', 'can_assume', `${A}:role/web-staging`)).toMatchObject({ conditions: null, attributes: { principalType: 'service' } });
    expect(identity(p, 'aws:service:ec2.amazonaws.com')).toMatchObject({ kind: 'service_account', origin: 'derived' });
    expect(edge(p, 'aws:principal:*', 'can_assume', `${A}:role/public-reader`)).toMatchObject({
      conditions: { StringEquals: { 'aws:PrincipalOrgID': 'o-exampleorg' } }, attributes: { crossAccount: true, principalType: 'anyone' },
    });
    expect(identity(p, 'aws:principal:*')).toMatchObject({ kind: 'group', origin: 'derived' });
    expect(identity(p, 'aws:principal:AROADELETEDROLE000001')).toMatchObject({ attributes: { deletedPrincipal: true } });
    expect(identity(p, `${A}:role/public-reader`)?.environment).toBe('dev');
  });

  it('emits instance profiles as workloads that run as their role', () => {
    const ip = `${A}:instance-profile/web-staging`;
    expect(identity(p, ip)).toMatchObject({ kind: 'workload', environment: 'staging', createdAt: '2023-01-01T00:00:00.000Z' });
    expect(edge(p, ip, 'runs_as', `${A}:role/web-staging`)).toMatchObject({ potential: true, evidence: [ip] });
  });

  it('is deterministic: the same file gives the same records', async () => {
    const again = await parseFile(connector, FIXTURE);
    expect(again.items).toEqual(p.items);
  });
});

describe('aws-iam-authz: unreadable files', () => {
  const text = readFileSync(FIXTURE, 'utf8');

  it('rejects a truncated export naming the file and the line, and emits nothing', async () => {
    const cut = text.slice(0, text.indexOf('"RoleName": "web-staging"'));
    const line = cut.split('\n').length;
    const emitted: unknown[] = [];
    const run = async () => {
      for await (const b of connector.parse(memorySourceFile('exports/authz-truncated.json', cut), { now: new Date() })) emitted.push(...b);
    };
    await expect(run()).rejects.toThrow(FormatError);
    await expect(run()).rejects.toThrow(new RegExp(`^exports/authz-truncated\\.json:${line}: unexpected end of file: the JSON is truncated`));
    expect(emitted).toEqual([]);
  });

  it('rejects a stray bracket with line and column, and garbage as not JSON', async () => {
    await expect(parseText(connector, 'a.json', '{"UserDetailList": [\n {"UserName": "x"]\n]}')).rejects.toThrow(/^a\.json:2:\d+: unexpected '\]'/);
    await expect(parseText(connector, 'b.json', 'UserDetailList,Arn\n')).rejects.toThrow(/^b\.json:1:1: expected JSON/);
  });

  it('rejects entries of the wrong shape one by one', async () => {
    const p = await parseText(connector, 'c.json', JSON.stringify({
      UserDetailList: [42, { Arn: `${A}:user/x` }, { UserName: 'y', Arn: `${A}:user/y`, UserPolicyList: [{ PolicyName: 'p', PolicyDocument: '%7Bbroken' }] }],
      RoleDetailList: [{ RoleName: 'r', Arn: `${A}:role/r` }, { RoleName: 's', Arn: `${A}:role/s`, AssumeRolePolicyDocument: { Statement: [{ Effect: 'Maybe', Action: 'sts:AssumeRole' }] } }],
      Policies: [{ PolicyName: 'p', Arn: `${A}:policy/p`, PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: false, Document: {} }] }],
    }));
    expect(p.rejects.map((r) => r.reject)).toEqual([
      'not an authorization-details entry (expected an object)',
      'missing UserName',
      'UserPolicyList[0] p: PolicyDocument: not valid JSON',
      'AssumeRolePolicyDocument: missing',
      'AssumeRolePolicyDocument: statement 0: Effect "Maybe" (expected Allow or Deny)',
      'PolicyVersionList: no default version (IsDefaultVersion)',
    ]);
  });
});
