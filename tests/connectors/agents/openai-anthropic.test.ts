import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connector as anthropicActivity } from '../../../src/connectors/anthropic-activity/index.js';
import { connector as anthropicAdmin } from '../../../src/connectors/anthropic-admin/index.js';
import { connector as openaiAdmin } from '../../../src/connectors/openai-admin/index.js';
import { connector as openaiAudit } from '../../../src/connectors/openai-audit/index.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, fixture, fuzzParser, parseFile } from './helpers.js';

const edgesOf = (p: Awaited<ReturnType<typeof parseFile>>) => p.of('edge').map((e) => `${e.from} ${e.kind} ${e.to}`).sort();

describe('openai-admin', () => {
  it('reads the API\'s list pages: users with emails and roles; invitations are not identities yet', async () => {
    const p = await parseFile(openaiAdmin, fixture('agents', 'openai-users-page.json'));
    expectValid(p);
    expect(p.of('identity').map((i) => [i.id, i.kind, i.email, i.attributes?.orgRole])).toEqual([
      ['openai:user:user-alice01', 'human', 'alice.martin@example.com', 'owner'],
      ['openai:user:user-bob02', 'human', 'bob.nguyen@example.com', 'reader'],
    ]);
    expect(p.rejects.map((r) => r.reject)).toEqual(['organization.invite: an invitation is not an identity yet (not loaded)', 'missing id']);
  });

  it('an admin key is a credential of its owner, fingerprinted by its value when the listing carries it', async () => {
    const p = await parseFile(openaiAdmin, fixture('agents', 'openai-admin-keys.json'));
    expectValid(p);
    expect(p.of('credential')).toEqual([expect.objectContaining({
      id: 'openai:admin-key:key_alice_search', identityId: 'openai:user:user-alice01', type: 'api_token',
      fingerprint: fingerprint('sk-proj-FAKE0openai0key0for0tests0000000000'), lastUsedAt: new Date(1794700000e3).toISOString(),
    })]);
    expect(edgesOf(p)).toEqual(['openai:user:user-alice01 owns_credential openai:admin-key:key_alice_search']);
    expect(p.text).not.toContain('sk-proj-FAKE0openai0key0for0tests0000000000');
  });

  it('a project listing takes its project from the file name (proj_...)', async () => {
    const p = await parseFile(openaiAdmin, fixture('agents', 'proj_release01-service_accounts.json'));
    expect(edgesOf(p)).toEqual(['openai:service-account:svc_acct_release member_of openai:project:proj_release01']);
  });

  it('fuzz: damaged listings give FormatError or rejects only', async () => {
    await fuzzParser(openaiAdmin, 'users.json', readFileSync(fixture('agents', 'openai-users-page.json'), 'utf8'));
  });

  describe.skipIf(!hasDatasets)(`Cartography OpenAI fixtures (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
    const cart = (f: string) => dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'openai', f);
    it('users, projects and members, service accounts, project and admin keys become identities and edges', async () => {
      const projects = await parseFile(openaiAdmin, cart('projects.json'));
      expect(edgesOf(projects)).toEqual([
        'openai:user:user-uJeighaeFair8shaa2av member_of openai:project:proj_Eicie2Iid8ii4aiNg8va',
        'openai:user:user-ou3doohoeX6xie1Quiem member_of openai:project:proj_Eicie2Iid8ii4aiNg8va',
      ].sort());
      const keys = await parseFile(openaiAdmin, cart('apikeys.json'));
      expect(edgesOf(keys)).toEqual([
        'openai:service-account:user-ohp0mahG0Aw5eevu6ain owns_credential openai:api-key:key_iegheiWieG2jupheeYin',
        'openai:user:user-ou3doohoeX6xie1Quiem owns_credential openai:api-key:key_Eek1lae1au5Iepi2eeza',
      ]);
      const admin = await parseFile(openaiAdmin, cart('adminapikeys.json'));
      expect(edgesOf(admin)).toEqual([
        'openai:service-account:user-ohp0mahG0Aw5eevu6ain owns_credential openai:admin-key:key_iegheiWieG2jupheeYin',
        'openai:user:user-uJeighaeFair8shaa2av owns_credential openai:admin-key:key_abc',
      ]);
      // The fixture carries admin key values: only their fingerprints are kept.
      expect(admin.text).not.toMatch(/sk-admin-1234abcd|sk-admin-5678efgh/);
      expect(admin.of('credential').map((c) => c.fingerprint)).toEqual([fingerprint('sk-admin-1234abcd'), fingerprint('sk-admin-5678efgh')]);
      const users = await parseFile(openaiAdmin, cart('users.json'));
      const sas = await parseFile(openaiAdmin, cart('serviceaccounts.json'));
      expect(users.of('identity').map((i) => i.email)).toEqual(['mbsimpson@simpson.corp', 'hjsimpson@simpson.corp']);
      expect(sas.of('identity')).toEqual([expect.objectContaining({ id: 'openai:service-account:user-ohp0mahG0Aw5eevu6ain', kind: 'service_account', name: 'Chaos Monker SA' })]);
      for (const p of [projects, keys, admin, users, sas]) {
        expectValid(p);
        expect(p.rejects).toEqual([]);
      }
    });
  });
});

describe('openai-audit', () => {
  it('events with the session user or the key owner as actor, the key as credential, and the object acted on', async () => {
    const p = await parseFile(openaiAudit, fixture('agents', 'openai-audit-logs.json'));
    expectValid(p);
    const [created, deleted] = p.of('event');
    expect(created).toMatchObject({
      id: 'openai:audit:audit_log-abc123_20261110', action: 'api_key.created', actorId: 'openai:user:user-alice01', target: 'openai:api-key:key_new001',
      sourceIp: '203.0.113.50', sourceKind: 'ipv4', account: 'proj_release01', time: new Date(1794710000e3).toISOString(),
      resources: ['openai:api-key:key_new001', 'openai:project:proj_release01'],
    });
    expect(deleted).toMatchObject({ actorId: 'openai:user:user-alice01', target: 'openai:service-account:svc_acct_release', chain: { credentialId: 'openai:api-key:key_alice_search' } });
    expect(p.of('observation')).toEqual([
      expect.objectContaining({ from: 'openai:user:user-alice01', kind: 'created', to: 'openai:api-key:key_new001' }),
      expect.objectContaining({ from: 'openai:user:user-alice01', kind: 'owns_credential', to: 'openai:api-key:key_alice_search' }),
    ]);
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing actor', 'effective_at: "soon" is not a timestamp (expected ISO-8601)']);
  });

  it('fuzz', async () => {
    await fuzzParser(openaiAudit, 'audit.json', readFileSync(fixture('agents', 'openai-audit-logs.json'), 'utf8'));
  });
});

describe('anthropic-admin', () => {
  it('keys belong to their workspace, are made by a user (creator claim), and keep only the vendor\'s hint', async () => {
    const p = await parseFile(anthropicAdmin, fixture('agents', 'anthropic-api-keys.json'));
    expectValid(p);
    expect(p.rejects).toEqual([]);
    expect(edgesOf(p)).toEqual([
      'anthropic:user:user_01BOB created anthropic:api-key:apikey_01DEF',
      'anthropic:user:user_01BOB created anthropic:api-key:apikey_01NEW',
      'anthropic:user:user_01BOB member_of anthropic:workspace:wrkspc_01REL',
      'anthropic:workspace:default owns_credential anthropic:api-key:apikey_01DEF',
      'anthropic:workspace:wrkspc_01REL owns_credential anthropic:api-key:apikey_01NEW',
    ]);
    expect(p.of('credential').map((c) => [c.id, c.identityId, c.status])).toEqual([
      ['anthropic:api-key:apikey_01NEW', 'anthropic:workspace:wrkspc_01REL', 'active'],
      ['anthropic:api-key:apikey_01DEF', 'anthropic:workspace:default', 'revoked'],
    ]);
    expect(p.of('ownerClaim')[0]).toMatchObject({ target: 'anthropic:api-key:apikey_01NEW', ref: 'anthropic:user:user_01BOB', source: 'creator' });
  });

  it('fuzz', async () => {
    await fuzzParser(anthropicAdmin, 'keys.json', readFileSync(fixture('agents', 'anthropic-api-keys.json'), 'utf8'));
  });

  describe.skipIf(!hasDatasets)(`Cartography Anthropic fixtures (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
    const cart = (f: string) => dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'anthropic', f);
    it('users, workspaces, members and keys', async () => {
      const ws = await parseFile(anthropicAdmin, cart('workspaces.json'));
      expect(edgesOf(ws)).toEqual([
        'anthropic:user:user_EneequohSheesh3Ohtaefu8we2aite member_of anthropic:workspace:wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
        'anthropic:user:user_Oov3aYewo6ZuoGh8thaiV1uNoy1aXe member_of anthropic:workspace:wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ',
      ]);
      expect(ws.of('identity')[0]).toMatchObject({ status: 'inactive', attributes: { archivedAt: '2024-11-01T23:59:27.427Z' } });
      const keys = await parseFile(anthropicAdmin, cart('apikeys.json'));
      expect(edgesOf(keys)).toEqual([
        'anthropic:user:user_EneequohSheesh3Ohtaefu8we2aite created anthropic:api-key:apikey_01Rj2N8SVvo6BePZj99NhmiT',
        'anthropic:workspace:wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ owns_credential anthropic:api-key:apikey_01Rj2N8SVvo6BePZj99NhmiT',
      ]);
      const users = await parseFile(anthropicAdmin, cart('users.json'));
      expect(users.of('identity').map((i) => [i.id, i.email])).toEqual([
        ['anthropic:user:user_Oov3aYewo6ZuoGh8thaiV1uNoy1aXe', 'mbsimpson@simpson.corp'],
        ['anthropic:user:user_EneequohSheesh3Ohtaefu8we2aite', 'hjsimpson@simpson.corp'],
      ]);
      for (const p of [ws, keys, users]) {
        expectValid(p);
        expect(p.rejects).toEqual([]);
      }
    });
  });
});

describe('anthropic-activity', () => {
  it('user and API-key actors, targets, bad lines rejected one by one', async () => {
    const p = await parseFile(anthropicActivity, fixture('agents', 'anthropic-activity.ndjson'));
    expectValid(p);
    expect(p.of('event').map((e) => [e.id, e.actorId, e.target, e.chain?.credentialId ?? null, e.account])).toEqual([
      ['anthropic:activity:activity_01E2E', 'anthropic:user:user_01BOB', 'anthropic:api-key:apikey_01NEW', null, 'org_01ACME'],
      ['anthropic:activity:activity_01E2F', 'anthropic:api-key:apikey_01NEW', 'anthropic:chat:chat_01X', 'anthropic:api-key:apikey_01NEW', 'org_01ACME'],
    ]);
    expect(p.rejects.map((r) => [r.line, r.reject])).toEqual([
      [3, 'unrecognised actor.type "martian_actor"'],
      [4, expect.stringMatching(/^not valid JSON/)],
    ]);
  });

  it('fuzz', async () => {
    await fuzzParser(anthropicActivity, 'activity.ndjson', readFileSync(fixture('agents', 'anthropic-activity.ndjson'), 'utf8'));
  });
});
