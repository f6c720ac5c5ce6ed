import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/github-inventory/index.js';
import { subsOf } from '../../../src/connectors/github-inventory/workflow-oidc.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, fixture, fixtureText, fuzzConnector, parseFile, parseText } from './harness.js';

const ORG = 'github:org:acme';
const WF = 'github:workflow:acme/payments-api';

describe('github-inventory: an org bundle of API responses', () => {
  const load = () => parseFile(connector, fixture('github', 'org-bundle.json'));

  it('detects bundles and self-describing responses, but not secret scanning alerts or audit logs', () => {
    const det = (head: string) => connector.detect({ path: 'x', name: 'x', head });
    for (const f of ['org-bundle.json', 'graphql-members.json', 'deploy-keys-web.json']) expect(det(fixtureText('github', f)), f).toBe(0.9);
    expect(det(fixtureText('github', 'secret-scanning-alerts.json'))).toBe(0);
    expect(det(fixtureText('github', 'audit-log.json'))).toBe(0);
  });

  it('reads every record of every path, rejecting the path it does not read', async () => {
    const p = await load();
    expect(p.items).toHaveLength(20);
    expect(p.rejects).toEqual([expect.objectContaining({ reject: '"/orgs/acme/hooks": not an API path this connector reads' })]);
    expectValid(p.items);
  });

  it('reads members with the org the path names, admins from ?role=admin, outside collaborators and teams', async () => {
    const p = await load();
    expect(p.identity('github:user:octo-admin')).toMatchObject({ kind: 'human', account: 'acme', attributes: { login: 'octo-admin', role: 'admin', githubId: '1001' } });
    expect(p.identity('github:user:renovate-bot')).toMatchObject({ kind: 'bot' });
    expect(p.of('identity').filter((i) => i.id === 'github:user:contractor-carl' && i.origin === undefined)[0]).toMatchObject({ attributes: { role: 'outside_collaborator' } });
    expect(p.edge('github:user:dev-dana', 'member_of', ORG)).toBeDefined();
    expect(p.edge('github:user:contractor-carl', 'member_of', ORG)).toBeUndefined();
    expect(p.edge('github:user:dev-dana', 'member_of', 'github:team:acme/platform')).toBeDefined();
    expect(p.of('entitlement').find((e) => e.identityId === 'github:user:octo-admin' && e.actions![0] === 'org:admin')).toMatchObject({ privilege: 'admin', resources: [ORG] });
    // The plain member list must not erase the role the admin list stated.
    const plain = p.of('identity').filter((i) => i.id === 'github:user:octo-admin' && i.origin === undefined)[1];
    expect(plain.attributes).not.toHaveProperty('role');
  });

  it('reads App installations: the installation holds the permissions, the app can assume it', async () => {
    const p = await load();
    const inst = 'github:installation:41000001';
    expect(p.identity(inst)).toMatchObject({ kind: 'service_account', account: 'acme', status: 'active', autonomy: 'full', createdAt: '2023-09-01T10:00:00.000Z', attributes: { appSlug: 'deploy-bot', repositorySelection: 'all' } });
    expect(p.edge('github:app:deploy-bot', 'can_assume', inst)).toBeDefined();
    expect(p.of('entitlement').filter((e) => e.identityId === inst).map((e) => [e.actions![0], e.privilege])).toEqual([
      ['administration:write', 'admin'], ['contents:write', 'write'], ['metadata:read', 'read'], ['secrets:read', 'credential'], ['workflows:write', 'privesc'],
    ]);
    expect(p.of('entitlement').find((e) => e.identityId === inst)!.resources).toEqual(['github:org:acme/*']);
    expect(p.identity('github:installation:41000002')).toMatchObject({ status: 'suspended', attributes: { suspendedBy: 'octo-admin' } });
  });

  it('reads fine-grained tokens granted to the org: the token, its owner, its repositories and permissions', async () => {
    const p = await load();
    const pat = 'github:pat:7001';
    expect(p.identity(pat)).toMatchObject({ kind: 'api_key', name: 'dana-release-script', status: 'active', lastSeenAt: '2024-05-05T22:10:00.000Z', attributes: { grantId: '5001', repositories: ['acme/payments-api'] } });
    expect(p.of('credential').find((c) => c.id === pat)).toMatchObject({ identityId: 'github:user:dev-dana', type: 'personal_access_token', expiresAt: '2024-09-01T09:00:00.000Z', status: 'active', fingerprint: fingerprint(pat) });
    expect(p.edge('github:user:dev-dana', 'owns_credential', pat)).toBeDefined();
    expect(p.of('entitlement').filter((e) => e.identityId === pat).map((e) => [e.actions![0], e.resources, e.privilege])).toEqual([
      ['members:read', [ORG], 'read'],
      ['contents:write', ['github:repo:acme/payments-api'], 'write'],
      ['metadata:read', ['github:repo:acme/payments-api'], 'read'],
      ['secrets:read', ['github:repo:acme/payments-api'], 'credential'],
    ]);
    expect(p.of('credential').find((c) => c.id === 'github:pat:7002')).toMatchObject({ status: 'expired', identityId: 'github:user:contractor-carl' });
    expect(p.of('entitlement').find((e) => e.identityId === 'github:pat:7002' && e.actions![0] === 'administration:write')).toMatchObject({ privilege: 'admin' });
  });

  it('reads SAML-authorized classic tokens with their scopes and SSH keys, without the token\'s last eight characters', async () => {
    const p = await load();
    expect(p.of('entitlement').filter((e) => e.identityId === 'github:pat:9001').map((e) => [e.actions![0], e.privilege])).toEqual([
      ['scope:repo', 'write'], ['scope:admin:org', 'admin'], ['scope:workflow', 'privesc'],
    ]);
    expect(p.identity('github:pat:9001')).toMatchObject({ name: 'octo laptop cli', attributes: { classic: true, samlAuthorized: true } });
    expect(p.of('credential').find((c) => c.id === 'github:ssh-key:9002')).toMatchObject({
      type: 'ssh_key', identityId: 'github:user:dev-dana', fingerprint: fingerprint('SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8'),
    });
    expect(JSON.stringify(p.records)).not.toContain('9f8e7d6c');
  });

  it('reads deploy keys as identities on their repository, with who added them', async () => {
    const p = await load();
    const key = 'github:deploy-key:acme/payments-api/301';
    expect(p.identity(key)).toMatchObject({ kind: 'api_key', name: 'argo-cd writer', attributes: { readOnly: false, addedBy: 'octo-admin' } });
    expect(p.edge(key, 'can_access', 'github:repo:acme/payments-api')).toMatchObject({ attributes: { access: 'write' } });
    expect(p.edge('github:user:octo-admin', 'created', key)).toBeDefined();
    expect(p.of('ownerClaim')).toEqual([expect.objectContaining({ target: key, ref: 'github:user:octo-admin', source: 'creator', confidence: 0.5 })]);
    expect(p.of('entitlement').find((e) => e.identityId === 'github:deploy-key:acme/payments-api/302')).toMatchObject({ actions: ['contents:read'], privilege: 'read' });
  });

  it('finds the cloud roles workflows reach with Actions OIDC, with the sub claims the cloud side must accept', async () => {
    const p = await load();
    expect(p.edge(WF, 'federates_to', 'arn:aws:iam::111122223333:role/github-deploy')).toMatchObject({
      conditions: { 'token.actions.githubusercontent.com:sub': ['repo:acme/payments-api:environment:production'], audience: 'sts.amazonaws.com' },
      attributes: { workflow: '.github/workflows/deploy.yml', job: 'deploy', environment: 'production' }, evidence: ['github:workflow-file:acme/payments-api/.github/workflows/deploy.yml'],
    });
    expect(p.edge(WF, 'federates_to', 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com')).toMatchObject({
      conditions: { via: 'projects/123456789012/locations/global/workloadIdentityPools/github-pool/providers/github-oidc' },
    });
    // The repository's own claim template decides the sub; a role given as an expression cannot be known.
    expect(p.edge('github:workflow:acme/infra', 'federates_to', 'entra:app:0d3c5b7a-1e2f-4a6b-8c9d-0e1f2a3b4c5d')).toMatchObject({
      conditions: { 'token.actions.githubusercontent.com:sub': ['repository_owner:acme:environment:prod'], audience: 'api://AzureADTokenExchange' },
    });
    expect(p.of('edge').filter((e) => e.kind === 'federates_to')).toHaveLength(3);
    // The lint job cannot request a token: no edge from it.
    expect(p.of('edge').filter((e) => (e.attributes as { job?: string } | undefined)?.job === 'lint')).toEqual([]);
  });

  it('takes secret scanning alerts from a bundle too', async () => {
    const alerts = JSON.parse(fixtureText('github', 'secret-scanning-alerts.json')).slice(0, 1);
    const p = await parseText(connector, 'b.json', JSON.stringify({ '/orgs/acme/secret-scanning/alerts': alerts }));
    expect(p.of('alert').map((a) => a.id)).toEqual(['github-secret-scanning:acme/payments-api/12']);
  });
});

