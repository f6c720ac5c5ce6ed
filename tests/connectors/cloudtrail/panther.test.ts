import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/aws-cloudtrail/index.js';
import type { SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { eventOf, parseFile, recordsOf } from './helpers.js';

/**
 * Panther's rule tests hold hundreds of CloudTrail events as detection engineers wrote them: real
 * shapes, plus the odd hand-made one (no eventTime, lower-case Athena columns, made-up key ids).
 * Every one must become an event or a reject that names the missing field; none may crash or vanish.
 */
const TESTS = dataset('panther-analysis', 'panther_rule_tests.jsonl');
const available = hasDatasets && existsSync(TESTS);

interface RuleTest {
  RuleID: string;
  TestName: string;
  LogTypes: string[] | null;
  Log: Record<string, unknown>;
}

describe.skipIf(!available)(`aws-cloudtrail on Panther's CloudTrail rule tests ${available ? '' : SKIP_DATASETS}`, async () => {
  const tests = available
    ? readFileSync(TESTS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RuleTest)
      .filter((t) => t.LogTypes?.length === 1 && t.LogTypes[0] === 'AWS.CloudTrail')
    : [];
  // One event per line, as a SIEM export would hold them: item i is test i.
  const items: SourceItem[] = available ? await parseFile(connector, memorySourceFile('panther-cloudtrail.ndjson', tests.map((t) => JSON.stringify(t.Log)).join('\n'))) : [];
  const find = (rule: string, name: string): SourceItem => {
    const i = tests.findIndex((t) => t.RuleID === rule && t.TestName === name);
    if (i === -1) throw new Error(`no test ${rule} / ${name}`);
    return items[i];
  };

  it('turns each of the 461 events into an event or a reject naming the field', () => {
    expect(tests).toHaveLength(461);
    expect(items.map((i) => i.index)).toEqual(tests.map((_, i) => i));
    const rejects = items.filter((i) => i.reject);
    expect(items.length - rejects.length).toBe(436);
    expect(rejects).toHaveLength(25);
    for (const r of rejects) expect(r.reject).toMatch(/^missing (eventTime|eventName|eventSource|userIdentity)(, (eventName|eventSource|userIdentity))*$|^eventTime: "/);
    expect(rejects.filter((r) => r.reject!.includes('internal error'))).toEqual([]);
    // Where the field is there, the reject is about its value (placeholders such as "redacted").
    expect(rejects.filter((r) => r.reject!.startsWith('eventTime: ')).map((r) => r.reject)).toEqual([
      'eventTime: "redacted" is not a timestamp (expected ISO-8601)',
      'eventTime: "..." is not a timestamp (expected ISO-8601)',
    ]);
  });

  it('everything emitted passes its schema', () => {
    for (const item of items) for (const r of item.records ?? []) {
      const ok = RECORD_SCHEMAS[r.kind].safeParse(r.value);
      expect(ok.success, `${r.kind} of test ${item.index}: ${ok.error?.issues[0]?.message}`).toBe(true);
    }
  });

  // Hand-checked against each log: actor, chain and target as the log states them.
  const cases: [string, string, Record<string, unknown>][] = [
    ['AWS.CloudTrail.IAMAssumeRoleBlacklistIgnored', 'IAM Blocklisted Role Assumed', {
      actorId: 'arn:aws:iam::123456789012:user/example-user', target: 'arn:aws:iam::123456789012:role/FullAdminRole', outcome: 'success',
      chain: { credentialId: 'aws:access-key:1111', mfa: true, sessionIssuer: null } }],
    ['AWS.CloudTrail.IAMAssumeRoleBlacklistIgnored', 'Error Assuming IAM Blocked Role', {
      actorId: 'arn:aws:iam::123456789012:user/example-user', target: 'arn:aws:iam::123456789012:role/FullAdminRole', outcome: 'failure', errorCode: 'ExpiredToken' }],
    ['Role.Assumed.by.AWS.Service', 'Role Assumed by AWS Service', {
      actorId: 'aws:service:lambda.amazonaws.com', target: 'arn:aws:iam::123456789123:role/my_role_arn', sourceKind: 'service', chain: { invokedBy: 'lambda.amazonaws.com' } }],
    ['AWS.Lambda.UpdateFunctionConfiguration', 'FederatedUser Updates Lambda Configuration with Layers', {
      actorId: 'arn:aws:sts::123456789012:federated-user/federated-user', target: 'arn:aws:lambda:us-west-2:123456789012:function:production-api',
      chain: { session: 'arn:aws:sts::123456789012:federated-user/federated-user', credentialId: 'aws:session-key:ASIA123456789EXAMPLE' } }],
    ['AWS.CloudTrail.VPCE.ExternalPrincipal', 'External Principal Access', {
      actorId: 'arn:aws:iam::111111111111:root', account: '222222222222', target: 'arn:aws:s3:::example-bucket/sensitive-file.txt',
      detail: expect.objectContaining({ principalId: 'AROAEXAMPLE:session-name' }) }],
    ['AWS.IAM.CreateUser', 'IAM User Created', {
      actorId: 'arn:aws:iam::123456789012:role/tester', target: 'arn:aws:iam::123456789012:user/new-user',
      chain: { sessionIssuer: 'arn:aws:iam::123456789012:role/tester', session: 'arn:aws:sts::123456789012:assumed-role/tester', credentialId: 'aws:session-key:1', mfa: true } }],
    ['AWS.IAM.Backdoor.User.Keys', 'user1 create keys for user1', {
      actorId: 'arn:aws:iam::123456789:user/user1', target: 'arn:aws:iam::123456789:user/user1',
      chain: { invokedBy: 'cloudformation.amazonaws.com', credentialId: 'aws:access-key:ABCDEFGH', mfa: false } }],
    ['AWS.Console.LoginWithoutMFA', 'AssumeRole from MFA User Session', {
      actorId: 'arn:aws:iam::2222:role/asdsda', action: 'ConsoleLogin', chain: { sessionIssuer: 'arn:aws:iam::2222:role/asdsda', mfa: true } }],
    ['AWS.Console.LoginWithoutSAML', 'Login with SAML', {
      actorId: 'arn:aws:iam::123456789012:role/okta', chain: { session: 'arn:aws:iam::123456789012:assumed-role/okta/tester@domain.tld' } }],
    ['AWS.Console.RootLogin', 'Successful Root Login', { actorId: 'arn:aws:iam::123456789012:root', action: 'ConsoleLogin', outcome: 'success', chain: { mfa: false } }],
    ['AWS.CloudTrail.RootAccessKeyCreated', 'Root Access Key Created', {
      actorId: 'arn:aws:iam::123456789012:root', target: 'aws:access-key:1111', chain: { invokedBy: 'signin.amazonaws.com', credentialId: 'aws:access-key:1111', mfa: true } }],
    ['AWS.CloudTrail.RootAccessKeyCreated', 'Root Created Access Key For User', { actorId: 'arn:aws:iam::123456789012:root', target: 'arn:aws:iam::123456789012:user/example-user' }],
    ['AWS.RDS.IAMRoleAdded', 'Role Added to DB Instance', {
      actorId: 'arn:aws:iam::123456789012:role/DBARole', target: 'arn:aws:iam::123456789012:role/RDS-S3-Import-Role',
      chain: { sessionIssuer: 'arn:aws:iam::123456789012:role/DBARole', session: 'arn:aws:sts::123456789012:assumed-role/DBARole/user', credentialId: 'aws:session-key:ASIAIOSFODNN7EXAMPLE' } }],
    ['AWS.CloudTrail.IAMEntityCreatedWithoutCloudFormation', 'IAM Entity Created Manually With Approved Role Pattern', {
      actorId: 'arn:aws:iam::210987654321:role/IdentityCFNServiceRole', target: 'arn:aws:iam::123456789012:user/user', chain: { invokedBy: 'cloudformation.amazonaws.com' } }],
    ['AWS.S3.CopyObjectToExternalAccountBucket', 'S3 CopyObject to External Account Bucket', {
      actorId: 'arn:aws:iam::12948575929274:role/sample-role-keen-cohen', target: 'arn:aws:s3:::attacker-exfil-1764604156/customer-database.csv',
      chain: { credentialId: 'aws:session-key:AKIA-MOCKACCESSKEYID-1' } }],
    ['AWS.SecretsManager.RetrieveSecrets', 'GetSecretValue Denied', {
      actorId: 'arn:aws:iam::123123123123:role/aws-reserved/sso.amazonaws.com/us-west-2/AWSReservedSSO_DevAdmin_635426549a280cc6',
      target: 'arn:aws:secretsmanager:us-west-2:123123123123:secret:stratus-red-team-retrieve-secret-3-gscOm8', outcome: 'failure',
      chain: { session: 'arn:aws:sts::123123123123:assumed-role/AWSReservedSSO_DevAdmin_635426549a280cc6/evil.genius' } }],
    ['AWS.CloudTrail.UserAccessKeyAuth', 'No Access Key', {
      // The issuer is only {"type": "lambda"}: the role comes from the session ARN (its SSO path is unknown there).
      actorId: 'arn:aws:iam::187901811700:role/AWSReservedSSO_DevAdmin_635426549a280cc6',
      chain: { session: 'arn:aws:sts::187901811700:assumed-role/AWSReservedSSO_DevAdmin_635426549a280cc6/nicholas.hakmiller', mfa: false } }],
    ['AWS.EC2.ManyPasswordReadAttempts', 'Unrelated Event', { actorId: 'arn:aws:iam::111122223333:root', target: 'arn:aws:iam::111122223333:role/SampleRole' }],
    ['AWS.Unsuccessful.MFA.attempt', 'Successful Login w/ MFA', { actorId: 'arn:aws:iam::111122223333:user/anaya', action: 'ConsoleLogin' }],
    ['AWS.Console.LoginWithoutMFA', 'No MFA Login - IAM User', { actorId: 'arn:aws:iam::123456789012:user/tester', chain: { mfa: false } }],
    ['AWS.CloudTrail.Password.Policy.Discovery', 'Password Discovery ARN', { actorId: 'arn:aws:test_arn', action: 'GetAccountPasswordPolicy', service: 'iam.amazonaws.com' }],
    ['AWS.STS.GetSessionToken.Misuse', 'GetSessionToken by IAM User', {
      actorId: 'arn:aws:iam::123456789012:user/example-user', action: 'GetSessionToken', chain: { credentialId: 'aws:access-key:AKIAIOSFODNN7EXAMPLE' } }],
  ];
  it.each(cases)('%s / %s', (rule, name, expected) => {
    const { chain, ...rest } = expected;
    const e = eventOf(find(rule, name));
    expect(e).toMatchObject(rest);
    if (chain) expect(e.chain).toMatchObject(chain as object);
  });

  it('shows the hops the hand-checked events imply', () => {
    expect(recordsOf([find('AWS.CloudTrail.IAMAssumeRoleBlacklistIgnored', 'IAM Blocklisted Role Assumed')], 'observation')).toEqual([
      expect.objectContaining({ from: 'arn:aws:iam::123456789012:user/example-user', to: 'arn:aws:iam::123456789012:role/FullAdminRole', kind: 'assumed' }),
    ]);
    expect(recordsOf([find('AWS.CloudTrail.IAMAssumeRoleBlacklistIgnored', 'Error Assuming IAM Blocked Role')], 'observation')).toEqual([]);
    expect(recordsOf([find('AWS.EC2.ManyPasswordReadAttempts', 'Unrelated Event')], 'observation')).toEqual([
      expect.objectContaining({ from: 'arn:aws:iam::111122223333:root', to: 'arn:aws:iam::111122223333:role/SampleRole', kind: 'assumed' }),
    ]);
    expect(recordsOf([find('AWS.CloudTrail.VPCE.ExternalPrincipal', 'External Principal Access')], 'observation')).toEqual([
      expect.objectContaining({ from: 'arn:aws:iam::111111111111:root', to: 'arn:aws:s3:::example-bucket', kind: 'can_access' }),
    ]);
    const created = find('AWS.CloudTrail.RootAccessKeyCreated', 'Root Created Access Key For User');
    expect(recordsOf([created], 'credential')).toContainEqual(expect.objectContaining({ id: 'aws:access-key:1111', identityId: 'arn:aws:iam::123456789012:user/example-user', status: 'active' }));
    expect(recordsOf([created], 'ownerClaim')).toEqual([expect.objectContaining({ target: 'aws:access-key:1111', ref: 'arn:aws:iam::123456789012:root', source: 'creator' })]);
  });

  it('rejects the hand-made events that lack a time', () => {
    expect(find('Retrieve.SSO.access.token', 'Retrieve SSO access token').reject).toBe('missing eventTime');
    expect(find('AWS.SecretsManager.BatchRetrieveSecrets', 'BatchGetSecretValue').reject).toBe('missing eventTime, userIdentity');
    expect(find('AWS.S3.BucketDeleted', 'S3 Bucket Deletion Failed').reject).toBe('missing eventTime, eventSource, userIdentity');
  });
});
