import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RiskResult } from '../../../src/model/index.js';
import { idcopilot } from '../../helpers/cli.js';

/**
 * The real CLI on an embedded store: ingest (which runs the detections and the re-score), then
 * `detect --json`, `risk --json`, `risk ID`, `risk --posture --json`, and the usage errors.
 */
const FIXTURES = join(import.meta.dirname, '../../fixtures/detections');
const BACKUP = 'arn:aws:iam::111122223333:user/svc-backup';
let dir: string;
let data: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idc-risk-cli-'));
  data = join(dir, 'store');
  const r = idcopilot(['ingest', join(FIXTURES, 'credential-report.csv'), join(FIXTURES, 'cloudtrail-incident.json'), '--data', data, '--json'], { timeoutMs: 300_000 });
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('idcopilot risk and detect', () => {
  it('detect --json reports the run and the alerts raised; a second run has nothing new', () => {
    const r = idcopilot(['detect', '--json', '--data', data], { timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = r.json();
    // The ingest already ran the detections: this run finds nothing new.
    expect(out).toMatchObject({ contractVersion: 1, mode: 'incremental', events: 0 });
    const again = idcopilot(['detect', '--since', '2025-03-06', '--json', '--data', data], { timeoutMs: 300_000 }).json();
    expect(again).toMatchObject({ mode: 'full', from: '2025-03-06T00:00:00.000Z' });
    expect(again.raised.map((a: { rule: string }) => a.rule)).toEqual(expect.arrayContaining(['aws.iam.access-key-for-other-user', 'aws.secrets.read-burst', 'baseline:dormant']));
    expect(again.raised[0].severity).toBe('high');
  }, 300_000);

  it('risk --json follows the contract, highest scores first, with factors and evidence', () => {
    const r = idcopilot(['risk', '--json', '--top', '5', '--data', data], { timeoutMs: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = RiskResult.parse(r.json());
    expect(out.identities).toHaveLength(5);
    expect(out.identities[0].id).toBe(BACKUP);
    expect(out.identities[0].factors.map((f) => f.code)).toEqual(expect.arrayContaining(['NHI10', 'NHI4', 'NHI7', 'DETECTION', 'BEHAVIOUR']));
    expect(out.asOf).toBe('2025-03-12T04:10:40.000Z');
  }, 300_000);

  it('risk ID explains one identity; risk --posture sums up; bad input is a usage error', () => {
    const one = idcopilot(['risk', BACKUP, '--data', data]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^svc-backup \(arn:aws:iam::111122223333:user\/svc-backup\) \[service_account\]\nScore \d+\/100/);
    expect(one.stdout).toContain('NHI10');
    const posture = idcopilot(['risk', '--posture', '--json', '--data', data]).json();
    expect(posture).toMatchObject({ asOf: '2025-03-12T04:10:40.000Z', factors: expect.objectContaining({ NHI7: expect.any(Number) }) });
    expect(posture.trend.length).toBeGreaterThanOrEqual(1);
    const missing = idcopilot(['risk', 'arn:aws:iam::111122223333:user/nobody', '--data', data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no identity arn:aws:iam::111122223333:user/nobody in the store');
    expect(idcopilot(['risk', '--top', '0', '--data', data]).status).toBe(2);
    expect(idcopilot(['detect', '--since', 'yesterday-ish', '--data', data]).status).toBe(2);
  }, 300_000);
});
