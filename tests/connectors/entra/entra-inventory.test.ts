import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/entra-inventory/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { ENTRA_FIXTURES, edge, parseWith } from './collect.js';

const fx = (name: string) => join(ENTRA_FIXTURES, name);
const APP = 'entra:app:11112222-3333-4444-5555-666677778888';
const SP = 'entra:sp:b1c34143-e405-4058-8e29-84596ad737b8';
const GRAPH = 'entra:sp:a225221f-8cc5-411a-9cc7-5e1394b8a5b8';
const DANA = 'entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d';

describe('entra-inventory', () => {
  it('reads users with what identity resolution needs, guests without a fake email', async () => {
    const p = await parseWith(connector, fx('users.json'));
    const [dana, guest] = p.of('identity');
    expect(dana).toMatchObject({ id: DANA, kind: 'human', provider: 'entra', email: 'dana.kim@contoso.example', status: 'active', lastSeenAt: '2025-06-01T06:30:00.000Z' });
    expect(dana.attributes).toMatchObject({ userPrincipalName: 'dana.kim@contoso.example', employeeId: 'E2002', onPremisesImmutableId: 'k7Fq2mNbR0a8sQ==', objectId: '6b6d44f0-b13a-46a0-bfde-161324d4c34d' });
    expect(guest).toMatchObject({ email: null, status: 'disabled', attributes: expect.objectContaining({ userType: 'Guest' }) });
  });

  it('reads applications with credentials (fingerprints and expiry only), owners and a GitHub federated credential', async () => {
    const p = await parseWith(connector, fx('applications.json'));
    const app = p.of('identity').find((i) => i.id === APP)!;
    expect(app).toMatchObject({ kind: 'oauth_app', name: 'deploy-pipeline', tags: { env: 'prod', HideApp: 'true' } });
    expect(p.of('credential').map((c) => [c.id, c.type, c.status, c.expiresAt])).toEqual([
      ['entra:credential:2afc776a-4e79-4588-b2ad-f62c94d6bea8', 'client_secret', 'active', '2027-02-02T02:02:02.000Z'],
      ['entra:credential:3bfd887b-5f8a-4699-c3be-073d05e7cfb9', 'client_secret', 'expired', '2024-12-31T00:00:00.000Z'],
      ['entra:credential:4c0e998c-6a9b-47aa-d4cf-184e16f8d0ca', 'certificate', 'active', '2026-01-01T00:00:00.000Z'],
    ]);
    for (const c of p.of('credential')) expect(c.identityId).toBe(APP);
    const text = JSON.stringify(p.all);
    expect(text).not.toContain('THIS-WOULD-BE-A-SECRET');
    expect(text).not.toContain('"hint"');
    expect(p.of('ownerClaim')).toEqual([expect.objectContaining({ target: APP, ref: DANA, refType: 'identity', source: 'registry' })]);
    const gh = 'oidc:token.actions.githubusercontent.com#repo:contoso/infra:environment:production';
    expect(p.of('identity').find((i) => i.id === gh)).toMatchObject({ kind: 'workload', provider: 'github', environment: 'prod', attributes: expect.objectContaining({ repository: 'contoso/infra' }) });
    expect(edge(p, gh, 'federates_to', APP)).toMatchObject({ conditions: { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:contoso/infra:environment:production', audiences: ['api://AzureADTokenExchange'] } });
    expect(p.rejects).toEqual([expect.objectContaining({ index: 2, reason: 'missing appId' })]);
  });

  it('reads federated credentials listed per application by appId (a Kubernetes service account)', async () => {
    const p = await parseWith(connector, fx('federated-credentials.json'));
    const k8s = 'oidc:westeurope.oic.prod-aks.azure.com/c0dd2fa0-71be-4df8-b2a6-24cee7de069a/7d1f0b8e-1111-2222-3333-444455556666#system:serviceaccount:crm:sync-worker';
    expect(p.of('identity')).toEqual([expect.objectContaining({ id: k8s, provider: 'k8s', name: 'crm/sync-worker', attributes: expect.objectContaining({ namespace: 'crm', serviceAccount: 'sync-worker' }) })]);
    expect(edge(p, k8s, 'federates_to', 'entra:app:99998888-7777-6666-5555-444433332222')).toBeDefined();
    // Listed under an object id, the appId is unknown: rejected, saying how to list it.
    const byObjectId = memorySourceFile('fic.json', JSON.stringify({ '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#applications('a1a1a1a1-0000-4000-8000-000000000002')/federatedIdentityCredentials", value: [{ id: 'x', issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:a/b:ref:refs/heads/main', audiences: [] }] }));
    const r = await parseWith(connector, byObjectId);
    expect(r.rejects[0].reason).toMatch(/^missing the application appId/);
  });

  it('reads service principals: runs_as from their app, managed identities and the resource running as them, third-party flags', async () => {
    const p = await parseWith(connector, fx('service-principals.json'));
    expect(p.of('identity').map((i) => [i.id, i.kind])).toEqual([
      [SP, 'service_account'], [GRAPH, 'service_account'], ['entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3', 'service_account'],
      ['entra:mi:d4d4d4d4-0000-4000-8000-0000000000d4', 'service_account'], ['entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5', 'service_account'],
    ]);
    expect(edge(p, APP, 'runs_as', SP)).toBeDefined();
    const vm = '/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/build-rg/providers/microsoft.compute/virtualmachines/vm-build-01';
    expect(edge(p, vm, 'runs_as', 'entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3')).toBeDefined();
    expect(p.of('resource')).toEqual([expect.objectContaining({ id: vm, type: 'Microsoft.Compute/virtualMachines', name: 'vm-build-01', account: '12345678-1234-1234-1234-123456789abc' })]);
    // A user-assigned identity is its own resource: nothing runs as it from this list.
    expect(p.of('edge').filter((e) => e.to === 'entra:mi:d4d4d4d4-0000-4000-8000-0000000000d4')).toEqual([]);
    const ids = Object.fromEntries(p.of('identity').map((i) => [i.id, i.attributes]));
    expect(ids[GRAPH]).toMatchObject({ firstParty: true });
    expect(ids['entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5']).toMatchObject({ firstParty: false, verifiedPublisher: 'CRM Vendor Inc' });
    expect(ids['entra:mi:d4d4d4d4-0000-4000-8000-0000000000d4']).toMatchObject({ managedIdentityType: 'userAssigned' });
    // A secret added on the service principal itself belongs to it.
    expect(p.of('credential')).toEqual([expect.objectContaining({ id: 'entra:credential:5d1faa9d-7bac-48bb-e5d0-295f27a9e1db', identityId: 'entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5' })]);
  });

  it('turns a person\'s consents into one granted edge with every scope, and admin consent into client -> API reach', async () => {
    const p = await parseWith(connector, fx('oauth2-permission-grants.json'));
    const crm = 'entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5';
    const granted = p.of('edge').filter((e) => e.kind === 'granted');
    expect(granted).toHaveLength(2);
    for (const g of granted) {
      expect(g).toMatchObject({ from: DANA, to: crm });
      expect(g.attributes).toEqual({ consentType: 'Principal', scopes: ['Files.Read.All', 'Mail.Read', 'User.Read', 'offline_access'], resources: [GRAPH, 'entra:sp:f0f0f0f0-0000-4000-8000-0000000000f0'] });
    }
    expect(edge(p, SP, 'can_access', GRAPH)).toMatchObject({ attributes: { consentType: 'AllPrincipals', delegated: true, delegatedScopes: ['Directory.AccessAsUser.All'] } });
    expect(p.rejects).toEqual([expect.objectContaining({ index: 3, reason: 'missing principalId (consentType Principal names the person who consented)' })]);
  });

  it('turns application permissions into reach and privileged entitlements, user assignments into reach', async () => {
    const p = await parseWith(connector, fx('app-role-assignments.json'));
    expect(edge(p, SP, 'can_access', GRAPH)).toMatchObject({ attributes: { permissionType: 'Application', appRoles: ['Directory.Read.All', 'RoleManagement.ReadWrite.Directory'] } });
    expect(p.of('entitlement').map((e) => [e.identityId, e.actions, e.privilege, e.via])).toEqual([
      [SP, ['microsoft.graph/RoleManagement.ReadWrite.Directory'], 'privesc', 'grant'],
      [SP, ['microsoft.graph/Directory.Read.All'], 'read', 'grant'],
    ]);
    expect(edge(p, DANA, 'can_access', SP)).toMatchObject({ attributes: { permissionType: 'Assignment' } });
  });

  it('turns directory role assignments into entitlements of the typed principal', async () => {
    const p = await parseWith(connector, fx('role-assignments.json'));
    expect(p.of('entitlement').map((e) => [e.identityId, e.privilege, e.sourcePolicy, e.resources])).toEqual([
      [SP, 'admin', 'entra:role:62e90394-69f5-4237-9190-012177145e10', ['entra:directory']],
      [DANA, 'privesc', 'entra:role:fe930be7-5e62-47db-91af-98c3a49a38b1', ['entra:directory/administrativeUnits/2b2b2b2b-0000-4000-8000-000000000002']],
    ]);
  });
});
