import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connector as ic } from '../../../src/connectors/aws-identity-center/index.js';
import { deriveAfterIngest } from '../../../src/engines/derive.js';
import { trace } from '../../../src/engines/delegation/index.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { describeStores } from '../../helpers/stores.js';
import { expectValid, fixture, fuzzParser, parseFile } from '../agents/helpers.js';

const IC = (f: string) => fixture('identity-center', f);
const BOB_IC = 'aws:identity-center-user:9067a1b2c3-11111111-2222-3333-4444-555555555555';
const ALICE_IC = 'aws:identity-center-user:9067a1b2c3-66666666-7777-8888-9999-000000000000';
const GROUP = 'aws:identity-center-group:9067a1b2c3-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const PS = 'arn:aws:sso:::permissionSet/ssoins-7223000000000001/ps-0a1b2c3d4e5f6071';
const ROLE = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_0123456789abcdef';
const edgesOf = (p: Awaited<ReturnType<typeof parseFile>>) => p.of('edge').map((e) => `${e.from} ${e.kind} ${e.to}`).sort();

describe('aws-identity-center', () => {
  it('list-users: people with their emails, user names and SCIM external ids', async () => {
    const p = await parseFile(ic, IC('list-users.json'));
    expectValid(p);
    expect(p.of('identity').map((i) => [i.id, i.kind, i.name, i.email])).toEqual([
      [BOB_IC, 'human', 'Bob Nguyen', 'bob.nguyen@example.com'],
      [ALICE_IC, 'human', 'Alice Martin', 'alice.martin@example.com'],
    ]);
    expect(p.of('identity')[0].attributes).toMatchObject({ userName: 'bob.nguyen@example.com', identityStoreId: 'd-9067000001', externalIds: [{ issuer: 'https://scim.aws.com/abcd1234', id: '00u1bobexternal' }] });
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing UserId']);
  });

  it('groups and memberships', async () => {
    const groups = await parseFile(ic, IC('list-groups.json'));
    expect(groups.of('identity')).toEqual([expect.objectContaining({ id: GROUP, kind: 'group', name: 'release-engineers' })]);
    const members = await parseFile(ic, IC('list-group-memberships.json'));
    expect(edgesOf(members)).toEqual([`${BOB_IC} member_of ${GROUP}`]);
    expect(members.rejects.map((r) => r.reject)).toEqual(['missing MemberId.UserId']);
  });

  it('permission sets: described ones become resources; a bare list is acknowledged and adds nothing', async () => {
    const described = await parseFile(ic, IC('describe-permission-set.json'));
    expect(described.of('resource')).toEqual([expect.objectContaining({ id: PS, type: 'sso:permission-set', name: 'ReadOnly', attributes: expect.objectContaining({ sessionDuration: 'PT8H' }) })]);
    const listed = await parseFile(ic, IC('list-permission-sets.json'));
    expect(listed.items.map((i) => [i.index, i.records])).toEqual([[0, []], [1, []]]);
  });

  it('assignments: can_assume from the user or group to the permission set provisioned in each account', async () => {
    const p = await parseFile(ic, IC('list-account-assignments.json'));
    expectValid(p);
    expect(edgesOf(p)).toEqual([
      `${GROUP} can_assume aws:sso-role:111122223333/ps-0a1b2c3d4e5f6071`,
      `${ALICE_IC} can_assume aws:sso-role:444455556666/ps-0a1b2c3d4e5f6071`,
    ]);
    expect(p.of('identity')[0]).toMatchObject({ kind: 'role', account: '111122223333', origin: 'derived', attributes: { provisionedPermissionSet: true, permissionSetArn: PS } });
    expect(p.rejects.map((r) => r.reject)).toEqual(['bad AccountId "1111" (expected 12 digits)', 'bad PrincipalType "ROBOT" (expected USER or GROUP)']);
  });

  it('fuzz', async () => {
    await fuzzParser(ic, 'users.json', readFileSync(IC('list-users.json'), 'utf8'));
    await fuzzParser(ic, 'assignments.json', readFileSync(IC('list-account-assignments.json'), 'utf8'));
  });

  describe.skipIf(!hasDatasets)(`Cartography Identity Center fixture (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
    it('a bundle with its reserved roles: assignments point at the roles themselves', async () => {
      const p = await parseFile(ic, dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'aws', 'identitycenter.json'));
      expectValid(p);
      expect(p.rejects).toEqual([]);
      const user = 'aws:identity-center-user:aaaaaaaa-a0d1-aaac-5af0-59c813ec7671';
      expect(edgesOf(p)).toEqual([
        `${user} can_assume arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_a1b2c3d4e5f6g7h8`,
        `${user} can_assume arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_i9j0k1l2m3n4o5p6`,
      ]);
      expect(p.of('identity').find((i) => i.id === user)).toMatchObject({ email: 'test.user1@example.com', attributes: expect.objectContaining({ externalIds: [{ issuer: 'https://scim.aws.com/1223122', id: '00aaaaabbbbb' }] }) });
      expect(p.of('resource').map((r) => r.type).sort()).toEqual(['sso:instance', 'sso:permission-set']);
      expect(p.of('identity').filter((i) => i.kind === 'role')).toHaveLength(5);
    });
  });
});

describeStores('Identity Center end to end: assignments -> reserved roles, role sessions -> the person', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    const r = await ingestPaths(db, [
      IC('list-users.json'), IC('list-groups.json'), IC('list-group-memberships.json'), IC('describe-permission-set.json'), IC('list-permission-sets.json'),
      IC('list-account-assignments.json'), IC('cloudtrail-sso-session.json'), fixture('agents', 'hr-roster.csv'),
    ]);
    expect(r.totals).toMatchObject({ files: 8, failed: 0 });
    expect(r.files.map((f) => f.format)).toEqual([...Array(6).fill('aws-identity-center'), 'aws-cloudtrail', 'hr-roster']);
    await deriveAfterIngest(db);
  });
  afterAll(async () => db?.close());

  it('the group\'s assignment reaches the AWSReservedSSO_ReadOnly role CloudTrail shows; the session is Bob\'s', async () => {
    const rows = await db.query(`SELECT from_id, kind, to_id, observed, count, attributes->>'rule' AS rule FROM edges WHERE to_id = $1 AND kind IN ('can_assume', 'assumed') ORDER BY kind`, [ROLE]);
    expect(rows).toEqual([
      { from_id: BOB_IC, kind: 'assumed', to_id: ROLE, observed: true, count: 2, rule: 'sso-session' },
      { from_id: GROUP, kind: 'can_assume', to_id: ROLE, observed: false, count: 0, rule: 'sso-permission-set' },
    ]);
    // Alice's assignment is to an account whose role is not known yet: it stays on the provisioned permission set.
    expect(await db.query(`SELECT to_id FROM edges WHERE from_id = $1 AND kind = 'can_assume'`, [ALICE_IC])).toEqual([{ to_id: 'aws:sso-role:444455556666/ps-0a1b2c3d4e5f6071' }]);
  });

  it('the Identity Center users are the HR people (email), and trace leads from the role back to Bob', async () => {
    const same = await db.query(`SELECT from_id, to_id FROM edges WHERE kind = 'same_as' ORDER BY from_id`);
    expect(same).toEqual([
      { from_id: BOB_IC, to_id: 'hr:employee:E200' },
      { from_id: ALICE_IC, to_id: 'hr:employee:E100' },
    ].sort((a, b) => a.from_id.localeCompare(b.from_id)));
    const t = await trace(db, ROLE, { direction: 'up' });
    const chains = t.upstream.map((p) => p.hops.map((h) => `${h.from} -${h.edge}-> ${h.to}`));
    expect(chains).toContainEqual([`hr:employee:E200 -same_as-> ${BOB_IC}`, `${BOB_IC} -assumed-> ${ROLE}`]);
    expect(t.roots[0]).toMatchObject({ id: 'hr:employee:E200', kind: 'human' });
  });
});
