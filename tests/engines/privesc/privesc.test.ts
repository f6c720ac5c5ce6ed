import { afterAll, beforeAll, expect, it } from 'vitest';
import { effectivePermissions, evaluate } from '../../../src/engines/permissions/index.js';
import { parseCatalog, privesc, PrivescResult, type PrincipalEscalation } from '../../../src/engines/privesc/index.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { A, fixture, ingest, role, user } from './fixtures.js';

const K8S = (kind: string, rest: string) => `k8s:${kind}:prod/${rest}`;
const GCP_SA = (n: string) => `gcp:sa:${n}@acme-prod.iam.gserviceaccount.com`;
const GCP_USER = (n: string) => `gcp:user:${n}@acme.example`;

/** Paths as [from, via, to] triples, for exact comparisons. */
const hops = (p: PrincipalEscalation) => p.paths.map((x) => x.steps.map((s) => [s.from, s.via, s.to]));

describeStores('privilege escalation', (open) => {
  let db: Db;
  let all: PrivescResult;
  const get = (id: string) => {
    const p = all.principals.find((x) => x.id === id);
    if (!p) throw new Error(`${id} not in the result`);
    return p;
  };
  beforeAll(async () => {
    db = await open();
    await ingest(db, [fixture('authz-details.json'), fixture('gcp-iam.json')]);
    await ingest(db, [fixture('k8s-rbac.yaml')], { cluster: 'prod' });
    all = await privesc(db, { all: true });
    PrivescResult.parse(all);
  });
  afterAll(async () => db?.close());

  it('passes a role to new compute: one step to an administrator role', () => {
    const bob = get(user('bob'));
    expect(bob).toMatchObject({ isAdmin: false, reachesAdmin: true, steps: 1, escalation: 'definite', conditional: false });
    expect(bob.paths).toEqual([{ steps: [expect.objectContaining({
      from: user('bob'), to: role('ec2-admin'), via: 'aws-passrole-ec2', actions: ['iam:PassRole', 'ec2:RunInstances'], gains: 'identity', conditional: false,
    })] }]);
    // The policy that allows PassRole is named as evidence.
    expect(bob.paths[0].steps[0].evidence).toContain(`inline:${user('bob')}:provisioning`);
  });

  it('chains across principals: assume a role, then rewrite the policy it carries (two steps)', () => {
    const carol = get(user('carol'));
    expect(carol).toMatchObject({ steps: 2, escalation: 'definite' });
    expect(hops(carol)).toEqual([[
      [user('carol'), 'aws-assume-role', role('policy-editor')],
      [role('policy-editor'), 'aws-create-policy-version', role('policy-editor')],
    ]]);
    expect(carol.paths[0].steps[1]).toMatchObject({ gains: 'admin', actions: ['iam:CreatePolicyVersion'], evidence: expect.arrayContaining([`arn:aws:iam::${A}:policy/app-policy`]) });
  });

  it('finds credentials, group membership and PassRole limited to one service', () => {
    expect(hops(get(user('frank')))).toEqual([[[user('frank'), 'aws-create-access-key', user('erin')]]]);
    expect(hops(get(user('judy')))).toEqual([[[user('judy'), 'aws-add-user-to-group', `arn:aws:iam::${A}:group/admins`]]]);
    // iam:PassedToService = lambda: the EC2 administrator role cannot be passed.
    expect(hops(get(user('grace')))).toEqual([[[user('grace'), 'aws-passrole-lambda-invoke', role('lambda-admin')]]]);
  });

  it('lists every path, shortest first, and keeps conditional ones apart', () => {
    const heidi = get(user('heidi'));
    expect(heidi).toMatchObject({ steps: 1, conditional: false, escalation: 'definite', pathsFound: 2, truncated: false });
    expect(hops(heidi)).toEqual([
      [[user('heidi'), 'aws-assume-role', role('mfa-admin')]],
      [[user('heidi'), 'aws-assume-role', role('policy-editor')], [role('policy-editor'), 'aws-create-policy-version', role('policy-editor')]],
    ]);
    // The MFA condition of the trust policy is unknown: that step is conditional.
    expect(heidi.paths[0].steps[0].conditional).toBe(true);
    expect(heidi.paths[1].steps.every((s) => !s.conditional)).toBe(true);
  });

  it('labels escalations that need unknown facts conditional', () => {
    expect(get(user('oscar'))).toMatchObject({ reachesAdmin: true, conditional: true, escalation: 'conditional' });
    expect(hops(get(user('oscar')))).toEqual([[[user('oscar'), 'aws-attach-user-policy', user('oscar')]]]);
    // Every IAM write is denied but SetDefaultPolicyVersion: only an older policy version could help.
    expect(hops(get(user('dave')))).toEqual([[[user('dave'), 'aws-set-default-policy-version', user('dave')]]]);
    expect(get(user('dave'))).toMatchObject({ conditional: true, escalation: 'conditional' });
    const ivan = get(user('ivan'));
    expect(ivan).toMatchObject({ conditional: true, escalation: 'conditional' });
    expect(new Set(ivan.paths.map((p) => p.steps[0].to))).toEqual(new Set([role('ec2-admin'), role('lambda-admin')]));
    expect(ivan.paths.map((p) => p.steps[0].via)).toContain('aws-lambda-update-code');
  });

  it('does not escalate through a boundary, an unmet tag condition or a foreign trust', () => {
    for (const id of [user('alice'), user('mallory'), role('ext-audit')]) expect(get(id)).toMatchObject({ reachesAdmin: false, steps: null, paths: [] });
    expect(get(user('erin'))).toMatchObject({ isAdmin: true, reachesAdmin: true, steps: 0, escalation: 'none' });
  });

  it('joins delegation to escalation: an identity provider trusted by a role that can rewrite itself', () => {
    expect(hops(get(role('deployer', '/ci/')))).toEqual([[[role('deployer', '/ci/'), 'aws-put-role-policy', role('deployer', '/ci/')]]]);
    const oidc = get(`arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com`);
    expect(oidc).toMatchObject({ steps: 2, conditional: true, escalation: 'conditional' });
    expect(oidc.paths[0].steps.map((s) => s.via)).toEqual(['can_assume', 'aws-put-role-policy']);
  });

  it('reaches cluster-admin in Kubernetes through pods, secrets, impersonation and bind', () => {
    expect(get(K8S('serviceaccount', 'apps/deployer'))).toMatchObject({ isAdmin: true });
    expect(hops(get(K8S('serviceaccount', 'apps/ci-bot')))).toEqual([
      [[K8S('serviceaccount', 'apps/ci-bot'), 'k8s-create-pods', K8S('serviceaccount', 'apps/deployer')]],
      [[K8S('serviceaccount', 'apps/ci-bot'), 'k8s-create-pods', K8S('serviceaccount', 'apps/reader')], [K8S('serviceaccount', 'apps/reader'), 'k8s-read-secrets', K8S('serviceaccount', 'apps/deployer')]],
    ]);
    expect(get(K8S('serviceaccount', 'apps/ci-bot')).paths[0].steps[0].evidence).toEqual(['k8s:rolebinding:prod/apps/ci-bot-pods', 'k8s:clusterrole:prod/pod-creator']);
    expect(hops(get(K8S('user', 'eve@example.com')))[0]).toEqual([[K8S('user', 'eve@example.com'), 'k8s-impersonate-groups', K8S('user', 'eve@example.com')]]);
    expect(hops(get(K8S('user', 'frank@example.com')))).toEqual([[[K8S('user', 'frank@example.com'), 'k8s-bind-cluster-role', K8S('user', 'frank@example.com')]]]);
    // Pod creation in another namespace, exec into a pod whose account is not admin, nodes/proxy alone: no path.
    for (const id of [K8S('serviceaccount', 'monitoring/metrics'), K8S('user', 'gina@example.com'), K8S('serviceaccount', 'apps/web-sa')]) {
      expect(get(id)).toMatchObject({ reachesAdmin: false });
    }
  });

  it('reaches an owner service account in GCP through impersonation chains, keys and policy rewrites', () => {
    expect(get(GCP_SA('owner-sa'))).toMatchObject({ isAdmin: true });
    expect(hops(get(GCP_USER('alice')))).toEqual([[
      [GCP_USER('alice'), 'gcp-impersonate', GCP_SA('builder')],
      [GCP_SA('builder'), 'gcp-impersonate', GCP_SA('owner-sa')],
    ]]);
    expect(get(GCP_USER('alice')).paths[0].steps[0].actions).toContain('iam.serviceAccounts.getAccessToken');
    expect(hops(get(GCP_USER('bob')))).toEqual([[[GCP_USER('bob'), 'gcp-set-iam-policy', GCP_USER('bob')]]]);
    expect(hops(get(GCP_USER('carol')))[0]).toEqual([[GCP_USER('carol'), 'gcp-create-key', GCP_SA('owner-sa')]]);
    expect(get(GCP_USER('erin'))).toMatchObject({ reachesAdmin: true, conditional: true });
    expect(get(GCP_USER('dan'))).toMatchObject({ reachesAdmin: false });
  });

  it('counts principals, administrators and escalations', () => {
    expect(all.totals).toEqual({ principals: 39, admins: 6, reachAdmin: 28, escalate: 18, escalateDefinite: 14 });
    expect(all.limits).toEqual({ maxDepth: 5, maxPaths: 25 });
  });

  it('lists only who escalates or reaches admin by default, and one principal on request', async () => {
    const r = await privesc(db);
    expect(r.principals.every((p) => p.reachesAdmin && !p.isAdmin)).toBe(true);
    expect(r.principals.length).toBe(all.totals.reachAdmin - all.totals.admins);
    expect(r.principals[0].steps).toBe(1);
    const one = await privesc(db, { id: user('alice') });
    expect(one.principals).toEqual([expect.objectContaining({ id: user('alice'), reachesAdmin: false })]);
    await expect(privesc(db, { id: user('nobody') })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('bounds depth and paths, and reports the cut', async () => {
    const shallow = await privesc(db, { id: user('carol'), maxDepth: 1 });
    expect(shallow.principals[0]).toMatchObject({ reachesAdmin: false });
    const capped = await privesc(db, { id: K8S('serviceaccount', 'apps/ci-bot'), maxPaths: 1 });
    expect(capped.principals[0]).toMatchObject({ pathsFound: 2, truncated: true });
    expect(capped.principals[0].paths).toHaveLength(1);
  });

  it('evaluates requests for AWS principals only, and summarises the others from their entitlements', async () => {
    await expect(evaluate(db, K8S('serviceaccount', 'apps/ci-bot'), 's3:GetObject', '*')).rejects.toMatchObject({ code: 'E_USAGE' });
    const bot = await effectivePermissions(db, K8S('serviceaccount', 'apps/ci-bot'));
    expect(bot).toMatchObject({ provider: 'k8s', admin: false, privilege: 'privesc' });
    expect(bot.services.find((s) => s.service === 'pods')).toMatchObject({ privilege: 'privesc', sample: ['pods:create', 'pods:get', 'pods:list'] });
    const bob = await effectivePermissions(db, GCP_USER('bob'));
    expect(bob.services.map((s) => [s.service, s.privilege])).toEqual([['resourcemanager', 'privesc']]);
    expect((await effectivePermissions(db, GCP_SA('owner-sa'))).admin).toBe(true);
  });

  it('uses only the methods of the catalogue it is given', async () => {
    const catalog = parseCatalog([
      'version: 1', 'methods:',
      '  - { id: only-assume, provider: aws, name: Assume, requires: [sts:AssumeRole], target: role, yields: assume }',
      '  - { id: only-cpv, provider: aws, name: Rewrite, requires: [iam:CreatePolicyVersion], target: policy, yields: grant }',
    ].join('\n'), 'inline.yaml', 'inline.yaml');
    const r = await privesc(db, { catalog, all: true });
    const find = (id: string) => r.principals.find((p) => p.id === id)!;
    expect(find(user('bob')).reachesAdmin).toBe(false);
    expect(hops(find(user('carol')))).toEqual([[[user('carol'), 'only-assume', role('policy-editor')], [role('policy-editor'), 'only-cpv', role('policy-editor')]]]);
    expect(r.catalog).toMatchObject({ origin: 'inline.yaml', format: 'idcopilot', methods: 2 });
  });
});
