import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/gcp-iam/index.js';
import { rolePrivilege } from '../../../src/connectors/gcp-common/roles.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, fixture, fixtureText, fuzzConnector, parseFile, parseText } from '../github/harness.js';

const DEPLOYER = 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com';
const CI = 'gcp:sa:ci-runner@acme-prod.iam.gserviceaccount.com';
const KEY = (k: string) => `gcp:sa-key:projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com/keys/${k}`;

describe('gcp-iam: service accounts and keys', () => {
  it('detects gcloud and asset outputs, but not audit logs or Kubernetes objects naming an account', () => {
    const det = (head: string) => connector.detect({ path: 'x', name: 'x', head });
    for (const f of ['service-accounts.json', 'sa-keys.json', 'iam-policies.json', 'asset-export.ndjson']) expect(det(fixtureText('gcp', f)), f).toBe(0.8);
    expect(det(fixtureText('gcp', 'audit-log.json'))).toBe(0);
    expect(det(fixtureText('k8s', 'kubectl-get-all.json'))).toBe(0);
  });

  it('reads `gcloud iam service-accounts list` into service accounts by email', async () => {
    const p = await parseFile(connector, fixture('gcp', 'service-accounts.json'));
    expect(p.rejects).toEqual([]);
    expect(p.of('identity').map((i) => [i.id, i.status])).toEqual([
      [DEPLOYER, 'active'], [CI, 'active'], ['gcp:sa:legacy-export@acme-prod.iam.gserviceaccount.com', 'disabled'],
      ['gcp:sa:123456789012-compute@developer.gserviceaccount.com', 'active'],
    ]);
    expect(p.identity(DEPLOYER)).toMatchObject({
      kind: 'service_account', provider: 'gcp', name: 'Payments deployer', email: 'deployer@acme-prod.iam.gserviceaccount.com', account: 'acme-prod',
      attributes: { uniqueId: '100000000000000001001', googleManaged: false, description: 'Deploys payments' },
    });
    expect(p.identity('gcp:sa:123456789012-compute@developer.gserviceaccount.com')).toMatchObject({ attributes: { googleManaged: true } });
  });

  it('reads keys: validAfter/validBefore as created/expires, user- vs Google-managed, never-expiring keys', async () => {
    const p = await parseFile(connector, fixture('gcp', 'sa-keys.json'));
    expect(p.rejects.map((r) => r.reject)).toEqual(['name: cannot tell the service account of key notanaccount (unique id - is not in the file)']);
    expect(p.of('credential').map((c) => [c.id, c.type, c.createdAt, c.expiresAt, c.status, (c.attributes as { managedBy: string }).managedBy])).toEqual([
      [KEY('3f1c7e5a9b2d4c6e8f0a1b2c3d4e5f6a7b8c9d0e'), 'service_account_key', '2021-06-01T12:00:00.000Z', null, 'active', 'user'],
      [KEY('a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0'), 'service_account_key', '2024-05-01T00:00:00.000Z', '2024-05-17T00:00:00.000Z', 'expired', 'google'],
      [KEY('0000aaaa1111bbbb2222cccc3333dddd4444eeee'), 'service_account_key', '2023-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 'expired', 'user'],
      [KEY('ffff0000eeee1111dddd2222cccc3333bbbb4444'), 'service_account_key', '2022-03-01T00:00:00.000Z', null, 'inactive', 'user'],
    ]);
    expect(p.of('credential')[0]).toMatchObject({ identityId: DEPLOYER, fingerprint: fingerprint(KEY('3f1c7e5a9b2d4c6e8f0a1b2c3d4e5f6a7b8c9d0e')), attributes: { neverExpires: true, keyType: 'USER_MANAGED' } });
    expect(p.edge(DEPLOYER, 'owns_credential', KEY('3f1c7e5a9b2d4c6e8f0a1b2c3d4e5f6a7b8c9d0e'))).toBeDefined();
  });
});

describe('gcp-iam: IAM policies', () => {
  const load = () => parseFile(connector, fixture('gcp', 'iam-policies.json'));

  it('turns each binding into entitlements with privilege levels, on the resource the key names', async () => {
    const p = await load();
    expect(p.rejects).toEqual([]);
    expectValid(p.items);
    const project = '//cloudresourcemanager.googleapis.com/projects/acme-prod';
    const ent = (id: string, role: string) => p.of('entitlement').find((e) => e.identityId === id && e.actions![0] === role);
    expect(ent('gcp:user:carol@acme.example', 'roles/owner')).toMatchObject({ resources: [project], privilege: 'admin', via: 'role_binding', viaId: 'roles/owner', sourcePolicy: `gcp:iam-policy:${project}` });
    expect(ent(CI, 'roles/editor')).toMatchObject({ privilege: 'privesc' });
    expect(ent('gcp:domain:acme.example', 'roles/viewer')).toMatchObject({ privilege: 'read' });
    expect(ent(DEPLOYER, 'roles/secretmanager.secretAccessor')).toMatchObject({ privilege: 'credential' });
    expect(ent('gcp:principal:allUsers', 'roles/storage.objectViewer')).toMatchObject({ privilege: 'read' });
    expect(p.identity('gcp:user:former@acme.example')).toMatchObject({ attributes: { deleted: true } });
    expect(p.of('policy').find((x) => x.id === `gcp:iam-policy:${project}`)).toMatchObject({ kind: 'resource', attributes: { bindings: 5, unrecognisedMembers: ['mystery:thing'] } });
  });

  it('makes token creator and service account user `impersonates` edges to the account, with the binding condition', async () => {
    const p = await load();
    const policy = 'gcp:iam-policy://iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com';
    expect(p.edge(CI, 'impersonates', DEPLOYER)).toMatchObject({ evidence: [policy], attributes: { role: 'roles/iam.serviceAccountTokenCreator', grantedOn: 'service_account' } });
    expect(p.edge('gcp:group:sre@acme.example', 'impersonates', DEPLOYER)).toBeDefined();
    expect(p.edge('gcp:user:bob@acme.example', 'impersonates', DEPLOYER)).toMatchObject({ conditions: { title: 'until June' } });
  });

  it('makes workload identity bindings `federates_to` from GitHub workflows and GKE service accounts', async () => {
    const p = await load();
    expect(p.edge('github:workflow:acme/payments-api', 'federates_to', DEPLOYER)).toMatchObject({ conditions: { pool: 'github-pool', attribute: 'repository' } });
    expect(p.edge('github:workflow:acme/infra', 'federates_to', DEPLOYER)).toMatchObject({ conditions: { sub: 'repo:acme/infra:environment:prod', pool: 'github-pool' } });
    expect(p.identity('github:workflow:acme/infra')).toMatchObject({ kind: 'workload', provider: 'github', origin: 'derived' });
    const ksa = 'gcp:gke-ksa:acme-analytics/analytics/reporting';
    expect(p.edge(ksa, 'federates_to', 'gcp:sa:reporting@acme-analytics.iam.gserviceaccount.com')).toMatchObject({
      conditions: { kubernetesUsername: 'system:serviceaccount:analytics:reporting', workloadPool: 'acme-analytics.svc.id.goog' },
    });
  });

  it('rejects a getIamPolicy output that does not say whose policy it is', async () => {
    const p = await parseText(connector, 'policy.json', JSON.stringify({ version: 1, etag: 'x', bindings: [{ role: 'roles/owner', members: ['user:a@b.c'] }] }));
    expect(p.rejects).toEqual([expect.objectContaining({ reject: expect.stringMatching(/^missing resource: a bare getIamPolicy output/) })]);
  });
});

describe('gcp-iam: Cloud Asset Inventory export', () => {
  it('resolves accounts named by unique id and fans a project-wide token creator out to the project\'s accounts', async () => {
    const p = await parseFile(connector, fixture('gcp', 'asset-export.ndjson'));
    expect(p.rejects).toEqual([]);
    // roles/iam.serviceAccountTokenCreator on the project reaches every account of the project in the file.
    expect(p.edge('gcp:group:sre@acme.example', 'impersonates', DEPLOYER)).toMatchObject({ attributes: { grantedOn: 'project' } });
    expect(p.edge('gcp:group:sre@acme.example', 'impersonates', CI)).toMatchObject({ attributes: { grantedOn: 'project' } });
    // The policy on account 1002 (by unique id) is the ci-runner's.
    expect(p.edge('gcp:user:dave@acme.example', 'impersonates', CI)).toMatchObject({ attributes: { role: 'roles/iam.serviceAccountUser' } });
    expect(p.of('entitlement').find((e) => e.identityId === 'gcp:user:dave@acme.example' && e.actions![0] === 'roles/iam.serviceAccountKeyAdmin')).toMatchObject({ privilege: 'credential' });
    // An account the file never lists keeps its unique id.
    expect(p.edge('gcp:user:erin@acme.example', 'impersonates', 'gcp:sa-uid:100000000000000009999')).toBeDefined();
    expect(p.of('resource')).toEqual([expect.objectContaining({ id: '//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/web-1', type: 'compute.googleapis.com/Instance', account: 'acme-prod' })]);
  });
});

describe('gcp-iam: role privilege', () => {
  it('reads predefined roles by name and custom roles by their permissions', () => {
    expect(rolePrivilege('roles/owner')).toBe('admin');
    expect(rolePrivilege('roles/iam.serviceAccountTokenCreator')).toBe('credential');
    expect(rolePrivilege('roles/resourcemanager.projectIamAdmin')).toBe('privesc');
    expect(rolePrivilege('roles/storage.admin')).toBe('admin');
    expect(rolePrivilege('roles/bigquery.dataViewer')).toBe('read');
    expect(rolePrivilege('roles/run.invoker')).toBe('write');
    expect(rolePrivilege('projects/p/roles/custom', ['storage.buckets.get', 'storage.buckets.list'])).toBe('read');
    expect(rolePrivilege('projects/p/roles/custom', ['storage.objects.create'])).toBe('write');
    expect(rolePrivilege('projects/p/roles/custom', ['iam.serviceAccountKeys.create'])).toBe('credential');
    expect(rolePrivilege('projects/p/roles/custom', ['resourcemanager.projects.setIamPolicy'])).toBe('privesc');
  });
});

describe('gcp-iam: fuzz', () => {
  it('survives truncation and mutation of IAM policies and keys', async () => {
    await fuzzConnector(connector, 'p.json', fixtureText('gcp', 'iam-policies.json'), 120);
    await fuzzConnector(connector, 'k.json', fixtureText('gcp', 'sa-keys.json'), 80);
    await fuzzConnector(connector, 'a.ndjson', fixtureText('gcp', 'asset-export.ndjson'), 80);
  });
});

const CARTO = dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'gcp');

