import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { rec } from '../../../src/connectors/contract.js';
import { posture } from '../../../src/engines/inventory.js';
import { resolveOwnership } from '../../../src/engines/ownership.js';
import { combine, riskOf, riskPosture, riskSettings, scoreAll, scoreSql } from '../../../src/engines/risk/index.js';
import { Config, OWASP_NHI_TITLES, RiskResult, type CanonicalRecord } from '../../../src/model/index.js';
import type { Db } from '../../../src/store/index.js';
import { seed } from '../../helpers/seed.js';
import { describeStores } from '../../helpers/stores.js';

/**
 * One small estate with one identity per weakness, each built so that exactly the intended factor
 * fires: scores, factors, evidence ids, the findings table across re-scores, the posture snapshot, and
 * agreement with posture()'s orphaned list.
 */
const A = '111122223333';
const arn = (kind: 'user' | 'role', name: string) => `arn:aws:iam::${A}:${kind}/${name}`;
const ID = {
  orphan: arn('user', 'svc-orphan'), leaver: arn('user', 'svc-leaver'), owned: arn('user', 'svc-owned'), stale: arn('user', 'svc-stale'),
  vendor: arn('role', 'ext-vendor'), ghWild: arn('role', 'gh-deploy'), ghNoSub: arn('role', 'gh-nosub'), open: arn('role', 'open-role'),
  console: arn('user', 'svc-console'), devApp: arn('role', 'dev-app'), prodDb: arn('role', 'prod-db'), hop: arn('user', 'svc-hop'),
  key: 'aws:access-key:AKIAEXAMPLEOLDKEY001', agent: 'agent:copilot-x', alice: arn('user', 'alice'),
};
const OIDC = `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`;
const AS_OF = '2025-06-01T12:00:00.000Z';

