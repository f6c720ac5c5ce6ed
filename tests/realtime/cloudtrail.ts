import { gzipSync } from 'node:zlib';

/**
 * CloudTrail records as AWS writes them (the fields of a management event, userIdentity of an IAM user),
 * for tests that need many of them or need them at chosen times. Fixed fixtures live in
 * tests/fixtures/realtime/.
 */
export const ACCOUNT = '111122223333';

export interface CtSpec {
  id: string;
  time: string | Date;
  user: string;
  action: string;
  source?: string;
  params?: Record<string, unknown> | null;
  ip?: string;
  userAgent?: string;
  keyId?: string;
  readOnly?: boolean;
  errorCode?: string;
}

export function ctRecord(s: CtSpec): Record<string, unknown> {
  const time = typeof s.time === 'string' ? s.time : s.time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${hash(s.user).slice(0, 16).toUpperCase()}`,
      arn: `arn:aws:iam::${ACCOUNT}:user/${s.user}`,
      accountId: ACCOUNT,
      accessKeyId: s.keyId ?? `AKIA${hash(`${s.user}-key`).slice(0, 16).toUpperCase()}`,
      userName: s.user,
    },
    eventTime: time,
    eventSource: s.source ?? 'iam.amazonaws.com',
    eventName: s.action,
    awsRegion: 'us-east-1',
    sourceIPAddress: s.ip ?? '203.0.113.10',
    userAgent: s.userAgent ?? 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
    requestParameters: s.params ?? null,
    responseElements: null,
    ...(s.errorCode ? { errorCode: s.errorCode, errorMessage: 'denied' } : {}),
    requestID: `req-${s.id}`,
    eventID: s.id,
    readOnly: s.readOnly ?? /^(Get|List|Describe)/.test(s.action),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

/** A stable hex string for a name (ids that look like AWS's own). */
export function hash(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 2246822519) >>> 0;
  }
  return (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
}

/** A 36-character event id from a seed (CloudTrail's are UUIDs). */
export function eventId(seed: string): string {
  const h = hash(seed) + hash(`${seed}!`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The file CloudTrail delivers to S3. */
export function delivery(records: Record<string, unknown>[], gzip = true): Buffer {
  const text = JSON.stringify({ Records: records });
  return gzip ? gzipSync(text) : Buffer.from(text);
}

/** Benign reads by service users, then one user mints a key for another: a high-severity rule alert. */
export function benignAndAttack(start: Date, n: number, attacker = 'ci-deployer', victim = 'billing-admin'): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    out.push(ctRecord({ id: eventId(`benign-${i}`), time: new Date(start.getTime() + i * 1000), user: `svc-${i % 5}`, action: 'ListUsers', readOnly: true }));
  }
  out.push(ctRecord({ id: eventId(`attack-${attacker}-${victim}`), time: new Date(start.getTime() + n * 1000), user: attacker, action: 'CreateAccessKey', params: { userName: victim } }));
  return out;
}

const iso = (t: string | Date) => (typeof t === 'string' ? t : t.toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** A user assumes a role: CloudTrail's AssumeRole record, with the session key the response names. */
export function assumeRole(s: { id: string; time: string | Date; user: string; role: string; session: string; sessionKey: string }): Record<string, unknown> {
  const r = ctRecord({ id: s.id, time: s.time, user: s.user, action: 'AssumeRole', source: 'sts.amazonaws.com', params: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${s.role}`, roleSessionName: s.session, durationSeconds: 3600 } });
  r.responseElements = {
    credentials: { accessKeyId: s.sessionKey, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: 'May 1, 2026, 11:00:00 AM' },
    assumedRoleUser: { assumedRoleId: `AROA${hash(s.role).slice(0, 16).toUpperCase()}:${s.session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${s.role}/${s.session}` },
  };
  return r;
}

/** A call made through an assumed-role session. */
export function sessionCall(s: { id: string; time: string | Date; role: string; session: string; sessionKey: string; action: string; source?: string; params?: Record<string, unknown> }): Record<string, unknown> {
  const roleId = `AROA${hash(s.role).slice(0, 16).toUpperCase()}`;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole', principalId: `${roleId}:${s.session}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${s.role}/${s.session}`, accountId: ACCOUNT, accessKeyId: s.sessionKey,
      sessionContext: { sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${ACCOUNT}:role/${s.role}`, accountId: ACCOUNT, userName: s.role }, webIdFederationData: {}, attributes: { creationDate: iso(s.time), mfaAuthenticated: 'false' } },
    },
    eventTime: iso(s.time), eventSource: s.source ?? 's3.amazonaws.com', eventName: s.action, awsRegion: 'us-east-1', sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-sdk-go-v2/1.30.0', requestParameters: s.params ?? null, responseElements: null, requestID: `req-${s.id}`, eventID: s.id,
    readOnly: /^(Get|List|Describe)/.test(s.action), eventType: 'AwsApiCall', managementEvent: true, recipientAccountId: ACCOUNT, eventCategory: 'Management',
  };
}

/** A deterministic mix of direct calls, role assumptions and session calls: events and observed hops. */
export function mixedStream(n: number, start: Date, seed = 'mix'): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(start.getTime() + i * 1000);
    const u = `svc-${i % 4}`;
    const role = `app-${i % 3}`;
    const key = `ASIA${hash(`${seed}-${i % 6}`).slice(0, 16).toUpperCase()}`;
    const id = eventId(`${seed}-${i}`);
    if (i % 5 === 0) out.push(assumeRole({ id, time: t, user: u, role, session: `${u}-s`, sessionKey: key }));
    else if (i % 5 === 1) out.push(sessionCall({ id, time: t, role, session: `${u}-s`, sessionKey: key, action: 'GetObject', params: { bucketName: `data-${i % 2}`, key: 'x' } }));
    else out.push(ctRecord({ id, time: t, user: u, action: i % 2 ? 'ListUsers' : 'GetUser', readOnly: true }));
  }
  return out;
}
