import { afterAll, beforeAll, expect, it } from 'vitest';
import { connector as cloudtrail } from '../../../src/connectors/aws-cloudtrail/index.js';
import { ConnectorRegistry } from '../../../src/connectors/registry.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { DELIVERED, EVENTBRIDGE, LAKE, SIEM } from './helpers.js';

const A = '111122223333';
const P = '444455556666';
const ALICE = `arn:aws:iam::${A}:user/alice`;
const DEPLOYER = `arn:aws:iam::${A}:role/ci/deployer`;
const PROD_ADMIN = `arn:aws:iam::${P}:role/prod-admin`;
const GHA = 'aws:web-identity:token.actions.githubusercontent.com/repo:acme/payments:ref:refs/heads/main';
const registry = new ConnectorRegistry([cloudtrail]);
const FILES = [DELIVERED, EVENTBRIDGE, SIEM, LAKE];
const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());

describeStores('aws-cloudtrail end to end', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('loads the four shapes, with the SIEM file\'s three bad records rejected', async () => {
    const rejects: string[] = [];
    const r = await ingestPaths(db, FILES, { registry, onReject: (x) => rejects.push(`${x.index}:${x.line}:${x.reason}`) });
    expect(r.files.map((f) => [f.format, f.records, f.loaded, f.rejected, f.error])).toEqual([
      ['aws-cloudtrail', 10, 10, 0, null],
      ['aws-cloudtrail', 1, 1, 0, null],
      ['aws-cloudtrail', 9, 6, 3, null],
      ['aws-cloudtrail', 2, 2, 0, null],
    ]);
    expect(rejects).toEqual([expect.stringMatching(/^4:4:not valid JSON/), '5:5:missing eventName', '8:8:eventTime: "yesterday" is not a timestamp (expected ISO-8601)']);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    expect(n).toBe(19);
  });

  it('aggregates observed assumed hops: counts, first and last seen, role chaining', async () => {
    const rows = await db.query("SELECT from_id, to_id, potential, observed, count, first_seen, last_seen FROM edges WHERE kind = 'assumed' ORDER BY from_id, to_id");
    // Sorted here, not in SQL: collations differ between PGlite and a server.
    expect(rows.map((e) => [e.from_id, e.to_id, e.potential, e.observed, e.count, iso(e.first_seen), iso(e.last_seen)]).sort(byJson)).toEqual([
      [DEPLOYER, PROD_ADMIN, false, true, 1, '2024-05-01T10:01:00.000Z', '2024-05-01T10:01:00.000Z'],
      [ALICE, DEPLOYER, false, true, 3, '2024-05-01T10:00:00.000Z', '2024-05-04T12:00:00.000Z'],
      ['aws:service:lambda.amazonaws.com', `arn:aws:iam::${A}:role/fn-exec`, false, true, 1, '2024-05-01T10:40:00.000Z', '2024-05-01T10:40:00.000Z'],
      [GHA, `arn:aws:iam::${A}:role/gha-deploy`, false, true, 1, '2024-05-02T08:00:00.000Z', '2024-05-02T08:00:00.000Z'],
    ]);
  });

  it('stores reach, creation and key ownership as edges', async () => {
    const rows = await db.query("SELECT kind, from_id, to_id, count FROM edges WHERE kind IN ('can_access', 'created', 'owns_credential') ORDER BY kind, from_id, to_id");
    expect(rows.map((e) => [e.kind, e.from_id, e.to_id, e.count]).sort(byJson)).toEqual([
      ['can_access', DEPLOYER, 'arn:aws:kms:us-east-1:111122223333:alias/artifacts', 1],
      ['can_access', DEPLOYER, 'arn:aws:s3:::build-artifacts', 1],
      ['can_access', PROD_ADMIN, 'arn:aws:s3:::customer-data', 1],
      ['can_access', PROD_ADMIN, `arn:aws:secretsmanager:us-east-1:${P}:secret:db-prod-AbCdEf`, 1],
      ['can_access', 'aws:principal:*', 'arn:aws:s3:::public-assets', 1],
      ['created', PROD_ADMIN, `arn:aws:iam::${P}:user/backdoor`, 1],
      ['created', PROD_ADMIN, 'aws:access-key:AKIAI44QH8DHBEXAMPLE', 1],
      ['owns_credential', ALICE, 'aws:access-key:AKIAIOSFODNN7EXAMPLE', 0],
      ['owns_credential', `arn:aws:iam::${P}:user/backdoor`, 'aws:access-key:AKIAI44QH8DHBEXAMPLE', 0],
    ]);
  });

  it('merges what each event says about a session key and an identity', async () => {
    const [key] = await db.query("SELECT * FROM credentials WHERE id = 'aws:session-key:ASIAQNZGKEXAMPLEA001'");
    expect(key).toMatchObject({ identity_id: DEPLOYER, type: 'session_key', origin: 'log' });
    expect([iso(key.created_at), iso(key.last_used_at), iso(key.expires_at)]).toEqual(['2024-05-01T10:00:00.000Z', '2024-05-01T10:31:00.000Z', '2024-05-01T11:00:00.000Z']);
    expect(key.attributes).toEqual({ issuedBy: 'aws:ct:c0ffee00-0000-4000-8000-000000000001', issuedTo: ALICE, session: `arn:aws:sts::${A}:assumed-role/deployer/alice-session`, sourceIdentity: 'alice@example.com' });
    const [alice] = await db.query('SELECT * FROM identities WHERE id = $1', [ALICE]);
    expect(alice).toMatchObject({ kind: 'service_account', provider: 'aws', account: A, origin: 'log' });
    expect(iso(alice.last_seen_at)).toBe('2024-05-04T12:00:00.000Z');
    const [chain] = await db.query("SELECT actor_id, chain, target FROM events WHERE id = 'aws:ct:c0ffee00-0000-4000-8000-000000000003'");
    expect(chain).toMatchObject({ actor_id: PROD_ADMIN, target: 'arn:aws:s3:::customer-data/exports/q1.csv' });
    expect(chain.chain).toMatchObject({ sessionIssuer: PROD_ADMIN, sourceIdentity: 'alice@example.com', credentialId: 'aws:session-key:ASIAQNZGKEXAMPLEB001' });
    const claims = await db.query('SELECT target, ref, source, confidence FROM owner_claims');
    expect(claims.sort(byJson)).toEqual([
      { target: `arn:aws:iam::${P}:user/backdoor`, ref: PROD_ADMIN, source: 'creator', confidence: 0.5 },
      { target: 'aws:access-key:AKIAI44QH8DHBEXAMPLE', ref: PROD_ADMIN, source: 'creator', confidence: 0.5 },
    ]);
  });

  it('re-ingesting the same files changes nothing', async () => {
    const snapshot = async () => ({
      edges: await db.query('SELECT * FROM edges ORDER BY from_id, kind, to_id'),
      identities: await db.query('SELECT * FROM identities ORDER BY id'),
      credentials: await db.query('SELECT * FROM credentials ORDER BY id'),
      events: await db.query('SELECT id, time, actor_id, chain, detail FROM events ORDER BY id'),
      claims: await db.query('SELECT * FROM owner_claims ORDER BY target, ref'),
    });
    const before = await snapshot();
    const r = await ingestPaths(db, FILES, { registry });
    expect(r.totals).toMatchObject({ records: 22, loaded: 19, rejected: 3, failed: 0 });
    expect(await snapshot()).toEqual(before);
  });
});
