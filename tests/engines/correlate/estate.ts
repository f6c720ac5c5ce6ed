import type { CanonicalRecord } from '../../../src/model/index.js';

/**
 * A small estate in canonical records with three stories, for correlation tests on both stores:
 *
 * - leaver: Jo left in March; her IAM user's key wakes up from a hosting network, mints a new key, and a
 *   GuardDuty finding names the key. Nothing else uses the key.
 * - prod: the development ETL service user assumes a production role through a trust that admits the
 *   whole development account, and reads a restricted bucket through the session; the ETL's own jobs
 *   keep using the key in development (dependents).
 * - console: a person signs in to the console without MFA (low).
 */
export const ACCT_PROD = '111111111111';
export const ACCT_DEV = '222222222222';
export const JO = `arn:aws:iam::${ACCT_PROD}:user/jo.leaver`;
export const JO_KEY = 'aws:access-key:AKIAJOLEAVER00000001';
export const JO_NEW_KEY = 'aws:access-key:AKIAJONEWKEY00000009';
export const JO_HR = 'hr:employee:E1';
export const ETL = `arn:aws:iam::${ACCT_DEV}:user/svc/etl-loader`;
export const ETL_KEY = 'aws:access-key:AKIAETLLOADER0000002';
export const PROD_ROLE = `arn:aws:iam::${ACCT_PROD}:role/prod-reader`;
export const SESSION = 'aws:session-key:ASIAPRODREADER00001';
export const BUCKET = 'arn:aws:s3:::acme-customer-ledger';
export const MIA = `arn:aws:iam::${ACCT_PROD}:user/mia.console`;
export const MIA_HR = 'hr:employee:E3';
export const OWNER_HR = 'hr:employee:E2';
export const AS_OF = '2026-06-10T12:00:00.000Z';

const t = (iso: string) => iso;

