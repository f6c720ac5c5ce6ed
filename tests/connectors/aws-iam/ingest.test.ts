import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connector as authz } from '../../../src/connectors/aws-iam-authz/index.js';
import { connector as credentialReport } from '../../../src/connectors/aws-credential-report/index.js';
import { connector as resourceTags } from '../../../src/connectors/aws-resource-tags/index.js';
import { ConnectorRegistry } from '../../../src/connectors/registry.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { FIXTURES } from './helpers.js';

// Only this area's connectors, found by auto-detection, so the test does not depend on others' work in progress.
const registry = new ConnectorRegistry([authz, credentialReport, resourceTags]);
const A = 'arn:aws:iam::111122223333';
const files = {
  report: join(FIXTURES, 'credential-report.csv'),
  authz: join(FIXTURES, 'authz-details.json'),
  tags: join(FIXTURES, 'resource-tags.json'),
};
const dir = mkdtempSync(join(tmpdir(), 'idc-aws-iam-'));
const truncated = join(dir, 'authz-truncated.json');
writeFileSync(truncated, JSON.stringify({ UserDetailList: [{ UserName: 'mallory', Arn: `${A}:user/mallory`, CreateDate: '2024-01-01T00:00:00Z' }], RoleDetailList: [] }, null, 2).slice(0, -30));

const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());

describeStores('aws-iam connectors end to end', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('detects each file, loads the good records and counts the rejects', async () => {
    // The credential report first: the authorization details, an inventory, must win where both speak.
    const r = await ingestPaths(db, [files.report, files.authz, files.tags], { registry });
    expect(r.files.map((f) => [f.format, f.records, f.loaded, f.rejected, f.error])).toEqual([
      ['aws-credential-report', 8, 5, 3, null],
      ['aws-iam-authz', 11, 9, 2, null],
      ['aws-resource-tags', 9, 7, 2, null],
    ]);
  });

  it('merges the two views of a user: inventory facts win, the report adds sign-in facts and the latest use', async () => {
    const [ci] = await db.query('SELECT * FROM identities WHERE id = $1', [`${A}:user/automation/ci-deployer`]);
    expect(ci).toMatchObject({ kind: 'service_account', origin: 'inventory', environment: 'prod', account: '111122223333' });
    expect(ci.attributes).toMatchObject({ kindSource: 'tag:identity-type', passwordEnabled: false, mfaActive: false, groupsNotInFile: ['legacy-admins'] });
    expect(iso(ci.last_seen_at)).toBe('2024-05-31T23:10:00.000Z');
    const [bob] = await db.query('SELECT kind, origin FROM identities WHERE id = $1', [`${A}:user/bob.jones`]);
    expect(bob).toEqual({ kind: 'service_account', origin: 'derived' });
  });

  it('stores trust edges with conditions, memberships, credentials and entitlements', async () => {
    const trust = await db.query("SELECT from_id, conditions, attributes FROM edges WHERE kind = 'can_assume' AND to_id = $1 ORDER BY from_id", [`${A}:role/deploy/prod-deployer`]);
    expect(trust.map((e) => e.from_id)).toEqual([
      `${A}:oidc-provider/token.actions.githubusercontent.com`, `${A}:user/automation/ci-deployer`, 'arn:aws:iam::444455556666:root',
    ]);
    expect(trust[2]).toMatchObject({ conditions: { StringEquals: { 'sts:ExternalId': 'deploy-7f3a' } }, attributes: { crossAccount: true } });
    const [{ n: members }] = await db.query("SELECT count(*)::int AS n FROM edges WHERE kind = 'member_of'");
    expect(members).toBe(3);
    const keys = await db.query("SELECT id, status FROM credentials WHERE identity_id = $1 ORDER BY id", [`${A}:user/automation/ci-deployer`]);
    expect(keys).toEqual([
      { id: `aws:key-slot:${A}:user/automation/ci-deployer#1`, status: 'active' },
      { id: `aws:key-slot:${A}:user/automation/ci-deployer#2`, status: 'inactive' },
    ]);
    const alice = await db.query('SELECT source_policy, via, via_id, privilege, effect FROM entitlements WHERE identity_id = $1 ORDER BY source_policy, effect', [`${A}:user/alice.smith`]);
    expect(alice).toEqual([
      { source_policy: 'arn:aws:iam::aws:policy/ReadOnlyAccess', via: 'group', via_id: `${A}:group/developers`, privilege: 'credential', effect: 'Allow' },
      { source_policy: `inline:${A}:group/developers:assume-deploy`, via: 'group', via_id: `${A}:group/developers`, privilege: 'credential', effect: 'Allow' },
      { source_policy: `inline:${A}:group/developers:assume-deploy`, via: 'group', via_id: `${A}:group/developers`, privilege: 'privesc', effect: 'Deny' },
    ]);
    const [admin] = await db.query("SELECT count(*)::int AS n FROM entitlements WHERE privilege = 'admin'");
    expect(admin.n).toBe(2); // the SSO administrator role and the NotAction role
    const [policy] = await db.query("SELECT kind, attributes FROM policies WHERE id = 'arn:aws:iam::aws:policy/ReadOnlyAccess'");
    expect(policy).toMatchObject({ kind: 'managed', attributes: { documentSource: 'builtin', abridged: true } });
  });

  it('stores resources with classification and owner claims from tags', async () => {
    const rows = await db.query("SELECT id, classification, environment FROM resources WHERE classification = 'restricted' ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual([
      'arn:aws:dynamodb:eu-west-1:111122223333:table/sessions-dev', 'arn:aws:s3:::example-customer-exports',
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:deploy/github-token-AbCdEf',
    ]);
    const claims = await db.query('SELECT target, ref, ref_type, role FROM owner_claims ORDER BY target, ref');
    expect(claims).toContainEqual({ target: `${A}:role/deploy/prod-deployer`, ref: 'bob.jones', ref_type: 'username', role: 'owner' });
    expect(claims).toHaveLength(5);
  });

  it('is idempotent, and a truncated export changes nothing and names the file and line', async () => {
    const snapshot = async () => ({
      identities: await db.query('SELECT * FROM identities ORDER BY id'),
      edges: await db.query('SELECT * FROM edges ORDER BY from_id, kind, to_id'),
      entitlements: await db.query('SELECT * FROM entitlements ORDER BY id'),
      credentials: await db.query('SELECT * FROM credentials ORDER BY id'),
    });
    const before = await snapshot();
    const r = await ingestPaths(db, [files.report, files.authz, files.tags, truncated], { registry });
    expect(r.files[3].error).toMatch(new RegExp(`authz-truncated\\.json:${readFileSync(truncated, 'utf8').split('\n').length}: unexpected end of file`));
    expect(await snapshot()).toEqual(before);
    expect(await db.query('SELECT id FROM identities WHERE id = $1', [`${A}:user/mallory`])).toEqual([]);
  });
});
