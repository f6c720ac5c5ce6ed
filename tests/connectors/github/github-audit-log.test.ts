import { describe, expect, it } from 'vitest';
import { connector as auditLog } from '../../../src/connectors/github-audit-log/index.js';
import { connector as secretScanning } from '../../../src/connectors/github-secret-scanning/index.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { eventOf, expectValid, fixture, fixtureText, fuzzConnector, parseFile } from './harness.js';

describe('github-audit-log', () => {
  it('detects the REST export and streaming, not inventories or other vendors\' logs', () => {
    const det = (head: string) => auditLog.detect({ path: 'x', name: 'x', head });
    expect(det(fixtureText('github', 'audit-log.json'))).toBe(0.85);
    expect(det(fixtureText('github', 'audit-stream.ndjson'))).toBe(0.85);
    expect(det(fixtureText('github', 'org-bundle.json'))).toBe(0);
    expect(det('[{"actor": {"id": "00u1", "type": "User"}, "eventType": "user.session.start", "published": "2024-01-01T00:00:00Z"}]')).toBe(0);
  });

  it('reads the REST export: actors, targets, tokens and SAML identities', async () => {
    const p = await parseFile(auditLog, fixture('github', 'audit-log.json'));
    expect(p.items.map((i) => i.reject ?? eventOf(i).event!.action)).toEqual([
      'org.add_member', 'git.clone', 'workflows.created_workflow_run', 'repo.create', 'integration_installation.create', 'missing actor',
    ]);
    expectValid(p.items);
    const [add, clone, run, create, install] = p.items.map((i) => eventOf(i).event);
    expect(add).toMatchObject({
      id: 'github:audit:aB1cD2eF3gH4iJ5kL6mN7o', time: '2024-05-06T10:00:00.000Z', provider: 'github', actorId: 'github:user:octo-admin',
      target: 'github:user:contractor-carl', resources: ['github:org:acme'], sourceIp: '198.51.100.7', sourceKind: 'ipv4', account: 'acme', outcome: 'success',
    });
    expect(add!.detail).toMatchObject({ permission: 'read', actor_location: { country_code: 'US' }, user: 'contractor-carl' });
    expect(clone).toMatchObject({ actorId: 'github:user:dev-dana', target: 'github:repo:acme/payments-api', chain: { credentialId: 'github:pat:7001' }, userAgent: 'git/2.43.0' });
    // The hashed token is itself hashed again: nothing token-shaped stays.
    expect((clone!.detail as Record<string, string>).hashed_token).toBe(fingerprint('Zm9vYmFyYmF6cXV4cXV1eA=='));
    expect(run).toMatchObject({ actorId: 'github:app:github-actions', target: 'github:repo:acme/payments-api', chain: { credentialId: 'github:token:55501' } });
    expect(p.identity('github:app:github-actions')).toMatchObject({ kind: 'oauth_app', origin: 'log' });
    expect(create).toMatchObject({ actorId: 'github:user:dev-dana', chain: { sourceIdentity: 'dana.developer@acme.example', federatedProvider: 'saml' } });
    expect(install).toMatchObject({ target: 'github:app:deploy-bot' });
    expect(JSON.stringify(install!.detail)).not.toContain('whsec_4f9d8c7b6a5e4d3c2b1a');
    expect(p.of('identity').find((i) => i.id === 'github:user:dev-dana' && i.email)).toMatchObject({ email: 'dana.developer@acme.example', attributes: { samlNameId: 'dana.developer@acme.example' } });
  });

  it('reads streaming (JSON lines): a broken line is only that record\'s reject', async () => {
    const p = await parseFile(auditLog, fixture('github', 'audit-stream.ndjson'));
    expect(p.items.map((i) => i.reject ?? eventOf(i).event!.target)).toEqual([
      'github:org:acme', 'github:user:dev-dana', 'github:user:dev-dana', expect.stringMatching(/^not valid JSON/),
    ]);
    // Adding someone to a team is about that person; the team is among the resources.
    expect(eventOf(p.items[2]).event!.resources).toEqual(['github:team:acme/platform', 'github:org:acme']);
    expect(eventOf(p.items[1]).event!.detail).toMatchObject({ permission: 'admin', old_permission: 'read' });
  });

  it('survives truncation and mutation (FormatError or rejects only)', async () => {
    await fuzzConnector(auditLog, 'a.json', fixtureText('github', 'audit-log.json'), 150);
    await fuzzConnector(auditLog, 's.ndjson', fixtureText('github', 'audit-stream.ndjson'), 100);
  });
});

describe('github-secret-scanning', () => {
  it('turns alerts into alerts with the secret\'s type and fingerprint, never the secret', async () => {
    const p = await parseFile(secretScanning, fixture('github', 'secret-scanning-alerts.json'));
    expect(p.rejects).toEqual([expect.objectContaining({ index: 3, reject: 'missing number' })]);
    expectValid(p.items);
    const [aws, pat, slack] = p.of('alert');
    expect(aws).toMatchObject({
      id: 'github-secret-scanning:acme/payments-api/12', time: '2024-05-06T11:00:00.000Z', source: 'github-secret-scanning', severity: 'critical',
      title: 'Amazon AWS Access Key ID leaked in acme/payments-api', rule: 'secret_scanning:aws_access_key_id',
      identities: ['github:user:dev-dana'], credentials: ['aws:access-key:AKIAIOSFODNN7EXAMPLE'], mitre: ['T1552.001'],
      entities: { repository: ['acme/payments-api'], secretType: ['aws_access_key_id'] },
      detail: { secretFingerprint: fingerprint('AKIAIOSFODNN7EXAMPLE'), validity: 'active', pushProtectionBypassedBy: 'dev-dana', repository: 'github:repo:acme/payments-api' },
    });
    expect(pat).toMatchObject({ severity: 'low', credentials: [], detail: { state: 'resolved', resolution: 'revoked', resolvedBy: 'octo-admin' } });
    expect(slack).toMatchObject({ severity: 'critical', detail: { publiclyLeaked: true, validity: 'unknown' } });
    const all = JSON.stringify(p.records);
    expect(all).not.toContain('ghp_R4nd0mFak3T0k3nV4lu3F0rT3st1ngOnly00');
    expect(all).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(secretScanning.detect({ path: 'x', name: 'x', head: fixtureText('github', 'secret-scanning-alerts.json') })).toBe(0.95);
  });

  it('survives truncation and mutation (FormatError or rejects only)', async () => {
    await fuzzConnector(secretScanning, 's.json', fixtureText('github', 'secret-scanning-alerts.json'), 120);
  });
});
