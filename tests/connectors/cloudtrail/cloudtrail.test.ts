import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { connector, detect } from '../../../src/connectors/aws-cloudtrail/index.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import {
  DELIVERED, EVENTBRIDGE, LAKE, OWNERSHIP_FIXTURES, SIEM, eventOf, parseFile, parseText, recordsOf,
} from './helpers.js';

const A = '111122223333';
const P = '444455556666';
const ALICE = `arn:aws:iam::${A}:user/alice`;
const DEPLOYER = `arn:aws:iam::${A}:role/ci/deployer`;
const PROD_ADMIN = `arn:aws:iam::${P}:role/prod-admin`;
const ctId = (n: number) => `aws:ct:c0ffee00-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('aws-cloudtrail: a delivered file (gzip, {"Records": [...]}) with a role chain', async () => {
  const items = await parseFile(connector, DELIVERED);
  const observations = recordsOf(items, 'observation');

  it('reads every record as an event, in order, with rawRef path#index', () => {
    expect(items).toHaveLength(10);
    expect(items.filter((i) => i.reject)).toEqual([]);
    expect(items.map((i) => eventOf(i).id)).toEqual(Array.from({ length: 10 }, (_, n) => ctId(n + 1)));
    expect(eventOf(items[3]).rawRef).toBe(`${DELIVERED}#3`);
  });

  it('every record it emits passes its schema', () => {
    for (const item of items) {
      for (const r of item.records!) expect(RECORD_SCHEMAS[r.kind].safeParse(r.value).success, `${r.kind} of item ${item.index}`).toBe(true);
    }
  });

  it('user -> role A: the user with her access key, the chain, the issued session key', () => {
    const e = eventOf(items[0]);
    expect(e).toMatchObject({
      time: '2024-05-01T10:00:00.000Z', provider: 'aws', service: 'sts.amazonaws.com', action: 'AssumeRole', outcome: 'success',
      actorId: ALICE, target: DEPLOYER, account: A, region: 'us-east-1', sourceIp: '203.0.113.10', sourceKind: 'ipv4',
    });
    expect(e.chain).toMatchObject({ credentialId: 'aws:access-key:AKIAIOSFODNN7EXAMPLE', sourceIdentity: 'alice@example.com', session: null, sessionIssuer: null });
    const recs = items[0].records!;
    expect(recs).toContainEqual({ kind: 'identity', value: expect.objectContaining({ id: 'aws:access-key:AKIAIOSFODNN7EXAMPLE', kind: 'api_key', origin: 'log' }) });
    expect(recs).toContainEqual({ kind: 'credential', value: expect.objectContaining({ id: 'aws:access-key:AKIAIOSFODNN7EXAMPLE', identityId: ALICE, type: 'access_key' }) });
    expect(recs).toContainEqual({ kind: 'edge', value: { from: ALICE, kind: 'owns_credential', to: 'aws:access-key:AKIAIOSFODNN7EXAMPLE' } });
    expect(recs).toContainEqual({
      kind: 'credential',
      value: expect.objectContaining({
        id: 'aws:session-key:ASIAQNZGKEXAMPLEA001', identityId: DEPLOYER, type: 'session_key', createdAt: '2024-05-01T10:00:00.000Z', expiresAt: '2024-05-01T11:00:00.000Z',
        attributes: { issuedBy: ctId(1), issuedTo: ALICE, session: `arn:aws:sts::${A}:assumed-role/deployer/alice-session`, sourceIdentity: 'alice@example.com' },
      }),
    });
  });

  it('role A -> role B (cross-account chaining): the actor is the issuing role, the session is in the chain', () => {
    const e = eventOf(items[1]);
    expect(e.actorId).toBe(DEPLOYER);
    expect(e.target).toBe(PROD_ADMIN);
    expect(e.chain).toMatchObject({
      sessionIssuer: DEPLOYER, session: `arn:aws:sts::${A}:assumed-role/deployer/alice-session`, sourceIdentity: 'alice@example.com',
      credentialId: 'aws:session-key:ASIAQNZGKEXAMPLEA001', mfa: false,
    });
    // The key that signed this call is the one issued by event 1: that is how the chain links back.
    expect(recordsOf(items.slice(1, 2), 'credential')).toContainEqual(expect.objectContaining({ id: 'aws:session-key:ASIAQNZGKEXAMPLEA001', identityId: DEPLOYER }));
  });

  it('observes assumed hops (role chaining included) for successes only', () => {
    const assumed = observations.filter((o) => o.kind === 'assumed').map((o) => [o.eventId, o.from, o.to]);
    expect(assumed).toEqual([
      [ctId(1), ALICE, DEPLOYER],
      [ctId(2), DEPLOYER, PROD_ADMIN],
      [ctId(7), ALICE, DEPLOYER],
      [ctId(9), 'aws:service:lambda.amazonaws.com', `arn:aws:iam::${A}:role/fn-exec`],
    ]);
    const denied = eventOf(items[7]);
    expect(denied).toMatchObject({ outcome: 'failure', errorCode: 'AccessDenied', target: `arn:aws:iam::${P}:role/break-glass` });
    expect(items[7].records!.filter((r) => r.kind === 'observation' || r.kind === 'credential' && r.value.id.includes('session-key:ASIAQNZGKEXAMPLEB'))).toEqual([]);
  });

  it('observes data access per resource (S3 per bucket), and who created which identity', () => {
    expect(observations.filter((o) => o.kind === 'can_access').map((o) => [o.from, o.to])).toEqual([
      [PROD_ADMIN, 'arn:aws:s3:::customer-data'],
      [PROD_ADMIN, `arn:aws:secretsmanager:us-east-1:${P}:secret:db-prod-AbCdEf`],
      ['aws:principal:*', 'arn:aws:s3:::public-assets'],
    ]);
    expect(eventOf(items[2]).resources).toEqual(['arn:aws:s3:::customer-data/exports/q1.csv', 'arn:aws:s3:::customer-data']);
    expect(observations.filter((o) => o.kind === 'created').map((o) => [o.from, o.to])).toEqual([
      [PROD_ADMIN, `arn:aws:iam::${P}:user/backdoor`],
      [PROD_ADMIN, 'aws:access-key:AKIAI44QH8DHBEXAMPLE'],
    ]);
    expect(recordsOf(items, 'ownerClaim')).toEqual([
      { target: `arn:aws:iam::${P}:user/backdoor`, ref: PROD_ADMIN, refType: 'identity', source: 'creator', confidence: 0.5, evidence: [ctId(5)] },
      { target: 'aws:access-key:AKIAI44QH8DHBEXAMPLE', ref: PROD_ADMIN, refType: 'identity', source: 'creator', confidence: 0.5, evidence: [ctId(6)] },
    ]);
    expect(recordsOf(items.slice(5, 6), 'credential')).toContainEqual(expect.objectContaining({
      id: 'aws:access-key:AKIAI44QH8DHBEXAMPLE', identityId: `arn:aws:iam::${P}:user/backdoor`, status: 'active', createdAt: '2024-05-01T10:05:00.000Z',
    }));
  });

  it('an AWS service and an anonymous caller are actors of their own', () => {
    expect(eventOf(items[8])).toMatchObject({ actorId: 'aws:service:lambda.amazonaws.com', sourceIp: 'lambda.amazonaws.com', sourceKind: 'service', chain: expect.objectContaining({ invokedBy: 'lambda.amazonaws.com' }) });
    expect(eventOf(items[9]).actorId).toBe('aws:principal:*');
    expect(recordsOf(items.slice(9), 'identity')).toEqual([expect.objectContaining({ id: 'aws:principal:*', kind: 'group' })]);
  });

  it('emits a principal once per batch, with the latest time it was seen', () => {
    const actors = recordsOf(items, 'identity').filter((i) => i.lastSeenAt);
    expect(actors.filter((i) => i.id === PROD_ADMIN)).toEqual([expect.objectContaining({ lastSeenAt: '2024-05-01T10:05:00.000Z' })]);
    expect(actors.filter((i) => i.id === DEPLOYER)).toEqual([expect.objectContaining({ lastSeenAt: '2024-05-01T10:31:00.000Z' })]);
    expect(actors.filter((i) => i.id === ALICE)).toEqual([expect.objectContaining({ lastSeenAt: '2024-05-01T10:30:00.000Z' })]);
    const used = recordsOf(items, 'credential').filter((c) => c.id === 'aws:session-key:ASIAQNZGKEXAMPLEB001' && c.lastUsedAt);
    expect(used).toEqual([expect.objectContaining({ lastUsedAt: '2024-05-01T10:05:00.000Z' })]);
    // ...in the first item that names it, so that it loads with that item.
    expect(items[2].records!.some((r) => r.kind === 'identity' && r.value.id === PROD_ADMIN)).toBe(true);
    expect(items[3].records!.some((r) => r.kind === 'identity' && r.value.id === PROD_ADMIN)).toBe(false);
  });

  it('keeps request and response facts but never a session secret', () => {
    const raw = gunzipSync(readFileSync(DELIVERED)).toString();
    expect(raw).toContain('IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKENA001');
    const out = JSON.stringify(items);
    expect(out).not.toContain('IQoJb3JpZ2lu');
    expect(out).not.toMatch(/sessionToken|secretAccessKey/);
    expect(eventOf(items[0]).detail).toMatchObject({
      requestParameters: { roleArn: DEPLOYER, roleSessionName: 'alice-session', sourceIdentity: 'alice@example.com', durationSeconds: 3600 },
      responseElements: { credentials: { accessKeyId: 'ASIAQNZGKEXAMPLEA001', expiration: 'May 1, 2024, 11:00:00 AM' } },
      readOnly: false, eventType: 'AwsApiCall', managementEvent: true,
    });
    expect(eventOf(items[7]).detail?.errorMessage).toMatch(/is not authorized to perform: sts:AssumeRole/);
  });
});

