import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { connector } from '../../../src/connectors/okta-inventory/index.js';
import { OKTA_FIXTURES, edge, parseWith } from '../entra/collect.js';

const fx = (name: string) => join(OKTA_FIXTURES, name);

describe('okta-inventory', () => {
  it('detects management API lists and not System Log events', () => {
    const head = (name: string) => readFileSync(fx(name), 'utf8').slice(0, 65536);
    for (const f of ['users.json', 'apps.json', 'api-tokens.json', 'grants.json']) expect(connector.detect({ path: f, name: f, head: head(f) })).toBeGreaterThan(0.5);
    expect(connector.detect({ path: 'x', name: 'x', head: head('system-log.ndjson') })).toBe(0);
  });

  it('reads users as people with login, status, last login and a password credential', async () => {
    const p = await parseWith(connector, fx('users.json'));
    const users = p.of('identity');
    expect(users.map((u) => u.id)).toEqual(['okta:user:00u1alice0000000001', 'okta:user:00u1bob00000000002', 'okta:user:00u1svcdeploy00003']);
    expect(users[0]).toMatchObject({ kind: 'human', provider: 'okta', name: 'Alice Nguyen', email: 'alice@acme.example', status: 'active', lastSeenAt: '2025-05-30T08:12:44.000Z' });
    expect(users[0].attributes).toMatchObject({ login: 'alice@acme.example', employeeNumber: 'E1001' });
    // A deprovisioned user is disabled; a federated one has no Okta password.
    expect(users[1]).toMatchObject({ status: 'disabled', attributes: expect.objectContaining({ managerId: '00u1alice0000000001', credentialProvider: 'FEDERATION' }) });
    expect(p.of('credential').map((c) => c.id)).toEqual(['okta:password:00u1alice0000000001', 'okta:password:00u1svcdeploy00003']);
    expect(p.of('credential')[1]).toMatchObject({ identityId: 'okta:user:00u1svcdeploy00003', type: 'password', lastRotatedAt: '2021-06-01T00:00:00.000Z' });
    expect(p.rejects).toEqual([{ index: 3, line: expect.any(Number), reason: 'missing id' }]);
  });

  it('reads apps, marks service apps machine-to-machine, and keeps only a fingerprint of a returned client secret', async () => {
    const p = await parseWith(connector, fx('apps.json'));
    const [ci, aws, old] = p.of('identity');
    expect(ci).toMatchObject({ id: 'okta:app:0oa1ciservice00001', kind: 'oauth_app', name: 'CI deploy bot', status: 'active' });
    expect(ci.attributes).toMatchObject({ machineToMachine: true, grantTypes: ['client_credentials'], applicationType: 'service', clientId: '0oa1ciservice00001' });
    expect(aws).toMatchObject({ id: 'okta:app:0oa1awssso00000002', attributes: { appName: 'amazon_aws_sso', signOnMode: 'SAML_2_0' } });
    expect(old).toMatchObject({ status: 'inactive' });
    expect(old.attributes?.machineToMachine).toBeUndefined();
    const [secret] = p.of('credential');
    expect(secret).toMatchObject({ id: 'okta:client-secret:0oa1ciservice00001', identityId: 'okta:app:0oa1ciservice00001', type: 'client_secret' });
    expect(secret.fingerprint).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(JSON.stringify(p.all)).not.toContain('CIdeploySecret');
  });

  it('reads API tokens as keys owned by the user they act as, expired ones as such', async () => {
    const p = await parseWith(connector, fx('api-tokens.json'));
    expect(p.of('identity').map((i) => [i.id, i.kind, i.status])).toEqual([
      ['okta:api-token:00T1terraform00001', 'api_key', 'active'],
      ['okta:api-token:00T1oldscim0000002', 'api_key', 'inactive'],
    ]);
    expect(p.of('credential')[0]).toMatchObject({ id: 'okta:api-token:00T1terraform00001', identityId: 'okta:user:00u1svcdeploy00003', type: 'api_token', expiresAt: '2025-07-01T00:00:00.000Z', status: 'active' });
    expect(p.of('credential')[1]).toMatchObject({ identityId: 'okta:user:00u1bob00000000002', status: 'expired' });
    expect(edge(p, 'okta:user:00u1svcdeploy00003', 'owns_credential', 'okta:api-token:00T1terraform00001')).toBeDefined();
    expect(p.of('ownerClaim')[0]).toMatchObject({ target: 'okta:api-token:00T1terraform00001', ref: 'okta:user:00u1svcdeploy00003', source: 'creator' });
    expect(p.rejects).toEqual([expect.objectContaining({ index: 2, reason: 'missing userId (the user the API token acts as)' })]);
  });

  it('merges admin scope grants of one app into one edge to the org, and a user consent into a granted edge', async () => {
    const p = await parseWith(connector, fx('grants.json'));
    const org = edge(p, 'okta:app:0oa1ciservice00001', 'can_access', 'okta:org:acme.okta.com');
    expect(org).toMatchObject({ potential: true, attributes: { scopes: ['okta.groups.manage', 'okta.users.read'], revokedScopes: ['okta.apps.read'], consentType: 'admin' } });
    expect(p.of('resource')).toContainEqual({ id: 'okta:org:acme.okta.com', provider: 'okta', type: 'okta:org', name: 'acme.okta.com' });
    expect(edge(p, 'okta:user:00u1alice0000000001', 'granted', 'okta:app:0oa1retired0000003')).toMatchObject({ attributes: { scopes: ['offline_access'], consentType: 'user' } });
    expect(p.rejects).toEqual([expect.objectContaining({ index: 4, reason: expect.stringMatching(/^missing clientId or _links\.app/) })]);
  });
});
