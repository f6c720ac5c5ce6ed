import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { completeLinesEnd, followable, headHash, ndjsonByName, rangeSourceFile } from '../../src/realtime/files.js';
import { splitEventBridge } from '../../src/realtime/eventbridge.js';
import { registry } from '../../src/connectors/index.js';
import { memorySourceFile } from '../../src/connectors/shared/source-file.js';

const dir = mkdtempSync(join(tmpdir(), 'idc-rt-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file helpers', () => {
  it('completeLinesEnd stops after the last newline, never inside a line being written', async () => {
    const p = join(dir, 'a.ndjson');
    writeFileSync(p, '{"a":1}\n{"b":2}\n{"c":');
    expect(await completeLinesEnd(p, 0, 21)).toBe(16);
    expect(await completeLinesEnd(p, 16, 21)).toBe(16);
    expect(await completeLinesEnd(p, 0, 7)).toBe(0);
  });

  it('property: completeLinesEnd is the position after the last newline in the range, across 64 KiB blocks', async () => {
    const p = join(dir, 'big.ndjson');
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 90_000 }), { maxLength: 4 }), fc.integer({ min: 1, max: 150_000 }), async (newlines, size) => {
      const buf = Buffer.alloc(size, 0x61);
      for (const n of newlines) if (n < size) buf[n] = 10;
      writeFileSync(p, buf);
      const from = Math.floor(size / 3);
      const want = buf.subarray(from, size).lastIndexOf(10);
      expect(await completeLinesEnd(p, from, size)).toBe(want === -1 ? from : from + want + 1);
    }), { numRuns: 30 });
  });

  it('a byte range reads as a SourceFile named by its offset, so records keep distinct, stable references', async () => {
    const p = join(dir, 'r.ndjson');
    writeFileSync(p, '{"x":1}\n{"x":2}\n{"x":3}\n');
    const whole = await rangeSourceFile(p, 0, 8);
    expect(whole.path).toBe(p);
    expect(await whole.text()).toBe('{"x":1}\n');
    const tail = await rangeSourceFile(p, 8, 24);
    expect(tail.path).toBe(`${p}@8`);
    expect(tail.name).toBe('r.ndjson');
    expect(tail.head).toBe('{"x":2}\n{"x":3}\n');
    expect(await tail.text()).toBe('{"x":2}\n{"x":3}\n');
  });

  it('head hashes tell a rewritten file from one that grew', async () => {
    const p = join(dir, 'h.log');
    writeFileSync(p, 'first line\n');
    const h = await headHash(p, 11);
    writeFileSync(p, 'first line\nsecond\n');
    expect(await headHash(p, 11)).toBe(h);
    writeFileSync(p, 'other line\nsecond\n');
    expect(await headHash(p, 11)).not.toBe(h);
  });

  it('hidden and unfinished names are not followed; NDJSON is known by its name too', () => {
    expect(followable('111122223333_CloudTrail_us-east-1_20260501T1000Z_abc.json.gz')).toBe(true);
    for (const n of ['.hidden.json', 'x.json.tmp', 'x.json.part', 'x.json~', 'x.crdownload']) expect(followable(n)).toBe(false);
    expect(ndjsonByName('app.jsonl')).toBe(true);
    expect(ndjsonByName('events.ndjson')).toBe(true);
    expect(ndjsonByName('trail.json.gz')).toBe(false);
  });
});

describe('EventBridge bodies', () => {
  const ct = (id: string) => ({ version: '0', id, 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', account: '111122223333', time: '2026-05-01T10:00:00Z', region: 'us-east-1', detail: { eventVersion: '1.09', eventID: id, eventTime: '2026-05-01T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.1', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/a', accountId: '111122223333', userName: 'a' } } });
  const gd = { version: '0', id: 'g1', 'detail-type': 'GuardDuty Finding', source: 'aws.guardduty', account: '111122223333', time: '2026-05-01T10:00:00Z', region: 'us-east-1', detail: { schemaVersion: '2.0', accountId: '111122223333', region: 'us-east-1', id: 'f1', type: 'Recon:IAMUser/MaliciousIPCaller', severity: 5, title: 't', description: 'd', createdAt: '2026-05-01T10:00:00Z', updatedAt: '2026-05-01T10:00:00Z', resource: { resourceType: 'AccessKey', accessKeyDetails: { userName: 'a', principalId: 'AIDA1', accessKeyId: 'AKIAEXAMPLE', userType: 'IAMUser' } }, service: { serviceName: 'guardduty', count: 1, eventFirstSeen: '2026-05-01T10:00:00Z', eventLastSeen: '2026-05-01T10:00:00Z', archived: false } } };

  it('a body of one detail-type passes untouched', () => {
    const text = JSON.stringify([ct('e1'), ct('e2')]);
    expect(splitEventBridge('http:1', text)).toEqual([{ label: 'http:1', text }]);
  });

  it('a body that mixes products is split per detail-type, and each part is recognised by its own connector', () => {
    const parts = splitEventBridge('http:1', JSON.stringify([ct('e1'), gd, ct('e2')]));
    expect(parts.map((p) => p.label)).toEqual(['http:1#aws-api-call-via-cloudtrail', 'http:1#guardduty-finding']);
    expect(parts[0].text.trim().split('\n')).toHaveLength(2);
    const detected = parts.map((p) => registry.detect({ path: p.label, name: p.label, head: memorySourceFile(p.label, p.text).head })?.connector.name);
    expect(detected).toEqual(['aws-cloudtrail', 'aws-guardduty']);
  });

  it('NDJSON mixes split the same way; a body that is not JSON is left for the connector to report', () => {
    const nd = [ct('e1'), gd].map((v) => JSON.stringify(v)).join('\n');
    expect(splitEventBridge('h', nd)).toHaveLength(2);
    const broken = `${JSON.stringify(ct('e1'))}\n{"detail-type": "GuardDuty Finding", `;
    expect(splitEventBridge('h', `${broken}\n{"detail-type":"x"}`)).toEqual([{ label: 'h', text: `${broken}\n{"detail-type":"x"}` }]);
  });
});
