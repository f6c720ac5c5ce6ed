import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDetections } from '../../../src/engines/detections/index.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import { Alert, Config } from '../../../src/model/index.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';

/**
 * The rule pack and the baselines on a real store, from a CloudTrail file and a credential report in
 * the vendors' formats (tests/fixtures/detections): eight quiet nights of a backup user, then a day on
 * which someone mints it a key, signs in with it from a browser, reads twelve secrets and a customer
 * bucket, and hops to another account; an instance's session used from outside; a key dormant since
 * June waking up.
 */
const FIXTURES = join(import.meta.dirname, '../../fixtures/detections');
const ACCT = '111122223333';
const BACKUP = `arn:aws:iam::${ACCT}:user/svc-backup`;
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;
const LEGACY = `arn:aws:iam::${ACCT}:user/svc-legacy`;
const APP_ROLE = `arn:aws:iam::${ACCT}:role/app-role`;
const config = Config.parse({ crownJewels: [{ resource: 'arn:aws:s3:::customer-*', why: 'customer data' }] });

/** The fixture split in two at a time: the first half ingested, detected, then the rest (incremental). */
function split(at: string): { before: string; after: string } {
  const dir = mkdtempSync(join(tmpdir(), 'idc-det-'));
  const all = JSON.parse(readFileSync(join(FIXTURES, 'cloudtrail-incident.json'), 'utf8')).Records as { eventTime: string }[];
  const before = join(dir, 'before.json');
  const after = join(dir, 'after.json');
  writeFileSync(before, JSON.stringify({ Records: all.filter((r) => r.eventTime < at) }));
  writeFileSync(after, JSON.stringify({ Records: all.filter((r) => r.eventTime >= at) }));
  copyFileSync(join(FIXTURES, 'credential-report.csv'), join(dir, 'credential-report.csv'));
  return { before, after };
}

async function alerts(db: Db, source?: string) {
  const rows = await db.query(`SELECT * FROM alerts WHERE source LIKE 'copilot:%' ${source ? 'AND source = $1' : ''} ORDER BY id`, source ? [source] : []);
  return rows.map((r) => Alert.parse({ ...r, time: new Date(r.time).toISOString(), rawRef: r.raw_ref }));
}

