import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/azure-activity-log/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { ENTRA_FIXTURES, parseWith } from './collect.js';

const file = join(ENTRA_FIXTURES, 'activity-log.json');
const SUB = '12345678-1234-1234-1234-123456789abc';

describe('azure-activity-log', () => {
  it('resolves the caller from token claims: a person through a client app, a service principal, a managed identity', async () => {
    const p = await parseWith(connector, file);
    const [secret, role, keys] = p.of('event');
    expect(secret).toMatchObject({
      id: 'azure:activity:0f0e0d0c-0000-4000-8000-000000000001', provider: 'azure', service: 'Microsoft.KeyVault', action: 'Microsoft.KeyVault/vaults/secrets/write', outcome: 'success',
      actorId: 'entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d', chain: { invokedBy: 'entra:app:04b07795-8ddb-461a-bbee-02f9e1bf7b46', mfa: true },
      target: `/subscriptions/${SUB}/resourcegroups/build-rg/providers/microsoft.keyvault/vaults/kv-build/secrets/db-password`, sourceIp: '203.0.113.20', account: SUB,
    });
    expect(role).toMatchObject({ actorId: 'entra:sp:b1c34143-e405-4058-8e29-84596ad737b8', outcome: 'failure', errorCode: 'Forbidden', chain: { invokedBy: null } });
    expect(role.resources).toEqual([`/subscriptions/${SUB}/providers/microsoft.authorization/roleassignments/9f9f9f9f-0000-4000-8000-000000000009`, 'entra:sp:d4d4d4d4-0000-4000-8000-0000000000d4', `/subscriptions/${SUB}`]);
    expect(keys).toMatchObject({ actorId: 'entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3', action: 'Microsoft.Storage/storageAccounts/listKeys/action' });
    expect(p.of('identity').find((i) => i.id === 'entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3')?.attributes).toMatchObject({ resourceId: `/subscriptions/${SUB}/resourcegroups/build-rg/providers/microsoft.compute/virtualmachines/vm-build-01` });
    // A failed call does not make its caller seen.
    expect(p.of('identity').find((i) => i.id === 'entra:sp:b1c34143-e405-4058-8e29-84596ad737b8')?.lastSeenAt).toBeNull();
    expect(p.of('resource').map((r) => [r.type, r.name])).toEqual([
      ['Microsoft.KeyVault/vaults/secrets', 'db-password'], ['Microsoft.Authorization/roleAssignments', '9f9f9f9f-0000-4000-8000-000000000009'], ['Microsoft.Storage/storageAccounts', 'stdata01'],
    ]);
  });

  it('redacts request bodies and never keeps a secret value', async () => {
    const p = await parseWith(connector, file);
    const text = JSON.stringify(p.all);
    expect(text).not.toContain('P@ssw0rd-plain');
    expect(text).not.toContain('hunter2-plain');
    // On a secret operation every value of the body is a fingerprint, its shape kept.
    const body = (p.of('event')[0].detail as { properties: { requestbody: { adminPassword: string; properties: { value: string; contentType: string } } } }).properties.requestbody;
    expect(body.adminPassword).toMatch(/^sha256:/);
    expect(body.properties.value).toMatch(/^sha256:/);
    // Elsewhere only secret-named fields are: a role assignment body stays readable.
    const role = (p.of('event')[1].detail as { properties: { requestbody: { Properties: { PrincipalType: string } } } }).properties.requestbody;
    expect(role.Properties.PrincipalType).toBe('ServicePrincipal');
  });

  it('rejects events with no caller or no time, naming the field', async () => {
    const p = await parseWith(connector, file);
    expect(p.rejects).toEqual([
      expect.objectContaining({ index: 3, reason: 'missing caller (no identity.claims, claims, authorization evidence or caller)' }),
      expect.objectContaining({ index: 4, reason: 'missing eventTimestamp' }),
    ]);
  });

  it('reads storage logs: an account key or SAS is the actor, the URI without its query the target', async () => {
    const rec = { time: '2025-01-28T17:00:00Z', category: 'StorageRead', operationName: 'GetBlob', callerIpAddress: '9.9.9.9:55555', statusCode: 200,
      uri: 'https://acct.blob.core.windows.net/c/f.pdf?sv=2022-11-02&sig=abcdefSECRETSIG', properties: { accountName: 'acct', objectKey: '/acct/c/f.pdf' }, identity: { type: 'SAS', tokenHash: 'key2(ABCDEF0123)' } };
    const p = await parseWith(connector, memorySourceFile('storage.json', JSON.stringify({ records: [rec] })));
    expect(p.of('event')[0]).toMatchObject({ actorId: 'azure:storage-key:acct/key2', chain: { credentialId: 'azure:sas:acct/ABCDEF0123' }, target: 'https://acct.blob.core.windows.net/c/f.pdf', sourceIp: '9.9.9.9', outcome: 'success' });
    expect(p.of('identity')[0]).toMatchObject({ kind: 'api_key', provider: 'azure' });
    expect(JSON.stringify(p.all)).not.toContain('SECRETSIG');
  });
});