function estate(): CanonicalRecord[] {
  const r: CanonicalRecord[] = [];
  const person = (id: string, name: string, status: 'active' | 'terminated') =>
    r.push(rec.identity({ id, kind: 'human', provider: 'hr', name, email: `${name}@example.com`, status }));
  person('hr:employee:100', 'alice', 'active');
  person('hr:employee:200', 'bob', 'terminated');
  r.push(rec.identity({ id: ID.alice, kind: 'human', provider: 'aws', name: 'alice', email: 'alice@example.com', account: A, status: 'active' }));
  const sa = (id: string, extra: Record<string, unknown> = {}) => r.push(rec.identity({
    id, kind: 'service_account', provider: 'aws', name: id.split('/').pop()!, account: A, status: 'active', environment: 'prod',
    createdAt: '2024-01-01T00:00:00Z', lastSeenAt: '2025-05-30T00:00:00Z', ...extra,
  }));
  const role = (id: string, environment: 'prod' | 'dev' = 'prod') => r.push(rec.identity({
    id, kind: 'role', provider: 'aws', name: id.split('/').pop()!, account: A, status: 'active', environment, createdAt: '2024-01-01T00:00:00Z', lastSeenAt: '2025-05-31T00:00:00Z',
  }));
  const owns = (owner: string, target: string) => r.push(rec.ownerClaim({ target, ref: owner, refType: 'employee_id', source: 'ownership-map', confidence: 0.95 }));
  sa(ID.orphan);
  sa(ID.leaver); owns('200', ID.leaver);
  sa(ID.owned); owns('100', ID.owned);
  sa(ID.stale, { lastSeenAt: '2024-10-01T00:00:00Z' }); owns('100', ID.stale);
  sa(ID.console, { attributes: { passwordEnabled: true, mfaActive: false } }); owns('100', ID.console);
  sa(ID.hop); owns('100', ID.hop);
  for (const x of [ID.vendor, ID.ghWild, ID.ghNoSub, ID.open, ID.prodDb]) { role(x); owns('100', x); }
  role(ID.devApp, 'dev'); owns('100', ID.devApp);
  r.push(rec.identity({ id: `arn:aws:iam::999988887777:root`, kind: 'role', provider: 'aws', name: 'vendor root', account: '999988887777', origin: 'derived', attributes: { accountRoot: true } }));
  r.push(rec.identity({ id: OIDC, kind: 'oauth_app', provider: 'aws', name: 'token.actions.githubusercontent.com', account: A, attributes: { federation: 'oidc' } }));
  r.push(rec.identity({ id: 'aws:principal:*', kind: 'group', provider: 'aws', name: 'anyone', origin: 'derived' }));
  // NHI3 + NHI5: a vendor's account can assume an admin role, with no external id.
  r.push(rec.edge({ from: 'arn:aws:iam::999988887777:root', to: ID.vendor, kind: 'can_assume', evidence: [`trust:${ID.vendor}`] }));
  r.push(rec.entitlement({ id: 'ent:vendor-admin', identityId: ID.vendor, effect: 'Allow', actions: ['*'], resources: ['*'], privilege: 'admin', sourcePolicy: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  // NHI6: GitHub OIDC with a wildcard sub, without any sub; a trust policy open to anyone.
  r.push(rec.edge({ from: OIDC, to: ID.ghWild, kind: 'can_assume', conditions: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } }, attributes: { federation: 'oidc' } }));
  r.push(rec.edge({ from: OIDC, to: ID.ghNoSub, kind: 'can_assume', conditions: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } }, attributes: { federation: 'oidc' } }));
  r.push(rec.edge({ from: 'aws:principal:*', to: ID.open, kind: 'can_assume' }));
  // NHI7, NHI2, NHI9, AUTONOMY: an old key, leaked, used from six networks, held by an autonomous agent.
  r.push(rec.identity({ id: ID.key, kind: 'api_key', provider: 'aws', name: 'AKIAEXAMPLEOLDKEY001', account: A, status: 'active', createdAt: '2024-01-01T00:00:00Z', lastSeenAt: '2025-05-25T10:00:00Z' }));
  r.push(rec.credential({ id: ID.key, identityId: ID.owned, type: 'access_key', fingerprint: 'sha256:00112233445566778899aabbccddeeff', createdAt: '2024-01-01T00:00:00Z', lastUsedAt: '2025-05-25T10:00:00Z', status: 'active' }));
  r.push(rec.edge({ from: ID.owned, to: ID.key, kind: 'owns_credential' }));
  r.push(rec.alert({ id: 'github-secret-scanning:acme/app/7', time: '2025-05-20T00:00:00Z', source: 'github-secret-scanning', severity: 'critical', title: 'AWS key leaked', rule: 'secret_scanning:aws_access_key_id', credentials: [ID.key], detail: { state: 'open' } }));
  r.push(rec.identity({ id: ID.agent, kind: 'ai_agent', provider: 'agent', name: 'copilot-x', autonomy: 'full' }));
  r.push(rec.edge({ from: ID.agent, to: ID.key, kind: 'owns_credential' }));
  // NHI5 unused privilege: write on six services, only S3 reads in the logs.
  for (const [i, svc] of ['s3', 'ec2', 'iam', 'lambda', 'sqs', 'sns'].entries()) {
    r.push(rec.entitlement({ id: `ent:owned-${i}`, identityId: ID.owned, effect: 'Allow', actions: [`${svc}:*`], resources: ['*'], privilege: 'write', sourcePolicy: `inline:${ID.owned}:p` }));
  }
  for (let i = 0; i < 6; i++) {
    r.push(rec.event({
      id: `aws:ct:reuse-${i}`, time: `2025-05-${String(20 + i).padStart(2, '0')}T10:00:00Z`, provider: 'aws', service: 's3.amazonaws.com', action: 'GetObject', outcome: 'success',
      actorId: ID.owned, chain: { credentialId: ID.key }, sourceIp: `198.51.${100 + i}.7`, sourceKind: 'ipv4', userAgent: 'Boto3/1.35', detail: { readOnly: true },
    }));
  }
  // NHI4 + NHI10: a service user signs in to the console without MFA.
  r.push(rec.event({
    id: 'aws:ct:console', time: AS_OF, provider: 'aws', service: 'signin.amazonaws.com', action: 'ConsoleLogin', outcome: 'success', actorId: ID.console,
    chain: { mfa: false }, sourceIp: '192.0.2.7', sourceKind: 'ipv4', userAgent: 'Mozilla/5.0 (Macintosh) Chrome/122.0',
  }));
  // NHI8: a dev role observed assuming a prod role.
  r.push(rec.edge({ from: ID.devApp, to: ID.prodDb, kind: 'assumed', potential: false, observed: true, count: 3, firstSeen: '2025-05-01T00:00:00Z', lastSeen: '2025-05-02T00:00:00Z' }));
  // DETECTION, BEHAVIOUR: a rule alert and a baseline alert.
  r.push(rec.alert({ id: 'rule:aws.console.machine-identity-login:aws:ct:console', time: AS_OF, source: 'copilot:rules', severity: 'high', title: 'login', identities: [ID.console] }));
  r.push(rec.alert({ id: `baseline:new_network:2025-05-31T10:${ID.orphan}`, time: '2025-05-31T10:05:00Z', source: 'copilot:baseline', severity: 'medium', title: 'b', identities: [ID.orphan], detail: { kind: 'new_network' } }));
  // BLAST: svc-hop can assume the vendor role (admin) and reaches a restricted bucket.
  r.push(rec.edge({ from: ID.hop, to: ID.vendor, kind: 'can_assume' }));
  r.push(rec.resource({ id: 'arn:aws:s3:::customer-pii', provider: 'aws', type: 's3:bucket', name: 'customer-pii', account: A, classification: 'restricted' }));
  r.push(rec.edge({ from: ID.hop, to: 'arn:aws:s3:::customer-pii', kind: 'can_access', potential: false, observed: true, count: 1 }));
  return r;
}

