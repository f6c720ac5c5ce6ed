import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/aws-credential-report/index.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { FIXTURES, parseFile, parseText } from './helpers.js';

const A = 'arn:aws:iam::111122223333';
const FIXTURE = join(FIXTURES, 'credential-report.csv');
const csv = readFileSync(FIXTURE, 'utf8');

describe('aws-credential-report', async () => {
  const p = await parseFile(connector, FIXTURE);
  const cred = (id: string) => p.of('credential').find((c) => c.id === id);
  const ident = (id: string) => p.of('identity').find((i) => i.id === id);

  it('detects the CSV and the CLI JSON answer', () => {
    expect(connector.detect({ path: FIXTURE, name: 'credential-report.csv', head: csv })).toBeGreaterThan(0.9);
    expect(connector.detect({ path: 'r.json', name: 'r.json', head: '{"Content": "dXNlcg==", "ReportFormat": "text/csv", "GeneratedTime": "2024-06-01T00:00:00Z"}' })).toBeGreaterThan(0.8);
    expect(connector.detect({ path: 'x.csv', name: 'x.csv', head: 'employee_id,email\n' })).toBe(0);
  });

  it('reads one record per row, rejecting bad rows with their line and reason', () => {
    expect(p.items.map((i) => i.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(p.rejects.map((r) => [r.index, r.line, r.reject])).toEqual([
      [5, 7, 'user_creation_time: "2020-13-45T99:00:00+00:00" is not a valid timestamp'],
      [6, 8, 'missing arn'],
      [7, 9, 'expected 22 columns, found 4'],
    ]);
    for (const item of p.items) for (const r of item.records ?? []) expect(RECORD_SCHEMAS[r.kind].safeParse(r.value).success, JSON.stringify(r)).toBe(true);
  });

  it('emits key slots with their status, rotation and last use, owned by the user', () => {
    const slot1 = `aws:key-slot:${A}:user/automation/ci-deployer#1`;
    expect(cred(slot1)).toEqual({
      id: slot1, identityId: `${A}:user/automation/ci-deployer`, type: 'access_key', fingerprint: fingerprint(slot1),
      createdAt: '2020-01-10T12:05:00.000Z', lastRotatedAt: '2020-01-10T12:05:00.000Z', lastUsedAt: '2024-05-31T23:10:00.000Z',
      status: 'active', attributes: { slot: 1, lastUsedService: 'sts', lastUsedRegion: 'us-east-1' },
    });
    expect(cred(`aws:key-slot:${A}:user/automation/ci-deployer#2`)).toMatchObject({ status: 'inactive', lastUsedAt: '2023-01-02T03:04:00.000Z', attributes: { slot: 2, lastUsedService: 's3' } });
    // N/A everywhere: no key in that slot, no record.
    expect(cred(`aws:key-slot:${A}:user/alice.smith#1`)).toBeUndefined();
    // An active key never used: no_information/N/A become nulls.
    expect(cred(`aws:key-slot:${A}:user/legacy-sync#1`)).toMatchObject({ status: 'active', lastUsedAt: null, attributes: { slot: 1 } });
    expect(p.of('edge').find((e) => e.to === slot1)).toMatchObject({ from: `${A}:user/automation/ci-deployer`, kind: 'owns_credential' });
  });

  it('emits passwords and signing certificates', () => {
    expect(cred(`aws:password:${A}:user/alice.smith`)).toMatchObject({
      type: 'password', status: 'active', lastUsedAt: '2024-05-30T17:45:12.000Z', lastRotatedAt: '2024-01-10T09:00:00.000Z', expiresAt: '2024-07-09T09:00:00.000Z',
    });
    expect(cred(`aws:password:${A}:user/automation/ci-deployer`)).toBeUndefined();
    expect(cred(`aws:cert-slot:${A}:user/legacy-sync#1`)).toMatchObject({ type: 'certificate', status: 'active', lastRotatedAt: '2019-02-01T00:00:00.000Z' });
  });

  it('describes users as derived identities: human by password and no key, last seen at the latest use', () => {
    expect(ident(`${A}:user/alice.smith`)).toMatchObject({ kind: 'human', origin: 'derived', attributes: { passwordEnabled: true, mfaActive: true }, lastSeenAt: '2024-05-30T17:45:12.000Z' });
    expect(ident(`${A}:user/automation/ci-deployer`)).toMatchObject({ kind: 'service_account', attributes: { passwordEnabled: false, mfaActive: false }, lastSeenAt: '2024-05-31T23:10:00.000Z' });
    // A password and an active key: someone uses the console and a key; treated as automation.
    expect(ident(`${A}:user/bob.jones`)).toMatchObject({ kind: 'service_account', lastSeenAt: '2024-05-20T12:00:00.000Z' });
    expect(ident(`${A}:user/legacy-sync`)).toMatchObject({ kind: 'service_account', lastSeenAt: null, createdAt: '2018-07-01T00:00:00.000Z' });
  });

  it('reads the root row as the account root', () => {
    expect(ident(`${A}:root`)).toMatchObject({ kind: 'role', name: '111122223333 root', account: '111122223333', attributes: { accountRoot: true, mfaActive: true }, lastSeenAt: '2024-03-02T11:20:00.000Z' });
    expect(ident(`${A}:root`)?.attributes).not.toHaveProperty('passwordEnabled'); // not_supported
    expect(cred(`aws:password:${A}:root`)).toMatchObject({ status: 'unknown', lastUsedAt: '2024-03-02T11:20:00.000Z' });
  });

  it('reads the JSON answer of the CLI (base64 Content) the same way', async () => {
    const json = JSON.stringify({ Content: Buffer.from(csv).toString('base64'), ReportFormat: 'text/csv', GeneratedTime: '2024-06-01T00:00:00+00:00' });
    const q = await parseText(connector, 'report.json', json);
    expect(q.of('credential')).toEqual(p.of('credential'));
    expect(q.rejects.map((r) => r.reject)).toEqual(p.rejects.map((r) => r.reject));
  });

  it('refuses files that are not a credential report', async () => {
    await expect(parseText(connector, 'x.csv', 'name,email\na,b\n')).rejects.toThrow(/^x\.csv:1: not a credential report: header lacks user, arn, user_creation_time/);
    await expect(parseText(connector, 'y.csv', `${csv.split('\n')[0]}\nbob,"arn:aws:iam::1:user/bob,2020\n`)).rejects.toThrow(/^y\.csv:\d+: not valid CSV \(Quote Not Closed/);
    await expect(parseText(connector, 'z.csv', '')).rejects.toThrow(/^z\.csv:1: file is empty/);
    await expect(parseText(connector, 'r.json', '{"Content": 5, "ReportFormat": "text/csv"}')).rejects.toThrow(/r\.json:1: missing Content/);
  });
});
