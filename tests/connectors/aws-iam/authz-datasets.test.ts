import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { connector } from '../../../src/connectors/aws-iam-authz/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { dataset, hasDatasets, SKIP_DATASETS } from '../../helpers/datasets.js';
import { parseFile, type Parsed } from './helpers.js';

const identity = (p: Parsed, id: string) => p.of('identity').find((i) => i.id === id);
const edge = (p: Parsed, from: string, kind: string, to: string) => p.of('edge').find((e) => e.from === from && e.kind === kind && e.to === to);
const ents = (p: Parsed, id: string) => p.of('entitlement').filter((e) => e.identityId === id).map((e) => [e.sourcePolicy.replace(/^.*[/:]/, ''), e.via, e.privilege]);

describe.skipIf(!hasDatasets)(`aws-iam-authz on cloudsplaining's authorization details (${hasDatasets ? 'shared datasets' : SKIP_DATASETS})`, () => {
  const dir = hasDatasets ? dataset('cloudsplaining/test/files') : '';
  const files = hasDatasets ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  const parsed = new Map<string, Parsed>();
  const load = async (name: string) => {
    if (!parsed.has(name)) parsed.set(name, await parseFile(connector, `${dir}/${name}`));
    return parsed.get(name)!;
  };
  const A = 'arn:aws:iam::012345678901';

  it('recognises exactly the authorization-details files and parses each without a reject', async () => {
    const authz = files.filter((f) => connector.detect({ path: f, name: f, head: readFileSync(`${dir}/${f}`, 'utf8').slice(0, 65536) }) > 0.5).sort();
    expect(authz).toEqual([
      'example-authz-details.json', 'example_authz_details_for_overrides.json', 'example_authz_details_for_overrides_complete.json',
      'example_authz_v2.json', 'managed_policy_mismatch.json',
    ]);
    for (const f of authz) {
      const p = await load(f);
      expect(p.rejects, f).toEqual([]);
      for (const item of p.items) for (const r of item.records ?? []) expect(RECORD_SCHEMAS[r.kind].safeParse(r.value).success, `${f}: ${JSON.stringify(r).slice(0, 200)}`).toBe(true);
    }
  });

  it('example-authz-details.json: users, groups, inherited admin, and privilege per statement', async () => {
    const p = await load('example-authz-details.json');
    expect(p.items).toHaveLength(3 + 2 + 3 + 32);
    expect(p.of('identity').filter((i) => i.origin === 'inventory').map((i) => i.id).sort()).toEqual([
      `${A}:group/admin`, `${A}:group/biden`, `${A}:instance-profile/OverprivilegedEC2`, `${A}:role/MyOtherRole`, `${A}:role/MyRole`,
      `${A}:role/OverprivilegedEC2`, `${A}:user/biden`, `${A}:user/obama`, `${A}:user/userwithlotsofpermissions`,
    ]);
    // obama holds AdministratorAccess directly and again through the admin group.
    expect(ents(p, `${A}:user/obama`)).toEqual([['AdministratorAccess', 'direct', 'admin'], ['AdministratorAccess', 'group', 'admin']]);
    expect(edge(p, `${A}:user/biden`, 'member_of', `${A}:group/biden`)).toBeDefined();
    // s3:PutObjectAcl is "Permissions management": the group's inline policy can rewrite object ACLs.
    expect(ents(p, `${A}:user/biden`)).toEqual(expect.arrayContaining([
      ['InlinePolicyForBidenGroup', 'group', 'privesc'], ['AWSLambdaFullAccess', 'direct', 'privesc'], ['InsecureUserPolicy', 'direct', 'privesc'],
    ]));
    // SupYo: secretsmanager:GetSecretValue, s3:GetObject, iam:CreateAccessKey.
    expect(ents(p, `${A}:role/OverprivilegedEC2`)).toEqual([['SupYo', 'direct', 'credential'], ['InsecurePolicy', 'direct', 'privesc']]);
    expect(ents(p, `${A}:role/MyRole`)).toEqual([['EC2-IAM-example', 'direct', 'privesc']]); // iam:PassRole
    expect(identity(p, `${A}:role/OverprivilegedEC2`)).toMatchObject({ lastSeenAt: '2019-01-20T18:48:00.000Z', createdAt: '2018-08-20T18:48:00.000Z', attributes: { lastUsedRegion: 'us-east-1' } });
    expect(edge(p, `${A}:instance-profile/OverprivilegedEC2`, 'runs_as', `${A}:role/OverprivilegedEC2`)).toBeDefined();
    expect(edge(p, 'aws:service:ssm.amazonaws.com', 'can_assume', `${A}:role/MyRole`)).toMatchObject({ conditions: null, attributes: { principalType: 'service', crossAccount: false } });
    expect(edge(p, 'aws:service:ec2.amazonaws.com', 'can_assume', `${A}:role/OverprivilegedEC2`)).toBeDefined();
    // Every managed policy of the file became a policy record with its default version.
    const policies = p.of('policy').filter((x) => x.kind === 'managed');
    expect(policies).toHaveLength(32);
    expect(policies.find((x) => x.id === 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser')?.attributes).toMatchObject({ defaultVersionId: 'v11', awsManaged: true });
  });

  it('example_authz_details_for_overrides_complete.json: admin through a group, ecr:* and a role with AdministratorAccess', async () => {
    const p = await load('example_authz_details_for_overrides_complete.json');
    expect(ents(p, `${A}:user/BlakeBortles`)).toEqual([['AdministratorAccess', 'group', 'admin'], ['NotYourPolicy', 'group', 'privesc']]);
    expect(ents(p, `${A}:role/GOATRole`)).toEqual([
      ['SsmOnboardingInlinePolicy', 'direct', 'write'], ['PolicyForTestingOverrides', 'direct', 'write'], ['PolicyForTestingOverrides', 'direct', 'write'], ['AdministratorAccess', 'direct', 'admin'],
    ]);
  });

  it('managed_policy_mismatch.json: an attached policy missing from the file is inferred by name and flagged', async () => {
    const p = await load('managed_policy_mismatch.json');
    const g = 'arn:aws:iam::123456789012:group/anton-test';
    expect(identity(p, g)).toMatchObject({ kind: 'group', createdAt: '2023-10-04T20:08:56.000Z', attributes: { policiesWithoutDocument: ['arn:aws:iam::aws:policy/AWSLambdaReadOnlyAccess'] } });
    expect(p.of('entitlement')).toMatchObject([{ identityId: g, sourcePolicy: 'arn:aws:iam::aws:policy/AWSLambdaReadOnlyAccess', actions: [], privilege: 'read' }]);
    const doc = p.of('policy').find((x) => x.id === 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess')?.document as { Statement: { Action: string[] }[] };
    expect(doc.Statement[1].Action).toContain('logs:StartQuery'); // v2, the default, not v1
  });

  it('example_authz_details_for_overrides.json: a file with only a policy', async () => {
    const p = await load('example_authz_details_for_overrides.json');
    expect(p.of('identity')).toEqual([]);
    expect(p.of('policy').map((x) => x.id)).toEqual([`${A}:policy/PolicyForTestingOverrides`]);
  });
});

describe.skipIf(!hasDatasets)(`aws-iam-authz on cartography's IAM API fixtures (${hasDatasets ? 'shared datasets' : SKIP_DATASETS})`, () => {
  // Cartography keeps list-users / list-roles / list-instance-profiles responses: their entries have the
  // shape of authorization-details entries (without the policy lists), so they are assembled into one.
  const iam = (f: string) => JSON.parse(readFileSync(dataset('cartography-inventory-fixtures/json/tests/data/aws/iam', f), 'utf8'));
  const build = () => {
    const roles = [...iam('roles.json').ROLES.Roles, ...iam('role_policies.json').ANOTHER_GET_ROLE_LIST_DATASET.Roles];
    const profile = iam('instance_profiles.json').INSTANCE_PROFILES[0];
    roles.push({ ...profile.Roles[0], Arn: 'arn:aws:iam::1234:role/cartography-profiled', RoleName: 'cartography-profiled', InstanceProfileList: [profile] });
    return JSON.stringify({
      UserDetailList: [...iam('user_policies.json').GET_USER_LIST_DATA.Users, ...iam('__init__.json').LIST_USERS.Users],
      GroupDetailList: iam('__init__.json').LIST_GROUPS_SAMPLE.Groups,
      RoleDetailList: roles,
    });
  };
  const parse = () => parseFile(connector, memorySourceFile('cartography-iam.json', build()));

  it('reads users, groups and roles of list-* responses with their trust edges', async () => {
    const p = await parse();
    expect(p.rejects).toEqual([]);
    expect(p.of('identity').filter((i) => i.origin === 'inventory').length).toBe(3 + 2 + 2 + 3 + 3 + 1 + 1);
    expect(identity(p, 'arn:aws:iam::1234:user/user1')).toMatchObject({ kind: 'human', createdAt: '2022-07-27T20:24:23.000Z', account: '1234' });
    // list-users carries PasswordLastUsed: the last time the person signed in.
    expect(identity(p, 'arn:aws:iam::000000000000:user/example-user-0')).toMatchObject({ lastSeenAt: '2019-01-01T00:00:01.000Z' });

    const sso = 'arn:aws:iam::1234:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_1345';
    expect(edge(p, 'arn:aws:iam::1234:saml-provider/AWSSSO_89d_DO_NOT_DELETE', 'can_assume', sso)).toMatchObject({
      conditions: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
      attributes: { action: 'sts:AssumeRoleWithSAML', federation: 'saml', principalType: 'federated' },
    });
    expect(identity(p, sso)?.attributes).toMatchObject({ description: 'Provides full access to AWS services and resources.', maxSessionDuration: 43200 });

    const service = 'arn:aws:iam::1234:role/cartography-service';
    // ec2 is trusted by two statements, one with an empty Condition: the trust is unconditional.
    expect(edge(p, 'aws:service:ec2.amazonaws.com', 'can_assume', service)?.conditions).toBeNull();
    expect(edge(p, 'arn:aws:iam::1234:root', 'can_assume', service)?.attributes).toMatchObject({ crossAccount: false });
    expect(identity(p, 'arn:aws:iam::1234:root')).toMatchObject({ origin: 'derived', attributes: { accountRoot: true, external: false } });
    expect(identity(p, service)?.attributes).toMatchObject({ trustedPrincipals: 3 });
    expect(edge(p, 'arn:aws:iam::3456:role/test-service', 'can_assume', service)?.attributes).toMatchObject({ crossAccount: true, principalType: 'role' });
    expect(identity(p, 'arn:aws:iam::3456:role/test-service')).toMatchObject({ kind: 'role', origin: 'derived', attributes: { external: true } });
    // The instance-profile copy of that trust policy says "arn:aws:iam:3456:..." (a colon short): kept on the role, not linked.
    expect(identity(p, 'arn:aws:iam::1234:role/cartography-profiled')?.attributes).toMatchObject({ unparsedPrincipals: ['AWS:arn:aws:iam:3456:role/test-service'], trustedPrincipals: 2 });
    expect(edge(p, service, 'can_assume', 'arn:aws:iam::1234:role/cartography-read-only')).toBeDefined();
    expect(identity(p, 'arn:aws:iam::54321:root')).toMatchObject({ attributes: { external: true } });
    expect(edge(p, 'arn:aws:iam::54321:root', 'can_assume', 'arn:aws:iam::1234:role/ServiceRole')?.attributes).toMatchObject({ crossAccount: true });
    expect(edge(p, 'aws:service:lambda.amazonaws.com', 'can_assume', 'arn:aws:iam::1234:role/ElasticacheAutoscale')).toBeDefined();

    const ip = 'arn:aws:iam::1234:instance-profile/cartography-service';
    expect(identity(p, ip)).toMatchObject({ kind: 'workload', createdAt: '2024-12-21T23:54:16.000Z' });
    expect(edge(p, ip, 'runs_as', service)).toBeDefined();
    expect(edge(p, ip, 'runs_as', 'arn:aws:iam::1234:role/cartography-profiled')).toBeDefined();
  });
});