const codes = (r: RiskResult, id: string) => r.identities.find((i) => i.id === id)?.factors.map((f) => f.code).sort() ?? [];
const factor = (r: RiskResult, id: string, code: string) => r.identities.find((i) => i.id === id)?.factors.find((f) => f.code === code);

describeStores('risk scoring on a store', (open) => {
  let db: Db;
  let all: RiskResult;
  beforeAll(async () => {
    db = await open();
    await seed(db, estate());
    await resolveOwnership(db);
    const s = await scoreAll(db, { privesc: null });
    expect(s.asOf).toBe(AS_OF);
    expect(s.privescSource).toBe('entitlements');
    // Every signal the queries produced has a weight in defaults.yaml (a typo would silently weigh nothing).
    const weights = riskSettings().weights;
    expect(Object.keys(s.signals).filter((k) => !(k in weights))).toEqual([]);
    expect(Object.keys(s.signals).length).toBeGreaterThanOrEqual(20);
    all = RiskResult.parse(await riskOf(db, { top: 100 }));
  });
  afterAll(async () => {
    await db?.close();
  });

  it('finds each weakness on the identity built for it, with the OWASP code, title and evidence', () => {
    expect(codes(all, ID.orphan)).toEqual(['BEHAVIOUR', 'NHI1']);
    expect(factor(all, ID.orphan, 'NHI1')).toMatchObject({ title: OWASP_NHI_TITLES.NHI1, weight: 25, detail: 'no accountable owner' });
    expect(factor(all, ID.leaver, 'NHI1')).toMatchObject({ weight: 45, evidence: ['hr:employee:200'], detail: 'owner bob is terminated' });
    expect(factor(all, ID.stale, 'NHI1')?.detail).toBe('enabled but last used 2024-10-01');
    expect(factor(all, ID.vendor, 'NHI3')).toMatchObject({ weight: 60, evidence: ['arn:aws:iam::999988887777:root'] });
    expect(factor(all, ID.vendor, 'NHI5')).toMatchObject({ weight: 50, evidence: ['arn:aws:iam::aws:policy/AdministratorAccess'] });
    expect(factor(all, ID.ghWild, 'NHI6')).toMatchObject({ weight: 30, evidence: [OIDC] });
    expect(factor(all, ID.ghWild, 'NHI6')?.detail).toContain('"repo:acme/*"');
    expect(factor(all, ID.ghNoSub, 'NHI6')).toMatchObject({ weight: 45 });
    expect(factor(all, ID.open, 'NHI6')).toMatchObject({ weight: 60, evidence: ['aws:principal:*'] });
    expect(factor(all, ID.console, 'NHI4')).toMatchObject({ weight: 35 });
    expect(factor(all, ID.console, 'NHI10')).toMatchObject({ weight: 50, evidence: ['aws:ct:console'] });
    expect(factor(all, ID.console, 'DETECTION')).toMatchObject({ weight: 45, evidence: ['rule:aws.console.machine-identity-login:aws:ct:console'] });
    // The key: leaked (NHI2), 517 days old (NHI7, more than 4 x 90), used from six networks (NHI9), held by a fully autonomous agent.
    expect(codes(all, ID.key)).toEqual(['AUTONOMY', 'NHI2', 'NHI7', 'NHI9']);
    expect(factor(all, ID.key, 'NHI2')).toMatchObject({ weight: 70, evidence: ['github-secret-scanning:acme/app/7'] });
    expect(factor(all, ID.key, 'NHI7')).toMatchObject({ weight: 35 });
    expect(factor(all, ID.key, 'NHI9')?.detail).toBe('used from 6 networks by 1 kinds of client');
    expect(factor(all, ID.key, 'AUTONOMY')).toMatchObject({ weight: 30, evidence: [ID.agent] });
    // Its holder inherits the leak, the age and the reuse; it was granted writes on six services and only read.
    expect(codes(all, ID.owned)).toEqual(['NHI2', 'NHI5', 'NHI7', 'NHI9']);
    expect(factor(all, ID.owned, 'NHI5')?.detail).toBe('granted write, used only reads in 6 calls');
    expect(factor(all, ID.devApp, 'NHI8')).toMatchObject({ weight: 45, evidence: [ID.prodDb] });
    expect(factor(all, ID.prodDb, 'NHI8')).toMatchObject({ weight: 45, evidence: [ID.devApp] });
    // Two BLAST signals of 30: the factor keeps one weight, the evidence of the first, the details of both.
    expect(factor(all, ID.hop, 'BLAST')).toMatchObject({ weight: 30, evidence: [ID.vendor] });
    expect(factor(all, ID.hop, 'BLAST')?.detail).toBe('can act as 1 identity(ies) holding admin rights; reaches 1 sensitive resource(s) (restricted)');
    expect(factor(all, ID.agent, 'AUTONOMY')).toMatchObject({ weight: 30 });
    // People and the owned, quiet identities carry nothing.
    expect(codes(all, ID.alice)).toEqual([]);
    expect(all.identities.find((i) => i.id === 'hr:employee:100')).toBeUndefined();
  });

  it('scores each identity as 100 x (1 - prod(1 - w/100)) of its factors, highest first', () => {
    for (const i of all.identities) expect(i.score, i.id).toBe(combine(i.factors.map((f) => f.weight)));
    expect(all.identities.find((i) => i.id === ID.key)!.score).toBe(combine([70, 35, 30, 30]));
    const scores = all.identities.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(all.identities[0].id).toBe(ID.key);
  });

  it('agrees with posture() on which machine identities are orphaned', async () => {
    const p = await posture(db);
    const orphans = all.identities.filter((i) => i.factors.some((f) => f.code === 'NHI1' && /owner/.test(f.detail))).map((i) => i.id).sort();
    expect(orphans).toEqual(p.orphaned.map((o) => o.id).sort());
    expect(orphans).toEqual(expect.arrayContaining([ID.orphan, ID.leaver]));
  });

  it('keeps first_seen across re-scores, moves last_seen to the data time, and drops what no longer holds', async () => {
    await db.query(`INSERT INTO events (id, time, provider, action, actor_id) VALUES ('aws:ct:later', '2025-06-10T00:00:00Z', 'aws', 'ListUsers', $1)`, [ID.alice]);
    await db.query(`UPDATE edges SET conditions = '{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:acme/app:ref:refs/heads/main"}}' WHERE to_id = $1`, [ID.ghWild]);
    const s = await scoreAll(db, { privesc: null });
    expect(s.asOf).toBe('2025-06-10T00:00:00.000Z');
    // Unchanged: first and last seen stay (last_seen is the data time of the last change). Changed: last_seen moves.
    const [f] = await db.query(`SELECT first_seen, last_seen FROM findings WHERE identity_id = $1 AND code = 'NHI1'`, [ID.orphan]);
    expect([new Date(f.first_seen).toISOString(), new Date(f.last_seen).toISOString()]).toEqual([AS_OF, AS_OF]);
    // The console login is now 9 days old but still within lookbackDays: its NHI10 finding holds, unchanged.
    const [g] = await db.query(`SELECT first_seen FROM findings WHERE identity_id = $1 AND code = 'NHI10'`, [ID.console]);
    expect(new Date(g.first_seen).toISOString()).toBe(AS_OF);
    expect(await db.query(`SELECT * FROM findings WHERE identity_id = $1`, [ID.ghWild])).toEqual([]);
    const snaps = await db.query(`SELECT day::text AS day, identities, scored, factors FROM posture_snapshots ORDER BY day`);
    expect(snaps.map((x) => x.day)).toEqual(['2025-06-01', '2025-06-10']);
    expect(snaps[1].factors).toMatchObject({ NHI1: expect.any(Number), NHI2: 2, NHI6: 2, NHI8: 2, NHI10: 1 });
    const p = await riskPosture(db);
    expect(p.trend.map((t) => t.day)).toEqual(['2025-06-01', '2025-06-10']);
    expect(p).toMatchObject({ longLived: 2, overprivileged: 1, asOf: '2025-06-10T00:00:00.000Z' });
  });

  it('weighs factors as idcopilot.yaml says: a code, one signal, or off', async () => {
    const cfg = Config.parse({ risk: { weights: { NHI2: 10, 'NHI7.very_long_lived': 5, AUTONOMY: 0 } } });
    await scoreAll(db, { config: cfg, privesc: null });
    const r = await riskOf(db, { ids: [ID.key] });
    expect(r.identities[0].factors.map((f) => [f.code, f.weight])).toEqual([['NHI9', 30], ['NHI2', 10], ['NHI7', 5]]);
    expect(() => riskSettings(Config.parse({ risk: { weights: { NHI11: 5 } } }).risk)).toThrowError(/risk\.weights\.NHI11: no such factor code/);
    expect(() => riskSettings(Config.parse({ risk: { thresholds: { keyAge: 5 } } }).risk)).toThrowError(/risk\.thresholds\.keyAge: unknown threshold/);
    await scoreAll(db, { privesc: null });
  });

  it('computes the same score in SQL as combine() does, for any weights', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }), async (ws) => {
      await db.query(`DELETE FROM findings WHERE identity_id = $1`, [ID.alice]);
      for (const [i, w] of ws.entries()) {
        await db.query(`INSERT INTO findings (identity_id, code, title, severity, weight, first_seen, last_seen) VALUES ($1, $2, 't', 'low', $3, now(), now())`, [ID.alice, `X${i}`, w]);
      }
      const [r] = await db.query(`SELECT ${scoreSql('weight')} AS score FROM findings WHERE identity_id = $1`, [ID.alice]);
      expect(r.score).toBe(combine(ws));
    }), { numRuns: 25 });
    await db.query(`DELETE FROM findings WHERE identity_id = $1`, [ID.alice]);
  });
});