describe('aws-cloudtrail: other envelopes', () => {
  it('an EventBridge event: the record in detail, a GitHub Actions web identity assuming a role', async () => {
    const items = await parseFile(connector, EVENTBRIDGE);
    expect(items).toHaveLength(1);
    const e = eventOf(items[0]);
    const gha = 'aws:web-identity:token.actions.githubusercontent.com/repo:acme/payments:ref:refs/heads/main';
    expect(e).toMatchObject({ id: 'aws:ct:eb000000-0000-4000-8000-000000000001', action: 'AssumeRoleWithWebIdentity', actorId: gha, target: `arn:aws:iam::${A}:role/gha-deploy` });
    expect(e.chain?.federatedProvider).toBe(`arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`);
    expect(recordsOf(items, 'observation')).toEqual([{ eventId: e.id, from: gha, to: `arn:aws:iam::${A}:role/gha-deploy`, kind: 'assumed', time: '2024-05-02T08:00:00.000Z' }]);
    expect(recordsOf(items, 'identity')[0]).toMatchObject({ id: gha, kind: 'workload', attributes: { federation: 'oidc' } });
  });

  it('a SIEM NDJSON export: @timestamp, _source, a whole delivered file on a line, Splunk _raw, lower-case columns', async () => {
    const items = await parseFile(connector, SIEM);
    expect(items.map((i) => [i.index, i.line, i.reject ?? eventOf(i).action])).toEqual([
      [0, 1, 'DescribeInstances'],
      [1, 2, 'GetCallerIdentity'],
      [2, 3, 'PutObject'],
      [3, 3, 'GenerateDataKey'],
      [4, 4, expect.stringMatching(/^not valid JSON/)],
      [5, 5, 'missing eventName'],
      [6, 6, 'ListUsers'],
      [7, 7, 'GetUser'],
      [8, 8, 'eventTime: "yesterday" is not a timestamp (expected ISO-8601)'],
    ]);
    expect(eventOf(items[0]).time).toBe('2024-05-03T09:00:00.000Z');
    expect(eventOf(items[1]).time).toBe('2024-05-03T09:01:00.000Z');
    expect(eventOf(items[3])).toMatchObject({ rawRef: `${SIEM}#3`, target: `arn:aws:kms:us-east-1:${A}:alias/artifacts` });
    expect(eventOf(items[6])).toMatchObject({ actorId: ALICE, chain: expect.objectContaining({ credentialId: 'aws:access-key:AKIAIOSFODNN7EXAMPLE' }) });
    // Athena-style: lower-case keys, requestParameters as JSON text, a space-separated time.
    expect(eventOf(items[7])).toMatchObject({ time: '2024-05-03T09:06:00.000Z', actorId: ALICE, target: `arn:aws:iam::${A}:user/bob` });
  });

  it('CloudTrail Lake query results: rows of single-column objects, struct columns as Trino prints them', async () => {
    const items = await parseFile(connector, LAKE);
    expect(items.map((i) => eventOf(i).id)).toEqual(['aws:ct:1a2b0000-0000-4000-8000-00000000a001', 'aws:ct:1a2b0000-0000-4000-8000-00000000a002']);
    expect(eventOf(items[0])).toMatchObject({ actorId: ALICE, target: DEPLOYER, time: '2024-05-04T12:00:00.000Z' });
    expect(recordsOf(items.slice(0, 1), 'observation')).toEqual([expect.objectContaining({ from: ALICE, to: DEPLOYER, kind: 'assumed' })]);
    expect(eventOf(items[1])).toMatchObject({
      actorId: DEPLOYER,
      chain: expect.objectContaining({ session: `arn:aws:sts::${A}:assumed-role/deployer/lake`, credentialId: 'aws:session-key:ASIAQNZGKEXAMPLEA004', sourceIdentity: null, mfa: false }),
    });
  });

  it('a bare array, a single event, and a file that is not CloudTrail JSON', async () => {
    const one = { eventVersion: '1.08', eventTime: '2024-01-01T00:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'ListRoles', userIdentity: { type: 'Root', accountId: A, arn: `arn:aws:iam::${A}:root` } };
    expect((await parseText(connector, 'a.json', JSON.stringify([one, one]))).map((i) => eventOf(i).actorId)).toEqual([`arn:aws:iam::${A}:root`, `arn:aws:iam::${A}:root`]);
    const single = await parseText(connector, 'one.json', JSON.stringify(one, null, 2));
    expect(single).toHaveLength(1);
    expect(eventOf(single[0]).id).toMatch(/^aws:ct:h:[0-9a-f]{24}$/);
    await expect(parseText(connector, 't.json', '{"Records": [{"eventName": "X"}, {"eventName": ')).rejects.toThrow(FormatError);
    await expect(parseText(connector, 't.json', '{"Records": [{"eventName": "X"}, {"eventName": ')).rejects.toThrow(/t\.json:1: unexpected end of file/);
  });
});

describe('aws-cloudtrail: principals', () => {
  const base = { eventVersion: '1.08', eventTime: '2024-01-01T00:00:00Z', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', recipientAccountId: A, eventID: 'e' };
  const run = async (userIdentity: unknown, extra: object = {}) => (await parseText(connector, 'p.json', JSON.stringify({ ...base, userIdentity, ...extra })))[0];

  it('Root, another account, an unknown principal, a user without an ARN', async () => {
    expect(eventOf(await run({ type: 'Root', principalId: A, arn: `arn:aws:iam::${A}:root`, accountId: A }))).toMatchObject({ actorId: `arn:aws:iam::${A}:root` });
    const cross = await run({ type: 'AWSAccount', principalId: 'AROAEXAMPLE:session', accountId: P });
    expect(eventOf(cross)).toMatchObject({ actorId: `arn:aws:iam::${P}:root`, detail: expect.objectContaining({ principalId: 'AROAEXAMPLE:session' }) });
    expect(recordsOf([cross], 'identity')[0]).toMatchObject({ kind: 'role', attributes: { accountRoot: true } });
    expect(eventOf(await run({ type: 'Unknown', principalId: 'idc-user-1', userName: 'alice' })).actorId).toBe('aws:principal:idc-user-1');
    expect(eventOf(await run({ type: 'IAMUser', userName: 'ops', principalId: 'AIDAX' })).actorId).toBe(`arn:aws:iam::${A}:user/ops`);
  });

  it('federation: GetFederationToken, SAML, Identity Center', async () => {
    const fed = await run(
      { type: 'IAMUser', arn: `arn:aws:iam::${A}:user/broker`, accountId: A, userName: 'broker', accessKeyId: 'AKIAEXAMPLEBROKER001' },
      { eventName: 'GetFederationToken', requestParameters: { name: 'dana' }, responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEFED00001', expiration: 'Jan 1, 2024, 12:00:00 PM', sessionToken: 'x' }, federatedUser: { arn: `arn:aws:sts::${A}:federated-user/dana`, federatedUserId: `${A}:dana` } } },
    );
    expect(recordsOf([fed], 'observation')).toEqual([expect.objectContaining({ from: `arn:aws:iam::${A}:user/broker`, to: `arn:aws:sts::${A}:federated-user/dana`, kind: 'assumed' })]);
    expect(recordsOf([fed], 'credential')).toContainEqual(expect.objectContaining({ id: 'aws:session-key:ASIAEXAMPLEFED00001', identityId: `arn:aws:sts::${A}:federated-user/dana`, expiresAt: '2024-01-01T12:00:00.000Z' }));

    const saml = await run(
      { type: 'SAMLUser', principalId: 'abc=:dana@example.com', userName: 'dana@example.com', identityProvider: 'abc=' },
      { eventName: 'AssumeRoleWithSAML', requestParameters: { roleArn: `arn:aws:iam::${A}:role/sso-admin`, principalArn: `arn:aws:iam::${A}:saml-provider/Okta` } },
    );
    expect(eventOf(saml)).toMatchObject({ actorId: 'aws:saml-user:Okta/dana@example.com', chain: expect.objectContaining({ federatedProvider: `arn:aws:iam::${A}:saml-provider/Okta` }) });
    expect(recordsOf([saml], 'observation')).toEqual([expect.objectContaining({ from: 'aws:saml-user:Okta/dana@example.com', to: `arn:aws:iam::${A}:role/sso-admin`, kind: 'assumed' })]);

    const idc = await run({ type: 'IdentityCenterUser', accountId: A, onBehalfOf: { userId: '9067-abcd', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-1234567890' }, credentialId: 'cred-1' });
    expect(eventOf(idc)).toMatchObject({ actorId: 'aws:identity-center-user:d-1234567890/9067-abcd', chain: expect.objectContaining({ onBehalfOf: 'aws:identity-center-user:d-1234567890/9067-abcd' }) });
  });

  it('a session whose issuer the log leaves out: the role ARN from the session ARN', async () => {
    const e = eventOf(await run({ type: 'AssumedRole', arn: `arn:aws:sts::${P}:assumed-role/auditor/jo`, accountId: P, accessKeyId: 'ASIAEXAMPLE0000JO' }));
    expect(e).toMatchObject({ actorId: `arn:aws:iam::${P}:role/auditor`, chain: expect.objectContaining({ sessionIssuer: `arn:aws:iam::${P}:role/auditor`, session: `arn:aws:sts::${P}:assumed-role/auditor/jo` }) });
  });

  it('sourceIPAddress is classified, never a reason to reject', async () => {
    for (const [ip, kind] of [['AWS Internal', 'internal'], ['10.1.2.3', 'private'], ['2001:db8::1', 'ipv6'], ['ec2.amazonaws.com', 'service'], ['x.x.x.x', 'anonymized']]) {
      expect(eventOf(await run({ type: 'Root', accountId: A }, { sourceIPAddress: ip })).sourceKind).toBe(kind);
    }
  });

  it('rejects name the missing or bad field', async () => {
    const reasons = await parseText(connector, 'r.ndjson', [
      { ...base, userIdentity: { type: 'Root', accountId: A }, eventTime: undefined },
      { ...base, userIdentity: {} },
      { eventVersion: '1.08', eventName: 'X', userIdentity: { type: 'Root' } },
      { ...base, userIdentity: { type: 'Root', accountId: A }, eventTime: '2024-13-45T00:00:00Z' },
      { ...base, userIdentity: { type: 'Root', accountId: A }, eventTime: '2023-02-29T10:00:00Z' },
      { ...base, userIdentity: { type: 'Root', accountId: A }, eventName: 42 },
    ].map((r) => JSON.stringify(r)).join('\n'));
    expect(reasons.map((i) => i.reject)).toEqual([
      'missing eventTime',
      'missing userIdentity',
      'missing eventTime, eventSource',
      'eventTime: "2024-13-45T00:00:00Z" is not a valid timestamp',
      'eventTime: "2023-02-29T10:00:00Z" is not a valid date',
      'eventName: expected a string, got number',
    ]);
  });
});

describe('aws-cloudtrail: detect', () => {
  const sample = (path: string, head: string) => ({ path, name: path, head });
  it('recognises its shapes with high confidence', async () => {
    for (const f of [DELIVERED, EVENTBRIDGE, SIEM, LAKE]) {
      const head = f.endsWith('.gz') ? gunzipSync(readFileSync(f)).toString().slice(0, 65536) : readFileSync(f, 'utf8').slice(0, 65536);
      expect(detect(sample(f, head)), f).toBeGreaterThanOrEqual(0.9);
    }
  });
  it('leaves other formats alone', () => {
    expect(detect(sample('roster.csv', readFileSync(`${OWNERSHIP_FIXTURES}/hr-roster.csv`, 'utf8')))).toBe(0);
    expect(detect(sample('okta.json', '[{"eventType": "user.session.start", "actor": {"id": "00u1"}, "published": "2024-01-01T00:00:00Z"}]'))).toBe(0);
    expect(detect(sample('gd.json', '{"Findings": [{"Type": "UnauthorizedAccess:IAMUser/ConsoleLogin", "Service": {"Action": {"AwsApiCallAction": {"Api": "ConsoleLogin"}}}}]}'))).toBe(0);
  });
});
