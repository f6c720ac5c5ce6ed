import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { auditConnector, riskConnector, signInConnector } from '../../../src/connectors/entra-log/index.js';
import { registry } from '../../../src/connectors/index.js';
import { ENTRA_FIXTURES, parseWith } from './collect.js';

const fx = (name: string) => join(ENTRA_FIXTURES, name);
const DANA = 'entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d';
const SP = 'entra:sp:b1c34143-e405-4058-8e29-84596ad737b8';
const VM = '/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/build-rg/providers/microsoft.compute/virtualmachines/vm-build-01';

describe('entra logs', () => {
  it('auto-detects each file to the connector named for it', () => {
    const detect = (name: string) => registry.detect({ path: name, name, head: readFileSync(fx(name), 'utf8').slice(0, 65536) })?.connector.name;
    expect(detect('signins.json')).toBe('entra-signin-log');
    expect(detect('managed-identity-signins.ndjson')).toBe('entra-signin-log');
    expect(detect('directory-audits.json')).toBe('entra-audit-log');
    expect(detect('risk.json')).toBe('entra-risk');
    expect(detect('users.json')).toBe('entra-inventory');
    expect(detect('activity-log.json')).toBe('azure-activity-log');
  });

  it('reads user, service principal and managed identity sign-ins with their chains and observed hops', async () => {
    const p = await parseWith(signInConnector, fx('signins.json'));
    const [cli, sp, mi, risky, failed] = p.of('event');
    expect(cli).toMatchObject({
      id: 'entra:signin:66ea54eb-6301-4ee5-be62-ff5a759b0100', action: 'UserSignIn', outcome: 'success', actorId: DANA,
      target: 'entra:app:04b07795-8ddb-461a-bbee-02f9e1bf7b46', chain: { session: 'sess-dana-0001', mfa: true }, sourceIp: '203.0.113.20', userAgent: 'python/3.11 azure-cli/2.61.0',
    });
    expect(cli.resources).toEqual(['entra:app:04b07795-8ddb-461a-bbee-02f9e1bf7b46', 'entra:app:797f4846-ba00-4fd7-ba43-dac1f8f63013']);
    // The service principal signed in with a client secret whose keyId the inventory knows.
    expect(sp).toMatchObject({ action: 'ServicePrincipalSignIn', actorId: SP, target: 'entra:app:00000003-0000-0000-c000-000000000000', chain: { credentialId: 'entra:credential:2afc776a-4e79-4588-b2ad-f62c94d6bea8' } });
    expect(mi).toMatchObject({ action: 'ManagedIdentitySignIn', actorId: 'entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3', chain: { invokedBy: VM }, sourceIp: null });
    expect(risky).toMatchObject({ chain: { mfa: false }, sourceIp: '185.220.101.5' });
    expect(failed).toMatchObject({ outcome: 'failure', errorCode: '50126' });
    expect(p.of('observation').map((o) => [o.from, o.kind, o.to])).toEqual([
      ['entra:app:04b07795-8ddb-461a-bbee-02f9e1bf7b46', 'acts_for', DANA],
      ['entra:app:11112222-3333-4444-5555-666677778888', 'runs_as', SP],
      [VM, 'runs_as', 'entra:mi:c3c3c3c3-0000-4000-8000-0000000000c3'],
      ['entra:app:55554444-3333-2222-1111-000099998888', 'acts_for', DANA],
    ]);
    // A failed sign-in does not make the user seen.
    expect(p.of('identity').filter((i) => i.id === DANA).map((i) => i.lastSeenAt)).toEqual(['2025-06-01T06:30:00.000Z', '2025-06-01T08:00:00.000Z']);
    expect(p.of('alert')).toEqual([expect.objectContaining({
      id: 'entra:signin-risk:99ea54eb-6301-4ee5-be62-ff5a759b0400', severity: 'high', identities: [DANA], events: [risky.id],
      title: 'Entra ID Protection: risky sign-in (anonymizedIPAddress, unfamiliarFeatures)',
    })]);
    expect(p.rejects).toEqual([expect.objectContaining({ index: 5, reason: 'missing createdDateTime' })]);
  });

  it('reads the Azure Monitor export of managed identity sign-ins', async () => {
    const p = await parseWith(signInConnector, fx('managed-identity-signins.ndjson'));
    expect(p.of('event')).toEqual([expect.objectContaining({ action: 'ManagedIdentitySignIn', actorId: 'entra:mi:d4d4d4d4-0000-4000-8000-0000000000d4', account: 'c0dd2fa0-71be-4df8-b2a6-24cee7de069a', target: 'entra:app:e406a681-f3d4-42a8-90b6-c2b029497af1' })]);
    expect(p.rejects).toEqual([{ index: 1, line: 2, reason: 'missing servicePrincipalId' }]);
  });

  it('reads directory audits: added credentials, consents and group additions', async () => {
    const p = await parseWith(auditConnector, fx('directory-audits.json'));
    const crm = 'entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5';
    expect(p.of('event').map((e) => [e.action, e.actorId, e.target])).toEqual([
      ['Add service principal credentials', DANA, crm],
      ['Consent to application', DANA, crm],
      ['Add member to group', SP, SP],
    ]);
    expect(p.of('event')[0]).toMatchObject({ sourceIp: '203.0.113.20', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', service: 'Core Directory' });
    expect(p.of('credential')).toEqual([expect.objectContaining({ id: 'entra:credential:5d1faa9d-7bac-48bb-e5d0-295f27a9e1db', identityId: crm, type: 'client_secret', origin: 'log', createdAt: '2025-05-20T12:00:00.000Z' })]);
    expect(p.of('observation').map((o) => [o.from, o.kind, o.to])).toEqual([
      [DANA, 'created', 'entra:credential:5d1faa9d-7bac-48bb-e5d0-295f27a9e1db'],
      [DANA, 'granted', crm],
      [SP, 'member_of', 'entra:group:2c2c2c2c-0000-4000-8000-0000000000c2'],
    ]);
    expect(p.rejects).toEqual([expect.objectContaining({ index: 3, reason: 'missing initiatedBy.user.id or initiatedBy.app.servicePrincipalId' })]);
  });

  it('reads ID Protection risk as alerts on users, workload identities and their leaked keys', async () => {
    const p = await parseWith(riskConnector, fx('risk.json'));
    expect(p.of('alert').map((a) => [a.id, a.severity, a.identities, a.credentials ?? [], a.events ?? []])).toEqual([
      ['entra:risk:6a5874ca-abcd-9d00-9d00-e1f1b1e1d1c1', 'medium', [DANA], [], ['entra:signin:99ea54eb-6301-4ee5-be62-ff5a759b0400']],
      ['entra:risk:1d1d1d1d-0000-4000-8000-0000000000d1', 'high', [SP], ['entra:credential:2afc776a-4e79-4588-b2ad-f62c94d6bea8'], []],
      [`entra:risky-sp:b1c34143-e405-4058-8e29-84596ad737b8`, 'high', [SP], [], []],
      ['entra:risky-sp:e5e5e5e5-0000-4000-8000-0000000000e5', 'info', ['entra:sp:e5e5e5e5-0000-4000-8000-0000000000e5'], [], []],
    ]);
    expect(p.of('alert')[1]).toMatchObject({ rule: 'leakedCredentials', mitre: ['T1552'], title: 'Entra ID Protection: leakedCredentials (workload identity)' });
  });
});