describeStores('detections and baselines on a store', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    const r = await ingestPaths(db, [join(FIXTURES, 'credential-report.csv'), join(FIXTURES, 'cloudtrail-incident.json')]);
    expect(r.totals).toMatchObject({ failed: 0, rejected: 0 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('raises the rule alerts with idempotent ids, the identities involved and MITRE techniques', async () => {
    const r = await runDetections(db, { config });
    expect(r.mode).toBe('full');
    expect(r.events).toBe(215);
    // Eight nights of history, then four days: the first baselineLearnDays or the first half of the logs are the baseline.
    const times = (JSON.parse(readFileSync(join(FIXTURES, 'cloudtrail-incident.json'), 'utf8')).Records as { eventTime: string }[]).map((x) => Date.parse(x.eventTime));
    const [first, last] = [Math.min(...times), Math.max(...times)];
    expect(r.cutoff).toBe(new Date(first + Math.min(7 * 86_400_000, (last - first) / 2)).toISOString());
    expect(r.cutoff! < '2025-03-08T00:00:00Z').toBe(true);
    const rules = await alerts(db, 'copilot:rules');
    const byRule = (id: string) => rules.filter((a) => a.rule === id);

    const key = byRule('aws.iam.access-key-for-other-user');
    expect(key).toHaveLength(1);
    expect(key[0].id).toMatch(/^rule:aws\.iam\.access-key-for-other-user:aws:ct:/);
    expect(key[0].identities).toEqual(expect.arrayContaining([ALICE, BACKUP, 'aws:access-key:AKIAEXAMPLEALICE0001']));
    expect(key[0]).toMatchObject({ severity: 'high', mitre: ['T1098.001'], source: 'copilot:rules' });

    expect(byRule('aws.cloudtrail.logging-stopped')[0]?.identities).toContain(ALICE);
    const login = byRule('aws.console.machine-identity-login');
    expect(login).toHaveLength(1);
    expect(login[0].identities[0]).toBe(BACKUP);
    expect(byRule('aws.console.login-without-mfa')).toHaveLength(1);

    // Twelve distinct secrets in four minutes: one burst alert naming the reads, not twelve.
    const burst = byRule('aws.secrets.read-burst');
    expect(burst).toHaveLength(1);
    expect(burst[0].events).toHaveLength(10);
    expect(burst[0].detail).toMatchObject({ count: 10, window: '10m' });

    const hop = byRule('aws.sts.new-cross-account-hop');
    expect(hop.map((a) => a.identities[0])).toEqual([BACKUP]);

    const imds = byRule('aws.instance-credentials-new-network');
    expect(imds).toHaveLength(1);
    expect(imds[0].identities).toContain(APP_ROLE);
    expect(imds[0].detail).toMatchObject({ network: '45.33.32.0/24', knownNetworks: 1 });
    // Nothing else: the quiet nights raise no rule alert.
    expect(rules.filter((a) => a.time < r.cutoff!)).toEqual([]);
    expect(new Set(rules.map((a) => a.rule))).toEqual(new Set([
      'aws.iam.access-key-for-other-user', 'aws.cloudtrail.logging-stopped', 'aws.console.machine-identity-login', 'aws.console.login-without-mfa',
      'aws.secrets.read-burst', 'aws.sts.new-cross-account-hop', 'aws.instance-credentials-new-network',
    ]));
  });

  it('explains baseline deviations, one alert per identity, kind and hour, with counts', async () => {
    const base = await alerts(db, 'copilot:baseline');
    const of = (kind: string, who = BACKUP) => base.filter((a) => a.rule === `baseline:${kind}` && a.identities[0] === who);
    const spike = of('rate_spike');
    expect(spike).toHaveLength(1);
    expect(Number(spike[0].detail.ratio)).toBeGreaterThanOrEqual(10);
    expect(spike[0].description).toMatch(/\d+x its hourly rate/);
    const resource = of('new_resource');
    expect(resource).toHaveLength(1);
    expect(resource[0]).toMatchObject({ severity: 'high' });
    expect(resource[0].description).toContain('first time it touched arn:aws:s3:::customer-pii (crown-jewel)');
    // Twelve secrets and the bucket were new; the bucket's other 59 reads that hour continue the same deviation.
    expect(resource[0].detail).toMatchObject({ kind: 'new_resource', count: 72 });
    expect((resource[0].detail.values as Record<string, number>)['arn:aws:s3:::customer-pii']).toBe(60);
    const network = of('new_network');
    expect(network).toHaveLength(1);
    expect(network[0].entities).toEqual({ network: ['192.0.2.0/24'] });
    // 74 events from the new network in that hour: counted in one alert, not one alert each.
    expect(Number(network[0].detail.count)).toBe(74);
    expect(of('new_agent')[0]?.description).toContain('browser');
    const dormant = of('dormant', LEGACY);
    expect(dormant).toHaveLength(1);
    expect(dormant[0].severity).toBe('high');
    expect(dormant[0].description).toContain('its credentials last used 2024-06-01, per the inventory');
    // The app role's stolen session shows in its baseline too: network, client and hour, all new.
    expect(of('new_network', APP_ROLE)[0]?.entities).toEqual({ network: ['45.33.32.0/24'] });
    expect(new Set(base.filter((a) => a.identities[0] === APP_ROLE).map((a) => a.rule))).toEqual(new Set(['baseline:new_network', 'baseline:new_agent', 'baseline:unusual_hour']));
    // Alice's routine raises nothing, and nothing is raised before the cut-off.
    expect(base.filter((a) => a.identities[0] === ALICE)).toEqual([]);
    expect(base.every((a) => a.time > '2025-03-07T00:00:00Z')).toBe(true);
    expect(base.length).toBeLessThanOrEqual(10);
  });

  it('gives the same alerts when run again from the same point (idempotent)', async () => {
    const before = (await alerts(db)).map((a) => [a.id, a.severity, a.detail.count ?? null]);
    const [state] = await db.query(`SELECT cutoff FROM engine_state WHERE engine = 'detections'`);
    const again = await runDetections(db, { config, since: new Date(state.cutoff).toISOString() });
    expect(again.mode).toBe('full');
    const after = (await alerts(db)).map((a) => [a.id, a.severity, a.detail.count ?? null]);
    expect(after).toEqual(before);
    const incremental = await runDetections(db, { config });
    expect(incremental).toMatchObject({ mode: 'incremental', events: 0 });
  });
});

describeStores('incremental detections across ingests', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('judges only new events, keeps baselines and windows between runs, and adds to an hour already reported', async () => {
    // Cut in the middle of the secrets burst: six reads before, six after.
    const { before, after } = split('2025-03-11T16:04:00Z');
    await ingestPaths(db, [before.replace('before.json', 'credential-report.csv'), before]);
    const first = await runDetections(db, { config });
    expect(first.mode).toBe('full');
    expect((await alerts(db, 'copilot:rules')).filter((a) => a.rule === 'aws.secrets.read-burst')).toEqual([]);
    await ingestPaths(db, [after]);
    const second = await runDetections(db, { config });
    expect(second.mode).toBe('incremental');
    expect(second.events).toBe(215 - first.events);
    const rules = await alerts(db, 'copilot:rules');
    // The burst spans the two ingests and is still found: the second run re-read the window.
    expect(rules.filter((a) => a.rule === 'aws.secrets.read-burst')).toHaveLength(1);
    expect(rules.filter((a) => a.rule === 'aws.sts.new-cross-account-hop')).toHaveLength(1);
    const network = (await alerts(db, 'copilot:baseline')).filter((a) => a.rule === 'baseline:new_network' && a.identities[0] === BACKUP);
    expect(network).toHaveLength(1);
    expect(Number(network[0].detail.count)).toBe(74);
  });
});
