import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { agentFamily, BaselineDetector, SeenState, type SubjectFacts } from '../../../src/engines/baseline/index.js';
import { viewFromEvent, type EventView } from '../../../src/engines/detections/view.js';
import { riskSettings } from '../../../src/engines/risk/settings.js';
import { Event, type AlertInput } from '../../../src/model/index.js';
import type { Db } from '../../../src/store/index.js';

/**
 * Behaviour baselines without a store (SeenState in fresh mode never reads one): histories built
 * event by event, then the deviations they must and must not raise.
 */
const T = riskSettings().thresholds;
const HOUR = 3_600_000;
const START = Date.parse('2025-03-01T00:00:00Z');
const ROLE = 'arn:aws:iam::111122223333:role/ci-deploy';
const SVC = 'arn:aws:iam::111122223333:user/svc-sync';
const HUMAN = 'arn:aws:iam::111122223333:user/dana';
const noDb = {} as Db;

let n = 0;
function ev(actor: string, ms: number, o: { ip?: string; ua?: string; action?: string; service?: string; resources?: string[]; issuedTo?: string; issuedToKind?: string; kind?: string } = {}): EventView {
  const e = Event.parse({
    id: `aws:ct:${++n}`, time: new Date(ms).toISOString(), provider: 'aws', service: o.service ?? 's3.amazonaws.com', action: o.action ?? 'GetObject', outcome: 'success',
    actorId: actor, sourceIp: o.ip ?? '198.51.100.10', sourceKind: 'ipv4', userAgent: o.ua ?? 'Boto3/1.35.36 os/linux#5.10', resources: o.resources ?? ['arn:aws:s3:::app-data'],
    chain: o.issuedTo ? { credentialId: 'aws:session-key:ASIAEXAMPLE' } : {}, detail: { readOnly: true },
  });
  const v = viewFromEvent(e, new Map([[actor, { kind: o.kind ?? 'service_account', name: actor, account: '111122223333', environment: 'prod', provider: 'aws' }]]));
  if (o.issuedTo) v.credential = { id: 'aws:session-key:ASIAEXAMPLE', holder: actor, issuedTo: o.issuedTo, issuedToKind: o.issuedToKind ?? 'workload' };
  return v;
}

function detector(facts: Record<string, SubjectFacts> = {}, classify: (r: string) => string | null = () => null) {
  const state = new SeenState(noDb, true, T.baselineMaxValuesPerDim);
  return new BaselineDetector({ state, thresholds: T, classify, facts: (s) => facts[s], logStartMs: START });
}

/** Four quiet days: six reads an hour from 09:00 to 12:00 from one network and one client. */
function history(d: BaselineDetector, actor: string, extra: Parameters<typeof ev>[2] = {}): void {
  for (let day = 0; day < 4; day++) for (let h = 9; h < 12; h++) for (let k = 0; k < 6; k++) d.observe(ev(actor, START + day * 24 * HOUR + h * HOUR + k * 600_000, extra), false);
}

const kinds = (alerts: AlertInput[]) => alerts.map((a) => `${a.rule}:${a.severity}`).sort();

