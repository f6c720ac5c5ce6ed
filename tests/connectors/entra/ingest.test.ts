import { afterAll, beforeAll, expect, it } from 'vitest';
import { basename } from 'node:path';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { ENTRA_FIXTURES, OKTA_FIXTURES } from './collect.js';

describeStores('okta, entra and azure fixtures end to end', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('detects every file, loads the good records and reports the bad ones', async () => {
    const rejects: { path: string; index: number; reason: string }[] = [];
    const r = await ingestPaths(db, [OKTA_FIXTURES, ENTRA_FIXTURES], { onReject: (x) => rejects.push(x), now: new Date('2025-06-01T00:00:00Z') });
    const byFile = Object.fromEntries(r.files.map((f) => [basename(f.path), [f.format, f.loaded, f.rejected, f.error]]));
    expect(byFile).toEqual({
      'api-tokens.json': ['okta-inventory', 2, 1, null],
      'apps.json': ['okta-inventory', 3, 0, null],
      'grants.json': ['okta-inventory', 4, 1, null],
      'system-log.ndjson': ['okta-system-log', 6, 3, null],
      'users.json': expect.anything(),
      'activity-log.json': ['azure-activity-log', 3, 2, null],
      'app-role-assignments.json': ['entra-inventory', 3, 0, null],
      'applications.json': ['entra-inventory', 2, 1, null],
      'directory-audits.json': ['entra-audit-log', 3, 1, null],
      'federated-credentials.json': ['entra-inventory', 1, 0, null],
      'managed-identity-signins.ndjson': ['entra-signin-log', 1, 1, null],
      'oauth2-permission-grants.json': ['entra-inventory', 3, 1, null],
      'risk.json': ['entra-risk', 4, 0, null],
      'role-assignments.json': ['entra-inventory', 2, 0, null],
      'service-principals.json': ['entra-inventory', 5, 0, null],
      'signins.json': ['entra-signin-log', 5, 1, null],
    });
    expect(r.files.filter((f) => basename(f.path) === 'users.json').map((f) => [f.format, f.loaded, f.rejected])).toEqual([['okta-inventory', 3, 1], ['entra-inventory', 2, 0]]);
    expect(r.totals).toMatchObject({ failed: 0, skipped: 0, rejected: 13 });
    expect(rejects.find((x) => basename(x.path) === 'system-log.ndjson' && x.index === 8)?.reason).toBe('missing actor.id (it is "unknown")');
  });

  it('joins inventory and logs: the app credential used to sign in, the app observed running as its principal', async () => {
    const [runs] = await db.query("SELECT * FROM edges WHERE from_id = 'entra:app:11112222-3333-4444-5555-666677778888' AND kind = 'runs_as'");
    expect(runs).toMatchObject({ to_id: 'entra:sp:b1c34143-e405-4058-8e29-84596ad737b8', potential: true, observed: true, count: 1 });
    const [acts] = await db.query("SELECT * FROM edges WHERE kind = 'acts_for' AND from_id = 'entra:app:55554444-3333-2222-1111-000099998888'");
    expect(acts).toMatchObject({ to_id: 'entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d', potential: false, observed: true, count: 1 });
    const [cred] = await db.query("SELECT * FROM credentials WHERE id = 'entra:credential:2afc776a-4e79-4588-b2ad-f62c94d6bea8'");
    expect(cred).toMatchObject({ identity_id: 'entra:app:11112222-3333-4444-5555-666677778888', type: 'client_secret', origin: 'inventory' });
    const [signin] = await db.query("SELECT chain FROM events WHERE id = 'entra:signin:77ea54eb-6301-4ee5-be62-ff5a759b0200'");
    expect(signin.chain.credentialId).toBe(cred.id);
    // The inventory's facts win over the log's, and the latest activity is kept.
    const [dana] = await db.query("SELECT * FROM identities WHERE id = 'entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d'");
    expect(dana).toMatchObject({ origin: 'inventory', name: 'Dana Kim', status: 'active' });
    // Her last activity is the Activity Log call at 10:00, after the sign-ins.
    expect(new Date(dana.last_seen_at).toISOString()).toBe('2025-06-01T10:00:00.123Z');
    const [fed] = await db.query("SELECT * FROM edges WHERE kind = 'federates_to' AND to_id = 'entra:app:11112222-3333-4444-5555-666677778888'");
    expect(fed.from_id).toBe('oidc:token.actions.githubusercontent.com#repo:contoso/infra:environment:production');
    const okta = await db.query("SELECT from_id, kind, to_id, observed, potential FROM edges WHERE from_id LIKE 'okta:%' ORDER BY from_id, kind, to_id");
    expect(okta).toContainEqual({ from_id: 'okta:app:0oa1ciservice00001', kind: 'can_access', to_id: 'okta:org:acme.okta.com', observed: false, potential: true });
    expect(okta).toContainEqual({ from_id: 'okta:user:00u1alice0000000001', kind: 'can_access', to_id: 'okta:app:0oa1awssso00000002', observed: true, potential: false });
    const alerts = await db.query('SELECT id, source, severity FROM alerts ORDER BY id');
    expect(alerts.map((a) => a.id)).toEqual([
      'entra:risk:1d1d1d1d-0000-4000-8000-0000000000d1', 'entra:risk:6a5874ca-abcd-9d00-9d00-e1f1b1e1d1c1',
      'entra:risky-sp:b1c34143-e405-4058-8e29-84596ad737b8', 'entra:risky-sp:e5e5e5e5-0000-4000-8000-0000000000e5',
      'entra:signin-risk:99ea54eb-6301-4ee5-be62-ff5a759b0400', 'okta:11111111-aaaa-11ef-9000-000000000006',
    ]);
  });

  it('stores no secret from any fixture', async () => {
    const dump = JSON.stringify(await Promise.all(['identities', 'credentials', 'edges', 'events', 'alerts', 'resources', 'entitlements', 'policies'].map((t) => db.query(`SELECT * FROM ${t}`))));
    for (const secret of ['CIdeploySecret', 'should-never-be-kept', 'THIS-WOULD-BE-A-SECRET', 'P@ssw0rd-plain', 'hunter2-plain']) expect(dump).not.toContain(secret);
  });

  it('is idempotent: ingesting the same folders again changes nothing', async () => {
    const snapshot = async () => ({
      edges: await db.query('SELECT * FROM edges ORDER BY from_id, kind, to_id'),
      identities: await db.query('SELECT * FROM identities ORDER BY id'),
      events: await db.query('SELECT id FROM events ORDER BY id'),
      credentials: await db.query('SELECT * FROM credentials ORDER BY id'),
    });
    const before = await snapshot();
    await ingestPaths(db, [OKTA_FIXTURES, ENTRA_FIXTURES], { now: new Date('2025-06-01T00:00:00Z') });
    expect(await snapshot()).toEqual(before);
  });
});
