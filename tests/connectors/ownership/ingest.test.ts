import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connector as cloudtrail } from '../../../src/connectors/aws-cloudtrail/index.js';
import { connector as hrRoster } from '../../../src/connectors/hr-roster/index.js';
import { connector as ownershipMap } from '../../../src/connectors/ownership-map/index.js';
import { ConnectorRegistry } from '../../../src/connectors/registry.js';
import { ownersOf, resolveOwnership } from '../../../src/engines/ownership.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { DELIVERED, EVENTBRIDGE, OWNERSHIP_FIXTURES } from '../cloudtrail/helpers.js';

/**
 * Roster + ownership maps + CloudTrail through auto-detection into a store, then the ownership engine:
 * the claims these connectors emit must resolve to the people and teams the roster defines.
 */
const registry = new ConnectorRegistry([cloudtrail, hrRoster, ownershipMap]);
const FILES = [join(OWNERSHIP_FIXTURES, 'hr-roster.csv'), join(OWNERSHIP_FIXTURES, 'ownership-map.csv'), join(OWNERSHIP_FIXTURES, 'ownership-map.yaml'), DELIVERED, EVENTBRIDGE];
const A = '111122223333';
const P = '444455556666';
const byJson = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);

describeStores('ownership connectors end to end', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('detects each file\'s format and loads it', async () => {
    const r = await ingestPaths(db, FILES, { registry, now: new Date('2024-05-10T00:00:00Z') });
    expect(r.files.map((f) => [f.format, f.records, f.loaded, f.rejected, f.error])).toEqual([
      ['hr-roster', 8, 5, 3, null],
      ['ownership-map', 6, 4, 2, null],
      ['ownership-map', 6, 4, 2, null],
      ['aws-cloudtrail', 10, 10, 0, null],
      ['aws-cloudtrail', 1, 1, 0, null],
    ]);
    const teams = await db.query<{ id: string }>("SELECT id FROM identities WHERE kind = 'group' AND provider = 'hr'");
    expect(teams.map((t) => t.id).sort()).toEqual(['hr:team:engineering', 'hr:team:payments-core', 'hr:team:platform']);
  });

  it('claims resolve to roster people and teams, by email, employee id, username, identity and pattern', async () => {
    await resolveOwnership(db);
    const owns = await db.query("SELECT from_id, to_id, attributes->>'source' AS source FROM edges WHERE kind = 'owns'");
    expect(owns.map((e) => [e.from_id, e.to_id, e.source]).sort(byJson)).toEqual([
      [`arn:aws:iam::${P}:role/prod-admin`, `arn:aws:iam::${P}:user/backdoor`, 'creator'],
      [`arn:aws:iam::${P}:role/prod-admin`, 'aws:access-key:AKIAI44QH8DHBEXAMPLE', 'creator'],
      ['hr:employee:E1001', `arn:aws:iam::${A}:role/ci/deployer`, 'ownership-map'],
      ['hr:employee:E1001', `arn:aws:iam::${A}:role/fn-exec`, 'ownership-map'],
      ['hr:employee:E1002', `arn:aws:iam::${A}:role/fn-exec`, 'ownership-map'],
      ['hr:employee:E1002', `arn:aws:iam::${P}:user/backdoor`, 'ownership-map'],
      ['hr:employee:E1003', `arn:aws:iam::${A}:role/gha-deploy`, 'ownership-map'],
      ['hr:employee:E1003', `arn:aws:iam::${P}:role/prod-admin`, 'ownership-map'],
      ['hr:team:payments-core', `arn:aws:iam::${P}:role/prod-admin`, 'ownership-map'],
      ['hr:team:payments-core', 'aws:web-identity:token.actions.githubusercontent.com/repo:acme/payments:ref:refs/heads/main', 'ownership-map'],
      ['hr:team:platform', `arn:aws:iam::${A}:role/ci/deployer`, 'ownership-map'],
      ['hr:team:security', 'aws:access-key:AKIAI44QH8DHBEXAMPLE', 'ownership-map'],
      ['hr:team:security', 'aws:access-key:AKIAIOSFODNN7EXAMPLE', 'ownership-map'],
    ]);
  });

  it('the backdoor user\'s accountable owner is the map\'s person, who has left', async () => {
    const owners = await ownersOf(db, [`arn:aws:iam::${P}:user/backdoor`, `arn:aws:iam::${P}:role/prod-admin`]);
    expect(owners.get(`arn:aws:iam::${P}:user/backdoor`)).toMatchObject({ ownerId: 'hr:employee:E1002', ownerStatus: 'terminated', source: 'ownership-map', confidence: expect.closeTo(0.95, 5) });
    expect(owners.get(`arn:aws:iam::${P}:role/prod-admin`)).toMatchObject({ ownerId: 'hr:employee:E1003', ownerStatus: 'terminated' });
  });

  it('re-ingesting changes nothing', async () => {
    const snapshot = async () => ({
      identities: await db.query('SELECT * FROM identities ORDER BY id'),
      edges: await db.query("SELECT * FROM edges WHERE kind <> 'owns' ORDER BY from_id, kind, to_id"),
      claims: await db.query('SELECT * FROM owner_claims ORDER BY target, ref, ref_type, role, source'),
    });
    const before = await snapshot();
    await ingestPaths(db, FILES, { registry, now: new Date('2024-05-10T00:00:00Z') });
    expect(await snapshot()).toEqual(before);
  });
});