describe('behaviour baselines', () => {
  it('names client families without versions, keeping OS and agent markers', () => {
    expect(agentFamily('Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10')).toBe('boto3|linux');
    expect(agentFamily('aws-cli/2.18.10 ua/2.0 os/macos#24.1.0 exec-env/claude-code cfg/retry-mode#standard')).toBe('aws-cli|macos|claude-code|claude');
    expect(agentFamily('Mozilla/5.0 (Macintosh) Chrome/122.0')).toBe('browser');
    expect(agentFamily('console.amazonaws.com')).toBe('aws-service');
    expect(agentFamily(null)).toBeNull();
  });

  it('raises one alert per identity, kind and hour, counting every event that continues the deviation', () => {
    const d = detector();
    history(d, SVC);
    const t = START + 5 * 24 * HOUR + 10 * HOUR;
    for (let k = 0; k < 6; k++) d.observe(ev(SVC, t + k * 60_000, { ip: '203.0.113.50' }), true);
    const alerts = d.alerts();
    expect(kinds(alerts)).toEqual(['baseline:new_network:medium']);
    expect(alerts[0]).toMatchObject({ id: `baseline:new_network:2025-03-06T10:${SVC}`, identities: [SVC], entities: { network: ['203.0.113.0/24'] } });
    expect(alerts[0].detail).toMatchObject({ kind: 'new_network', count: 6, values: { '203.0.113.0/24': 6 } });
    expect(alerts[0].events).toHaveLength(6);
  });

  it('judges nothing before the history is long enough, and nothing on a dimension that is never the same twice', () => {
    const young = detector();
    for (let k = 0; k < 30; k++) young.observe(ev(SVC, START + k * 60_000), false);
    young.observe(ev(SVC, START + HOUR, { ip: '203.0.113.50' }), true);
    expect(young.alerts()).toEqual([]);
    const lambda = detector();
    // A Lambda's role calls from a new AWS address almost every time.
    for (let k = 0; k < 60; k++) lambda.observe(ev(ROLE, START + k * 2 * HOUR, { ip: `3.${k}.1.7` }), false);
    lambda.observe(ev(ROLE, START + 200 * HOUR, { ip: '45.33.32.156' }), true);
    expect(lambda.alerts()).toEqual([]);
  });

  it('sees a spike against the hourly rate, with the ratio', () => {
    const d = detector();
    history(d, SVC);
    const t = START + 5 * 24 * HOUR + 10 * HOUR;
    for (let k = 0; k < 80; k++) d.observe(ev(SVC, t + k * 40_000), true);
    const spike = d.alerts().filter((a) => a.rule === 'baseline:rate_spike');
    expect(spike).toHaveLength(1);
    expect(Number(spike[0].detail!.ratio)).toBeGreaterThanOrEqual(13);
    expect(spike[0].description).toMatch(/^\d+x its hourly rate \(mean 6\.0 events per active hour\)/);
  });

  it('takes what is familiar to the caller as familiar through a role, and flags a person driving a workload role', () => {
    const d = detector();
    // The person's own history: their laptop and home network.
    history(d, HUMAN, { ip: '192.0.2.44', ua: 'aws-cli/2.15 os/macos', kind: 'human' });
    // The CI role: only ever the CI workload, from the runners' network.
    history(d, ROLE, { ip: '20.1.2.3', ua: 'aws-cli/2.15 os/linux', issuedTo: 'aws:web-identity:github/repo:acme/app', issuedToKind: 'workload' });
    const t = START + 5 * 24 * HOUR + 2 * HOUR;
    d.observe(ev(ROLE, t, { ip: '192.0.2.44', ua: 'aws-cli/2.15 os/macos', issuedTo: HUMAN, issuedToKind: 'human' }), true);
    const alerts = d.alerts();
    // Home network and laptop are the person's own: no network or client alert. The role never had a human
    // caller (high); the new caller and the kind of caller are one alert, and 02:00 is new to both of them.
    expect(kinds(alerts)).toEqual(['baseline:new_caller:high', 'baseline:unusual_hour:low']);
    expect(alerts.find((a) => a.severity === 'high')!.description).toContain(`first time a human identity acted through it (${HUMAN})`);
    expect(alerts.find((a) => a.severity === 'high')!.identities).toEqual([ROLE, HUMAN]);
  });

  it('rates a first touch by the data it reaches, and lets low deviations speak only beside a stronger one', () => {
    const d = detector({}, (r) => (r === 'arn:aws:s3:::customer-pii' ? 'restricted' : null));
    history(d, SVC);
    const t = START + 5 * 24 * HOUR + 3 * HOUR;
    // 03:00 is new (low) and so is an unclassified bucket (low): alone they stay context.
    d.observe(ev(SVC, t, { resources: ['arn:aws:s3:::scratch'] }), true);
    expect(d.alerts()).toEqual([]);
    d.observe(ev(SVC, t + 60_000, { resources: ['arn:aws:s3:::customer-pii/export.csv'] }), true);
    expect(kinds(d.alerts())).toEqual(['baseline:new_resource:high', 'baseline:unusual_hour:low']);
    expect(d.alerts().find((a) => a.rule === 'baseline:new_resource')!.description).toMatch(/^first time it touched arn:aws:s3:::customer-pii \(restricted\); first time it touched arn:aws:s3:::scratch/);
  });

  it('calls an identity dormant when the inventory knew it before the logs and says its credentials went unused', () => {
    const old = Date.parse('2022-01-01T00:00:00Z');
    const d = detector({
      [SVC]: { createdMs: old, origin: 'inventory', kind: 'service_account', inventoryCredentials: 1, credentialLastUsedMs: Date.parse('2024-06-01T00:00:00Z') },
      [ROLE]: { createdMs: old, origin: 'inventory', kind: 'role', inventoryCredentials: 0, credentialLastUsedMs: null },
      [HUMAN]: { createdMs: START + 3 * HOUR, origin: 'inventory', kind: 'human', inventoryCredentials: 0, credentialLastUsedMs: null },
    });
    const t = START + 6 * 24 * HOUR;
    d.observe(ev(SVC, t), true);
    d.observe(ev(ROLE, t), true);
    d.observe(ev(HUMAN, t), true);
    const alerts = d.alerts();
    // The key's last use is 9 months old: high. The role has nothing to confirm it (low, alone: not raised). The person is new.
    expect(kinds(alerts)).toEqual(['baseline:dormant:high']);
    expect(alerts[0].description).toContain('first activity after 6 days of logs without any (its credentials last used 2024-06-01, per the inventory)');
  });

  it('never throws and never raises two alerts for one identity, kind and hour, whatever the events (fast-check)', () => {
    fc.assert(fc.property(fc.array(fc.record({
      actor: fc.constantFrom(SVC, ROLE, HUMAN), hour: fc.integer({ min: 0, max: 24 * 8 }), minute: fc.integer({ min: 0, max: 59 }),
      ip: fc.constantFrom('198.51.100.10', '203.0.113.50', '2001:db8::1', 'AWS Internal', 'x'), ua: fc.option(fc.constantFrom('Boto3/1 os/linux', 'Mozilla/5.0', 'aws-cli/2 os/macos'), { nil: undefined }),
      bucket: fc.constantFrom('app-data', 'customer-pii', 'scratch'), issued: fc.option(fc.constantFrom(HUMAN, 'aws:web-identity:x', `arn:aws:iam::9:root`), { nil: undefined }),
    }), { maxLength: 300 }), (items) => {
      const d = detector({ [ROLE]: { createdMs: 0, origin: 'inventory', kind: 'role', inventoryCredentials: 1, credentialLastUsedMs: 0 } }, (r) => (r.includes('customer') ? 'restricted' : null));
      const sorted = items.map((i) => ({ ...i, ms: START + i.hour * HOUR + i.minute * 60_000 })).sort((a, b) => a.ms - b.ms);
      for (const i of sorted) {
        d.observe(ev(i.actor, i.ms, { ip: i.ip, ua: i.ua, resources: [`arn:aws:s3:::${i.bucket}/k`], issuedTo: i.issued, issuedToKind: i.issued === HUMAN ? 'human' : 'workload' }), i.hour > 72);
      }
      const ids = d.alerts().map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
    }), { numRuns: 150 });
  });
});