export function estate(): CanonicalRecord[] {
  const r: CanonicalRecord[] = [];
  const id = (v: Record<string, unknown>) => r.push({ kind: 'identity', value: v as never });
  const edge = (v: Record<string, unknown>) => r.push({ kind: 'edge', value: v as never });
  const ev = (v: Record<string, unknown>) => r.push({ kind: 'event', value: { provider: 'aws', outcome: 'success', sourceKind: 'ipv4', ...v } as never });
  const alert = (v: Record<string, unknown>) => r.push({ kind: 'alert', value: v as never });

  id({ id: JO_HR, kind: 'human', provider: 'hr', name: 'Jo Leaver', email: 'jo@acme.example', status: 'terminated', attributes: { endDate: '2026-03-31' } });
  id({ id: OWNER_HR, kind: 'human', provider: 'hr', name: 'Priya Data', email: 'priya@acme.example', status: 'active', attributes: { team: 'Data' } });
  id({ id: MIA_HR, kind: 'human', provider: 'hr', name: 'Mia Console', email: 'mia@acme.example', status: 'active' });
  id({ id: JO, kind: 'human', provider: 'aws', name: 'jo.leaver', email: 'jo@acme.example', account: ACCT_PROD, environment: 'prod', status: 'active', createdAt: '2022-01-01T00:00:00Z' });
  id({ id: JO_KEY, kind: 'api_key', provider: 'aws', name: 'AKIAJOLEAVER00000001', account: ACCT_PROD, origin: 'log' });
  r.push({ kind: 'credential', value: { id: JO_KEY, identityId: JO, type: 'access_key', fingerprint: 'sha256:1111111111111111', status: 'active', origin: 'log' } });
  edge({ from: JO, kind: 'owns_credential', to: JO_KEY });
  edge({ from: JO, kind: 'same_as', to: JO_HR });
  id({ id: ETL, kind: 'service_account', provider: 'aws', name: 'etl-loader', account: ACCT_DEV, environment: 'dev', status: 'active' });
  id({ id: ETL_KEY, kind: 'api_key', provider: 'aws', name: 'AKIAETLLOADER0000002', account: ACCT_DEV, origin: 'log' });
  r.push({ kind: 'credential', value: { id: ETL_KEY, identityId: ETL, type: 'access_key', fingerprint: 'sha256:2222222222222222', status: 'active', origin: 'log' } });
  edge({ from: ETL, kind: 'owns_credential', to: ETL_KEY });
  edge({ from: OWNER_HR, kind: 'owns', to: ETL, attributes: { resolvedBy: 'ownership', source: 'ownership-map', confidence: 0.95, role: 'owner' } });
  id({ id: PROD_ROLE, kind: 'role', provider: 'aws', name: 'prod-reader', account: ACCT_PROD, environment: 'prod' });
  edge({ from: OWNER_HR, kind: 'owns', to: PROD_ROLE, attributes: { resolvedBy: 'ownership', source: 'ownership-map', confidence: 0.95, role: 'owner' } });
  r.push({ kind: 'entitlement', value: { id: 'ent:prod-reader-admin', identityId: PROD_ROLE, effect: 'Allow', actions: ['*'], resources: ['*'], privilege: 'admin', sourcePolicy: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
  r.push({ kind: 'policy', value: { id: `trust:${PROD_ROLE}`, provider: 'aws', name: 'prod-reader trust', kind: 'trust', document: { Version: '2012-10-17', Statement: [
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT_DEV}:root` }, Action: 'sts:AssumeRole' },
    { Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ] } } });
  r.push({ kind: 'resource', value: { id: BUCKET, provider: 'aws', type: 's3:bucket', name: 'acme-customer-ledger', account: ACCT_PROD, environment: 'prod', classification: 'restricted', tags: { 'data-type': 'customer ledger' } } });
  id({ id: MIA, kind: 'human', provider: 'aws', name: 'mia.console', email: 'mia@acme.example', account: ACCT_PROD, environment: 'prod', status: 'active' });
  edge({ from: MIA, kind: 'same_as', to: MIA_HR });
  // Someone else in the dev account: the dev root's other callers exist, but only the ETL story crosses.
  id({ id: `arn:aws:iam::${ACCT_DEV}:user/svc/other`, kind: 'service_account', provider: 'aws', name: 'other', account: ACCT_DEV, environment: 'dev' });

  // Leaver: first activity in months, from a hosting network, a new key minted.
  ev({ id: 'aws:ct:leaver-1', time: t('2026-06-10T09:00:00Z'), service: 'sts.amazonaws.com', action: 'GetCallerIdentity', actorId: JO, chain: { credentialId: JO_KEY }, sourceIp: '203.0.113.66', userAgent: 'aws-cli/2.15 os/linux', detail: { readOnly: true } });
  ev({ id: 'aws:ct:leaver-2', time: t('2026-06-10T09:01:00Z'), service: 'iam.amazonaws.com', action: 'ListUsers', actorId: JO, chain: { credentialId: JO_KEY }, sourceIp: '203.0.113.66', userAgent: 'aws-cli/2.15 os/linux', outcome: 'failure', errorCode: 'AccessDenied', detail: { readOnly: true } });
  ev({ id: 'aws:ct:leaver-3', time: t('2026-06-10T09:02:00Z'), service: 'iam.amazonaws.com', action: 'CreateAccessKey', actorId: JO, target: JO, chain: { credentialId: JO_KEY }, sourceIp: '203.0.113.66', userAgent: 'aws-cli/2.15 os/linux',
    detail: { readOnly: false, requestParameters: { userName: 'jo.leaver' }, responseElements: { accessKey: { accessKeyId: 'AKIAJONEWKEY00000009', status: 'Active', userName: 'jo.leaver' } } } });
  alert({ id: 'baseline:dormant:jo', time: t('2026-06-10T09:00:00Z'), source: 'copilot:baseline', severity: 'high', title: 'Behaviour: a dormant identity became active', rule: 'baseline:dormant', identities: [JO], events: ['aws:ct:leaver-1'], confidence: 0.7 });
  alert({ id: 'guardduty:jo-key', time: t('2026-06-10T09:30:00Z'), source: 'guardduty', severity: 'high', title: 'API called from a known malicious IP address', rule: 'UnauthorizedAccess:IAMUser/MaliciousIPCaller', identities: [], credentials: [JO_KEY], events: [], confidence: 0.8 });

  // The ETL's ordinary work in development, every day: what breaks if its key is revoked.
  for (let d = 1; d <= 8; d++) {
    ev({ id: `aws:ct:etl-daily-${d}`, time: `2026-06-0${Math.min(d, 9)}T02:00:00Z`, service: 's3.amazonaws.com', action: 'PutObject', actorId: ETL, chain: { credentialId: ETL_KEY }, sourceIp: '10.2.3.4', sourceKind: 'private', userAgent: 'Boto3/1.34 os/linux', resources: ['arn:aws:s3:::dev-staging'], detail: { readOnly: false } });
  }
  // ETL into production through the whole-account trust, then reads through the session.
  ev({ id: 'aws:ct:prod-assume', time: t('2026-06-10T11:00:00Z'), service: 'sts.amazonaws.com', action: 'AssumeRole', actorId: ETL, target: PROD_ROLE, chain: { credentialId: ETL_KEY }, sourceIp: '10.2.3.4', sourceKind: 'private', userAgent: 'Boto3/1.34 os/linux', detail: { readOnly: true, responseElements: { credentials: { accessKeyId: 'ASIAPRODREADER00001' } } } });
  r.push({ kind: 'credential', value: { id: SESSION, identityId: PROD_ROLE, type: 'session_key', fingerprint: 'sha256:3333333333333333', origin: 'log', attributes: { issuedBy: 'aws:ct:prod-assume', issuedTo: ETL } } });
  r.push({ kind: 'observation', value: { eventId: 'aws:ct:prod-assume', from: ETL, kind: 'assumed', to: PROD_ROLE, time: '2026-06-10T11:00:00Z' } });
  for (let i = 0; i < 12; i++) {
    ev({ id: `aws:ct:prod-read-${i}`, time: `2026-06-10T11:${String(5 + i).padStart(2, '0')}:00Z`, service: 's3.amazonaws.com', action: 'GetObject', actorId: PROD_ROLE,
      chain: { credentialId: SESSION, session: `arn:aws:sts::${ACCT_PROD}:assumed-role/prod-reader/etl`, sessionIssuer: PROD_ROLE }, sourceIp: '10.2.3.4', sourceKind: 'private', userAgent: 'Boto3/1.34 os/linux',
      resources: [`${BUCKET}/ledger/${i}.csv`, BUCKET], detail: { readOnly: true } });
  }
  alert({ id: 'rule:cross-account:prod-assume', time: t('2026-06-10T11:00:00Z'), source: 'copilot:rules', severity: 'medium', title: 'First role assumption across accounts by this machine identity', rule: 'aws.sts.new-cross-account-hop', identities: [ETL, PROD_ROLE], credentials: [ETL_KEY], events: ['aws:ct:prod-assume'], confidence: 0.7 });
  alert({ id: 'baseline:new_resource:prod', time: t('2026-06-10T11:05:00Z'), source: 'copilot:baseline', severity: 'high', title: 'Behaviour: first access to a data resource', rule: 'baseline:new_resource', identities: [PROD_ROLE, ETL], credentials: [SESSION], events: ['aws:ct:prod-read-0', 'aws:ct:prod-read-1'], confidence: 0.5 });

  // A person, a console, no MFA: a low alert.
  ev({ id: 'aws:ct:mia-login', time: t('2026-06-10T08:00:00Z'), service: 'signin.amazonaws.com', action: 'ConsoleLogin', actorId: MIA, chain: { mfa: false }, sourceIp: '198.51.100.4', userAgent: 'Mozilla/5.0 (Macintosh)', detail: {} });
  alert({ id: 'rule:console-no-mfa:mia', time: t('2026-06-10T08:00:00Z'), source: 'copilot:rules', severity: 'low', title: 'Console sign-in without MFA', rule: 'aws.console.login-without-mfa', identities: [MIA], events: ['aws:ct:mia-login'], confidence: 0.7 });
  ev({ id: 'aws:ct:latest', time: AS_OF, service: 's3.amazonaws.com', action: 'HeadBucket', actorId: `arn:aws:iam::${ACCT_DEV}:user/svc/other`, sourceIp: '10.9.9.9', sourceKind: 'private', detail: { readOnly: true } });
  return r;
}