describe('github-inventory: single responses', () => {
  it('reads GraphQL membersWithRole with 2FA, verified emails and SAML identities', async () => {
    const p = await parseFile(connector, fixture('github', 'graphql-members.json'));
    expect(p.identity('github:user:octo-admin')).toMatchObject({ name: 'Octo Admin', email: 'octo.admin@acme.example', account: 'acme', attributes: { role: 'admin', twoFactor: true } });
    expect(p.identity('github:user:dev-dana')).toMatchObject({
      email: 'dana@personal.example', attributes: { twoFactor: false, samlNameId: 'dana.developer@acme.example', samlUsername: 'dana.developer', emails: ['dana@personal.example'] },
    });
    expect(p.edge('github:user:octo-admin', 'member_of', ORG)).toMatchObject({ attributes: { role: 'admin' } });
  });

  it('takes a deploy key\'s repository from its API URL when the file holds only the key list', async () => {
    const p = await parseFile(connector, fixture('github', 'deploy-keys-web.json'));
    expect(p.identity('github:deploy-key:acme/web/401')).toMatchObject({ lastSeenAt: '2024-04-30T12:00:00.000Z', attributes: { verified: false } });
    expect(p.edge('github:user:ex-employee', 'created', 'github:deploy-key:acme/web/401')).toBeDefined();
  });

  it('rejects a record it cannot place', async () => {
    const p = await parseText(connector, 'x.json', JSON.stringify([{ id: 1, title: 'not a key' }, { key: 'ssh-rsa AAA', read_only: true, id: 5 }]));
    expect(p.rejects.map((r) => r.reject)).toEqual([
      'not a GitHub inventory record (expected a member, installation, token, credential authorization, deploy key or workflow file)',
      'missing url (the repository of the key)',
    ]);
  });
});

