import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connector as entraInventory } from '../../../src/connectors/entra-inventory/index.js';
import { connector as oktaInventory } from '../../../src/connectors/okta-inventory/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { dataset, hasDatasets, SKIP_DATASETS } from '../../helpers/datasets.js';
import { edge, parseWith } from './collect.js';

/**
 * cartography's test data holds real API responses: Okta's as the JSON text of each response, Entra's
 * as the Python Graph SDK's objects (snake_case). Each is handed to the connector as the file a
 * Graph or Okta call would have produced; nothing else is changed.
 */
const DATA = dataset('cartography-inventory-fixtures', 'json', 'tests', 'data');
const load = (path: string) => JSON.parse(readFileSync(`${DATA}/${path}`, 'utf8')) as Record<string, unknown>;
const asFile = (name: string, value: unknown) => memorySourceFile(name, typeof value === 'string' ? value : JSON.stringify(value));

describe.skipIf(!hasDatasets)(`cartography Okta fixtures${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('reads group members as users with their password credential', async () => {
    const p = await parseWith(oktaInventory, asFile('users.json', load('okta/groups.json').LIST_GROUP_MEMBER_RESPONSE));
    expect(p.of('identity').map((i) => [i.id, i.email, i.status])).toEqual([
      ['okta:user:00u1f96ECLNVOKVMUSEA', 'easy-e@example.com', 'active'],
      ['okta:user:00u1f9cMYQZFMPVXIDIZ', 'dr.dre@example.com', 'active'],
    ]);
    const sample = await parseWith(oktaInventory, asFile('users2.json', load('okta/groups.json').GROUP_MEMBERS_SAMPLE_DATA));
    expect(sample.of('identity').find((i) => i.id === 'okta:user:OKTA_USER_ID_2')).toMatchObject({ name: 'James May', lastSeenAt: '2021-08-20T13:22:34.000Z', attributes: expect.objectContaining({ secondEmail: 'jmay2@example.com' }) });
    expect(sample.of('credential')).toHaveLength(3);
  });

  it('reads app user assignments as can_access edges, and rejects group assignments that do not say their app', async () => {
    const app = load('okta/application.json');
    const users = await parseWith(oktaInventory, asFile('app-users.json', app.LIST_APPLICATION_USER_ASSIGNED_RESPONSE));
    expect(edge(users, 'okta:user:00ui2sVIFZNCNKFFNBPM', 'can_access', 'okta:app:0oajiqIRNXPPJBNZMGYL')).toMatchObject({ attributes: { assignment: 'USER', appUserName: 'user@example.com', status: 'PROVISIONED' } });
    expect(edge(users, 'okta:user:00ujsgVNDRESKKXERBUJ', 'can_access', 'okta:app:0oajiqIRNXPPJBNZMGYL')).toBeDefined();
    const groups = await parseWith(oktaInventory, asFile('app-groups.json', app.LIST_APPLICATION_GROUP_ASSIGNED_RESPONSE));
    expect(groups.rejects.map((r) => r.reason)).toEqual(Array(2).fill('missing _links.app.href (the app this assignment belongs to)'));
    const one = await parseWith(oktaInventory, asFile('app.json', app.APPLICATION_WITH_REDITECT_URIS));
    expect(one.of('identity')).toEqual([expect.objectContaining({ id: 'okta:app:someid', kind: 'oauth_app', name: 'ciexec', attributes: expect.objectContaining({ redirectUris: ['https://domain.net/auth/oauth2/callback1', 'https://domain.net/auth/oauth2/callback'] }) })]);
  });

  it('reads admin role assignments as entitlements of the assignee', async () => {
    const roles = load('okta/adminroles.json');
    const users = await parseWith(oktaInventory, asFile('roles.json', roles.LIST_ASSIGNED_USER_ROLE_RESPONSE));
    expect(users.of('entitlement').map((e) => [e.identityId, e.sourcePolicy, e.privilege])).toEqual([
      ['okta:user:00ur32Vg0fvpyHZeQ0g3', 'okta:role:APP_ADMIN', 'privesc'],
      ['okta:user:00ur32Vg0fvpyHZeQ0g3', 'okta:role:HELP_DESK_ADMIN', 'credential'],
    ]);
    const groups = await parseWith(oktaInventory, asFile('group-roles.json', roles.LIST_ASSIGNED_GROUP_ROLE_RESPONSE));
    expect(groups.of('entitlement')[0]).toMatchObject({ identityId: 'okta:group:00gsr2IepS8YhHRFf0g3', sourcePolicy: 'okta:role:APP_ADMIN' });
  });
});

describe.skipIf(!hasDatasets)(`cartography Entra fixtures${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('reads the SDK\'s applications and service principals, linking each app to its principal', async () => {
    const a = load('microsoft/entra/applications.json');
    const apps = await parseWith(entraInventory, asFile('apps.json', a.MOCK_ENTRA_APPLICATIONS));
    expect(apps.of('identity').map((i) => [i.id, i.name, i.createdAt])).toEqual([
      ['entra:app:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'Finance Tracker', '2025-05-01T12:00:00.000Z'],
      ['entra:app:ffffffff-eeee-dddd-cccc-bbbbbbbbbbbb', 'HR Portal', '2025-05-02T08:30:00.000Z'],
    ]);
    const sps = await parseWith(entraInventory, asFile('sps.json', a.MOCK_SERVICE_PRINCIPALS));
    expect(edge(sps, 'entra:app:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'runs_as', 'entra:sp:sp-11111111-1111-1111-1111-111111111111')).toBeDefined();
    expect(edge(sps, 'entra:app:ffffffff-eeee-dddd-cccc-bbbbbbbbbbbb', 'runs_as', 'entra:sp:sp-22222222-2222-2222-2222-222222222222')).toBeDefined();
    expect(sps.of('identity')[0]).toMatchObject({ kind: 'service_account', status: 'active', attributes: expect.objectContaining({ servicePrincipalType: 'Application' }) });
  });

  it('reads app role assignments of users and groups as can_access edges to the resource', async () => {
    const p = await parseWith(entraInventory, asFile('ara.json', load('microsoft/entra/applications.json').MOCK_APP_ROLE_ASSIGNMENTS));
    expect(p.of('edge').map((e) => [e.from, e.kind, e.to])).toEqual([
      ['entra:user:ae4ac864-4433-4ba6-96a6-20f8cffdadcb', 'can_access', 'entra:sp:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
      ['entra:user:11dca63b-cb03-4e53-bb75-fa8060285550', 'can_access', 'entra:sp:ffffffff-eeee-dddd-cccc-bbbbbbbbbbbb'],
      ['entra:group:11111111-2222-3333-4444-555555555555', 'can_access', 'entra:sp:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'],
      ['entra:group:22222222-3333-4444-5555-666666666666', 'can_access', 'entra:sp:ffffffff-eeee-dddd-cccc-bbbbbbbbbbbb'],
    ]);
  });

  it('reads users, groups and group members (nested groups too)', async () => {
    const users = await parseWith(entraInventory, asFile('users.json', load('microsoft/entra/users.json').MOCK_ENTRA_USERS));
    expect(users.of('identity')[0]).toMatchObject({ id: 'entra:user:ae4ac864-4433-4ba6-96a6-20f8cffdadcb', name: 'Homer Simpson', email: 'hjsimpson@simpson.corp', attributes: expect.objectContaining({ managerId: '11dca63b-cb03-4e53-bb75-fa8060285550', department: 'Operations' }) });
    const g = load('microsoft/entra/groups.json');
    const groups = await parseWith(entraInventory, asFile('groups.json', g.MOCK_ENTRA_GROUPS));
    expect(groups.of('identity').map((i) => [i.id, i.kind, i.name])).toEqual([
      ['entra:group:11111111-1111-1111-1111-111111111111', 'group', 'Security Team'],
      ['entra:group:22222222-2222-2222-2222-222222222222', 'group', 'Developers'],
    ]);
    const security = '11111111-1111-1111-1111-111111111111';
    const members = await parseWith(entraInventory, asFile('members.json', {
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#groups('${security}')/members`,
      value: (g.MOCK_GROUP_MEMBERS as Record<string, unknown[]>)[security],
    }));
    expect(members.of('edge').map((e) => [e.from, e.kind, e.to])).toEqual([
      ['entra:user:ae4ac864-4433-4ba6-96a6-20f8cffdadcb', 'member_of', `entra:group:${security}`],
      ['entra:user:11dca63b-cb03-4e53-bb75-fa8060285550', 'member_of', `entra:group:${security}`],
      ['entra:group:22222222-2222-2222-2222-222222222222', 'member_of', `entra:group:${security}`],
    ]);
  });

  it('reads directory role assignments as entitlements with the role\'s privilege, and role definitions as policies', async () => {
    const d = load('microsoft/entra/directory_roles.json');
    const p = await parseWith(entraInventory, asFile('ra.json', d.MOCK_ROLE_ASSIGNMENTS));
    // Without $expand=principal the assignment does not say whether the principal is a user, group or app.
    expect(p.of('entitlement').map((e) => [e.identityId, e.privilege, e.sourcePolicy])).toEqual([
      ['entra:principal:ae4ac864-4433-4ba6-96a6-20f8cffdadcb', 'admin', 'entra:role:62e90394-69f5-4237-9190-012177145e10'],
      ['entra:principal:11111111-2222-3333-4444-555555555555', 'privesc', 'entra:role:fe930be7-5e62-47db-91af-98c3a49a38b1'],
      ['entra:principal:33333333-4444-5555-6666-777777777777', 'admin', 'entra:role:62e90394-69f5-4237-9190-012177145e10'],
    ]);
    const defs = await parseWith(entraInventory, asFile('rd.json', d.MOCK_ROLE_DEFINITIONS));
    expect(defs.of('policy').map((x) => [x.id, x.name, x.kind])).toEqual([
      ['entra:role:62e90394-69f5-4237-9190-012177145e10', 'Global Administrator', 'role'],
      ['entra:role:fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator', 'role'],
    ]);
  });
});
