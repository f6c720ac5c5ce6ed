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