describe('github-inventory: Actions OIDC subjects', () => {
  it('follows the triggers when the job has no environment', () => {
    expect(subsOf('acme/web', ['repo', 'context'], null, { push: { branches: ['main', 'release/*'] }, pull_request: null }, null)).toEqual([
      'repo:acme/web:ref:refs/heads/main', 'repo:acme/web:ref:refs/heads/release/*', 'repo:acme/web:pull_request',
    ]);
    expect(subsOf('acme/web', ['repo', 'context'], null, 'workflow_dispatch', null)).toEqual(['repo:acme/web:ref:*']);
    expect(subsOf('acme/web', ['repo', 'context', 'job_workflow_ref'], 'prod', 'push', 'ci')).toEqual(['repo:acme/web:environment:prod:job_workflow_ref:*']);
  });
});

describe('github-inventory: fuzz', () => {
  it('survives truncation and mutation of a bundle (FormatError or rejects only)', async () => {
    await fuzzConnector(connector, 'b.json', fixtureText('github', 'org-bundle.json'), 150);
    await fuzzConnector(connector, 'g.json', fixtureText('github', 'graphql-members.json'), 60);
  });
});

const CARTO = dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'github');

describe.skipIf(!hasDatasets)(`github-inventory on Cartography's GitHub fixtures${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  const load = (f: string) => JSON.parse(readFileSync(join(CARTO, f), 'utf8'));

  it('reads the org PAT listing and SAML credential authorizations', async () => {
    const pats = load('personal_access_tokens.json');
    const bundle = {
      '/orgs/simpsoncorp/personal-access-tokens': pats.FINE_GRAINED_PERSONAL_ACCESS_TOKENS,
      ...Object.fromEntries(Object.entries(pats.FINE_GRAINED_PAT_REPOSITORIES).map(([id, repos]) => [`/orgs/simpsoncorp/personal-access-tokens/${id}/repositories`, repos])),
      '/orgs/simpsoncorp/credential-authorizations': pats.SAML_CREDENTIAL_AUTHORIZATIONS,
    };
    const p = await parseText(connector, 'carto.json', JSON.stringify(bundle));
    expect(p.rejects).toEqual([]);
    expectValid(p.items);
    expect(p.edge('github:user:hjsimpson', 'owns_credential', 'github:pat:98716')).toBeDefined();
    expect(p.identity('github:pat:98716')).toMatchObject({ name: 'cartography-readonly', attributes: { grantId: '25381', repositories: ['simpsoncorp/sample_repo'] } });
    expect(p.of('credential').find((c) => c.id === 'github:pat:98716')).toMatchObject({
      createdAt: '2025-01-16T15:47:09.000Z', expiresAt: '2025-04-16T15:47:09.000Z', lastUsedAt: '2025-02-16T15:47:09.000Z', status: 'active',
    });
    expect(p.of('entitlement').filter((e) => e.identityId === 'github:pat:98716').map((e) => [e.actions![0], e.resources![0]])).toEqual([
      ['members:read', 'github:org:simpsoncorp'], ['contents:read', 'github:repo:simpsoncorp/sample_repo'], ['metadata:read', 'github:repo:simpsoncorp/sample_repo'],
    ]);
    expect(p.of('credential').find((c) => c.id === 'github:pat:161195')).toMatchObject({ identityId: 'github:user:hjsimpson', expiresAt: '2024-04-26T19:06:43.000Z' });
    expect(p.of('credential').find((c) => c.id === 'github:ssh-key:161196')).toMatchObject({ identityId: 'github:user:mbsimpson', type: 'ssh_key' });
  });

  it('reads the GraphQL member edges with roles and verified emails', async () => {
    const users = load('users.json');
    const [edges, org] = users.GITHUB_USER_DATA;
    const p = await parseText(connector, 'm.json', JSON.stringify({ data: { organization: { login: org.login, membersWithRole: { edges } } } }));
    expect(p.of('identity').filter((i) => i.id.startsWith('github:user:')).map((i) => [i.id, i.email, (i.attributes as { role?: string }).role])).toEqual([
      ['github:user:hjsimpson', 'hjsimpson@burns.corp', 'member'], ['github:user:lmsimpson', 'lmsimpson@simpson.corp', 'member'], ['github:user:mbsimpson', 'mbsimpson@simpson.corp', 'admin'],
    ]);
    expect(p.edge('github:user:mbsimpson', 'member_of', 'github:org:simpsoncorp')).toMatchObject({ attributes: { role: 'admin' } });
    expect(p.identity('github:user:mbsimpson')).toMatchObject({ attributes: { twoFactor: true, emails: ['mbsimpson@simpson.corp'] } });
  });
});