describe.skipIf(!hasDatasets)(`gcp-iam on Cartography's GCP fixtures${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  const load = (f: string) => JSON.parse(readFileSync(join(CARTO, f), 'utf8'));
  const parseJson = (v: unknown) => parseText(connector, 'carto.json', JSON.stringify(v));

  it('reads the REST and Cloud Asset Inventory service account listings to the same identities', async () => {
    const iam = load('iam.json');
    const rest = await parseJson(iam.LIST_SERVICE_ACCOUNTS_RESPONSE);
    const cai = await parseJson(iam.CAI_SERVICE_ACCOUNTS_RESPONSE);
    const ids = ['gcp:sa:service-account-1@project-abc.iam.gserviceaccount.com', 'gcp:sa:service-account-2@project-abc.iam.gserviceaccount.com'];
    expect(rest.of('identity').map((i) => i.id)).toEqual(ids);
    expect(cai.of('identity').map((i) => i.id)).toEqual(ids);
    expect(cai.identity(ids[1])).toMatchObject({ status: 'disabled', account: 'project-abc', attributes: { uniqueId: '998877665544332211' } });
    const keys = await parseJson(iam.LIST_SERVICE_ACCOUNT_KEYS_RESPONSE);
    expect(keys.of('credential').map((c) => [c.identityId, c.expiresAt, (c.attributes as { keyType: string }).keyType])).toEqual([
      [ids[0], '2024-01-01T00:00:00.000Z', 'SYSTEM_MANAGED'],
      [ids[0], '2024-02-01T00:00:00.000Z', 'USER_MANAGED'],
    ]);
    const roles = await parseJson(iam.LIST_ROLES_RESPONSE);
    expect(roles.of('policy').map((r) => [r.id, (r.attributes as { privilege: string }).privilege])).toEqual([
      ['projects/project-abc/roles/customRole1', 'read'], ['roles/editor', 'privesc'], ['projects/project-abc/roles/customRole2', 'read'],
    ]);
  });

  it('reads effective IAM policies: entitlements per member, token creator impersonation across the project', async () => {
    const pb = load('policy_bindings.json');
    const p = await parseJson([{ accounts: pb.MOCK_IAM_SERVICE_ACCOUNTS }, pb.MOCK_POLICY_BINDINGS_RESPONSE, pb.MOCK_INHERITED_POLICY_BINDINGS_RESPONSE]);
    expect(p.rejects).toEqual([]);
    expectValid(p.items);
    const SA = 'gcp:sa:sa@project-abc.iam.gserviceaccount.com';
    expect(p.edge('gcp:user:bob@example.com', 'impersonates', SA)).toMatchObject({ attributes: { grantedOn: 'project', role: 'roles/iam.serviceAccountTokenCreator' } });
    const ents = (id: string) => p.of('entitlement').filter((e) => e.identityId === id).map((e) => [e.actions![0], e.resources![0], e.privilege]);
    expect(ents('gcp:user:alice@example.com')).toEqual([
      ['roles/editor', '//cloudresourcemanager.googleapis.com/projects/project-abc', 'privesc'],
      ['roles/test.gcp_extended', '//cloudresourcemanager.googleapis.com/projects/project-abc', 'write'],
      ['roles/storage.objectViewer', '//storage.googleapis.com/buckets/test-bucket', 'read'],
      ['roles/viewer', '//cloudresourcemanager.googleapis.com/organizations/1337', 'read'],
      ['roles/viewer', '//cloudresourcemanager.googleapis.com/folders/1414', 'read'],
    ]);
    expect(p.of('entitlement').find((e) => e.identityId === 'gcp:user:bob@example.com' && e.actions![0] === 'roles/storage.admin')).toMatchObject({
      conditions: { title: 'Expires on 2024-12-31' }, privilege: 'admin',
    });
    expect(p.of('entitlement').find((e) => e.identityId === 'gcp:principal:allUsers')).toMatchObject({ resources: ['//storage.googleapis.com/buckets/test-bucket'] });
  });

  it('maps workload identity pool members to GitHub identities, and GitHub pools by their issuer', async () => {
    const wi = load('workload_identity.json');
    const sa = 'projects/example-project/serviceAccounts/deployer@example-project.iam.gserviceaccount.com';
    const p = await parseJson([
      wi.LIST_WORKLOAD_IDENTITY_POOLS_RESPONSE,
      ...Object.values(wi.LIST_WORKLOAD_IDENTITY_PROVIDERS_RESPONSE as Record<string, unknown>),
      { [sa]: { bindings: [{ role: 'roles/iam.workloadIdentityUser', members: wi.WIF_BINDING_MEMBERS }] } },
    ]);
    expect(p.rejects).toEqual([]);
    const target = 'gcp:sa:deployer@example-project.iam.gserviceaccount.com';
    expect(p.edge('github:workflow:subimagesec/cartography', 'federates_to', target)).toMatchObject({ conditions: { sub: 'repo:subimagesec/cartography:ref:refs/heads/main', pool: 'github-pool' } });
    expect(p.edge('github:oidc:repo:subimagesec/*', 'federates_to', target)).toMatchObject({ conditions: { attribute: 'repository_owner' } });
    expect(p.identity('gcp:wif-provider:projects/123456789012/locations/global/workloadIdentityPools/github-pool/providers/github-oidc')).toMatchObject({
      kind: 'oauth_app', attributes: { federation: 'oidc', issuer: 'https://token.actions.githubusercontent.com', attributeCondition: "assertion.repository_owner == 'subimagesec'" },
    });
    expect(p.identity('gcp:wif-provider:projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws-prod')).toMatchObject({ attributes: { federation: 'aws', awsAccount: '111122223333' } });
    expect(p.of('resource').map((r) => r.id)).toEqual([
      'gcp:wif-pool:projects/123456789012/locations/global/workloadIdentityPools/github-pool',
      'gcp:wif-pool:projects/123456789012/locations/global/workloadIdentityPools/aws-pool',
    ]);
  });

  it('reads API keys as credentials that belong to no principal', async () => {
    const p = await parseJson(load('apikeys.json').LIST_API_KEYS_RESPONSE);
    expect(p.of('identity').map((i) => [i.id, (i.attributes as { restricted: boolean }).restricted])).toEqual([
      ['gcp:api-key:projects/test-project-123/locations/global/keys/key-abc', false],
      ['gcp:api-key:projects/test-project-123/locations/global/keys/key-def', true],
    ]);
    expect(p.of('credential')[0]).toMatchObject({ type: 'api_token', createdAt: '2024-01-01T00:00:00.000Z' });
  });
});
