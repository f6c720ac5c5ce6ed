import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/k8s-rbac/index.js';
import { principalOf } from '../../../src/connectors/k8s-common/ids.js';
import { fingerprint } from '../../../src/lib/secrets.js';
import { PRIVILEGE_RANK, type Privilege } from '../../../src/model/index.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, fixture, fixtureText, fuzzConnector, parseFile, parseText, parsedOf, type Parsed } from '../github/harness.js';

const C = 'prod-payments';
const sa = (ns: string, name: string, cluster = C) => `k8s:serviceaccount:${cluster}/${ns}/${name}`;

describe('k8s-rbac: kubectl get -o json', () => {
  const load = () => parseFile(connector, fixture('k8s', 'kubectl-get-all.json'), { cluster: C });

  it('detects kubectl lists, YAML manifests and the Python client, and not audit logs', () => {
    const det = (head: string) => connector.detect({ path: 'x', name: 'x', head });
    expect(det(fixtureText('k8s', 'kubectl-get-all.json'))).toBe(0.9);
    expect(det(fixtureText('k8s', 'manifests.yaml'))).toBe(0.9);
    expect(det('[{"__type__": "V1RoleBinding", "metadata": {}}]')).toBe(0.85);
    expect(det(fixtureText('k8s', 'kube-apiserver-audit.jsonl'))).toBe(0);
    expect(det('{"Records": [{"eventVersion": "1.08"}]}')).toBe(0);
  });

  it('reads every object, rejecting only the binding without a roleRef', async () => {
    const p = await load();
    expect(p.items).toHaveLength(21);
    expect(p.rejects).toEqual([expect.objectContaining({ index: 20, reject: 'missing roleRef' })]);
    expectValid(p.items);
  });

  it('maps service accounts and their IRSA, GKE and Azure workload-identity annotations to federates_to', async () => {
    const p = await load();
    expect(p.identity(sa('payments', 'payments-api'))).toMatchObject({
      kind: 'service_account', provider: 'k8s', name: 'payments-api', account: C, createdAt: '2024-03-01T10:00:00.000Z',
      tags: { app: 'payments-api', team: 'payments' }, attributes: { namespace: 'payments', automountToken: true, cluster: C },
    });
    expect(p.edge(sa('payments', 'payments-api'), 'federates_to', 'arn:aws:iam::111122223333:role/payments-api-irsa')).toMatchObject({
      conditions: { sub: 'system:serviceaccount:payments:payments-api', audience: 'sts.amazonaws.com' }, attributes: { annotation: 'eks.amazonaws.com/role-arn' },
    });
    expect(p.identity('arn:aws:iam::111122223333:role/payments-api-irsa')).toMatchObject({ kind: 'role', provider: 'aws', account: '111122223333', origin: 'derived' });
    expect(p.edge(sa('analytics', 'reporting'), 'federates_to', 'gcp:sa:reporting@acme-analytics.iam.gserviceaccount.com')).toBeDefined();
    expect(p.identity('gcp:sa:reporting@acme-analytics.iam.gserviceaccount.com')).toMatchObject({ email: 'reporting@acme-analytics.iam.gserviceaccount.com', account: 'acme-analytics' });
    expect(p.edge(sa('billing', 'billing-sync'), 'federates_to', 'entra:app:6f0e3b52-5a5c-4d6a-9b0e-7b9c2d1e4f00')).toMatchObject({
      conditions: { sub: 'system:serviceaccount:billing:billing-sync', tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
    });
    expect(p.of('edge').filter((e) => e.kind === 'federates_to' && e.from.startsWith('k8s:serviceaccount:'))).toHaveLength(3);
  });

  it('classifies each rule: secrets read is credential, creating pods or impersonating is privesc, * on * is admin', async () => {
    const p = await load();
    const ents = (id: string) => p.of('entitlement').filter((e) => e.identityId === id);
    const reader = ents(`k8s:role:${C}/payments/secret-reader`);
    expect(reader.map((e) => [e.actions, e.resources, e.privilege])).toEqual([
      [['secrets:get', 'secrets:list'], [`k8s:namespace:${C}/payments`], 'credential'],
      [['configmaps:get'], [`k8s:namespace:${C}/payments/configmaps/payments-config`], 'read'],
    ]);
    expect(ents(`k8s:clusterrole:${C}/pod-launcher`).map((e) => e.privilege)).toEqual(['privesc', 'read']);
    expect(ents(`k8s:clusterrole:${C}/impersonator`).map((e) => e.privilege)).toEqual(['privesc']);
    expect(ents(`k8s:clusterrole:${C}/cluster-admin`).map((e) => e.privilege)).toEqual(['admin', 'write']);
    expect(ents(`k8s:clusterrole:${C}/view-nodes`).map((e) => e.privilege)).toEqual(['read']);
    expect(p.identity(`k8s:clusterrole:${C}/cluster-admin`)).toMatchObject({ kind: 'role', attributes: { privilege: 'admin', rules: 2 } });
    expect(p.identity(`k8s:clusterrole:${C}/cluster-admin`)!.origin).toBeUndefined(); // inventory, the default
    expect(p.of('policy').find((x) => x.id === `k8s:role:${C}/payments/secret-reader`)).toMatchObject({ kind: 'role', provider: 'k8s' });
  });

  it('binds subjects to roles with member_of, scoping a RoleBinding to a ClusterRole to its namespace', async () => {
    const p = await load();
    expect(p.edge(sa('payments', 'payments-api'), 'member_of', `k8s:role:${C}/payments/secret-reader`)).toMatchObject({
      conditions: { namespace: 'payments' }, evidence: [`k8s:rolebinding:${C}/payments/payments-api-secrets`],
    });
    // A User subject spelled as a service-account username is that service account.
    expect(p.edge(sa('ci', 'deployer'), 'member_of', `k8s:clusterrole:${C}/pod-launcher`)).toMatchObject({ conditions: { namespace: 'payments' } });
    expect(p.edge(`k8s:group:${C}/payments-devs`, 'member_of', `k8s:clusterrole:${C}/pod-launcher`)).toBeDefined();
    expect(p.edge(`k8s:user:${C}/alice@acme.example`, 'member_of', `k8s:clusterrole:${C}/impersonator`)).toMatchObject({ conditions: null });
    expect(p.identity(`k8s:user:${C}/alice@acme.example`)).toMatchObject({ kind: 'human', email: 'alice@acme.example' });
    expect(p.edge(sa('argocd', 'argocd-application-controller'), 'member_of', `k8s:clusterrole:${C}/cluster-admin`)).toMatchObject({
      attributes: { bindingKind: 'ClusterRoleBinding', binding: `k8s:clusterrolebinding:${C}/break-glass` },
    });
  });

  it('makes pods and controllers run as their service account and reach the secrets they mount', async () => {
    const p = await load();
    const pod = `k8s:pod:${C}/payments/payments-api-7d9f8b6c5-x2k4p`;
    expect(p.edge(pod, 'runs_as', sa('payments', 'payments-api'))).toBeDefined();
    expect(p.edge(pod, 'can_access', `k8s:secret:${C}/payments/payments-db`)).toMatchObject({ attributes: { access: 'read' } });
    expect(p.identity(pod)).toMatchObject({ kind: 'workload', status: 'active', attributes: { controlledBy: 'ReplicaSet/payments-api-7d9f8b6c5', privileged: false } });
    // No serviceAccountName: the namespace's default account.
    expect(p.edge(`k8s:pod:${C}/payments/debug-shell`, 'runs_as', sa('payments', 'default'))).toBeDefined();
    expect(p.identity(`k8s:pod:${C}/payments/debug-shell`)).toMatchObject({ attributes: { privileged: true, hostPID: true } });
    expect(p.edge(`k8s:workload:${C}/analytics/deployment/reporting`, 'runs_as', sa('analytics', 'reporting'))).toBeDefined();
    expect(p.edge(`k8s:workload:${C}/analytics/deployment/reporting`, 'can_access', `k8s:secret:${C}/analytics/reporting-env`)).toBeDefined();
    expect(p.edge(`k8s:workload:${C}/billing/cronjob/nightly-billing`, 'runs_as', sa('billing', 'billing-sync'))).toBeDefined();
  });

  it('keeps a service-account token secret as a fingerprint only', async () => {
    const p = await load();
    const doc = JSON.parse(fixtureText('k8s', 'kubectl-get-all.json'));
    const token = doc.items.find((i: { kind: string }) => i.kind === 'Secret').data.token as string;
    expect(p.of('credential')).toEqual([expect.objectContaining({
      id: `k8s:sa-token:${C}/ci/ci-deployer-token`, identityId: sa('ci', 'deployer'), type: 'api_token', fingerprint: fingerprint(token), status: 'active',
    })]);
    expect(p.edge(sa('ci', 'deployer'), 'owns_credential', `k8s:sa-token:${C}/ci/ci-deployer-token`)).toBeDefined();
    const all = JSON.stringify(p.records);
    expect(all).not.toContain(token);
    expect(all).not.toContain(Buffer.from(token, 'base64').toString());
  });

  it('reads EKS aws-auth: AWS roles and users federate into Kubernetes users, system:masters is admin', async () => {
    const p = await load();
    expect(p.edge('arn:aws:iam::111122223333:role/PlatformAdmin', 'federates_to', `k8s:user:${C}/platform-admin`)).toMatchObject({ attributes: { via: 'mapRoles' } });
    expect(p.edge(`k8s:user:${C}/platform-admin`, 'member_of', `k8s:group:${C}/system:masters`)).toBeDefined();
    expect(p.of('entitlement').find((e) => e.identityId === `k8s:group:${C}/system:masters`)).toMatchObject({ privilege: 'admin', sourcePolicy: 'k8s:builtin:system:masters' });
    expect(p.edge('arn:aws:iam::111122223333:role/eks-node-role', 'federates_to', `k8s:user:${C}/system:node:{{EC2PrivateDNSName}}`)).toBeDefined();
    expect(p.identity(`k8s:user:${C}/system:node:{{EC2PrivateDNSName}}`)).toMatchObject({ kind: 'workload', attributes: { usernameTemplate: true } });
    expect(p.edge('arn:aws:iam::111122223333:user/ci-bot', 'federates_to', `k8s:user:${C}/ci-bot`)).toBeDefined();
    expect(p.edge(`k8s:user:${C}/ci-bot`, 'member_of', `k8s:group:${C}/payments-devs`)).toBeDefined();
    expect(p.of('resource').filter((r) => r.id === `k8s:configmap:${C}/kube-system/aws-auth`)).toHaveLength(1);
  });

  it('puts everything in the `default` cluster when neither the options nor the file name one', async () => {
    const p = await parseFile(connector, fixture('k8s', 'kubectl-get-all.json'));
    expect(p.identity('k8s:serviceaccount:default/payments/payments-api')).toBeDefined();
    expect(p.of('identity').every((i) => !i.id.startsWith('k8s:') || i.id.includes(':default/'))).toBe(true);
  });
});

describe('k8s-rbac: YAML manifests', () => {
  it('reads multi-document YAML with lines, namespaces defaulting to the binding, controllers and secret volumes', async () => {
    const p = await parseFile(connector, fixture('k8s', 'manifests.yaml'), { cluster: 'data-eks' });
    expect(p.rejects).toEqual([]);
    expect(p.items.map((i) => i.line)).toEqual([2, 10, 23, 36]);
    expectValid(p.items);
    const role = 'k8s:role:data-eks/data/token-minter';
    expect(p.of('entitlement').filter((e) => e.identityId === role).map((e) => [e.actions, e.privilege])).toEqual([
      [['serviceaccounts/token:create'], 'credential'],
      [['rbac.authorization.k8s.io/rolebindings:create', 'rbac.authorization.k8s.io/rolebindings:bind'], 'privesc'],
    ]);
    expect(p.edge('k8s:serviceaccount:data-eks/data/ingest-worker', 'member_of', role)).toBeDefined();
    expect(p.edge('k8s:serviceaccount:data-eks/data/ingest-worker', 'federates_to', 'arn:aws:iam::444455556666:role/data/ingest-worker')).toBeDefined();
    expect(p.identity('arn:aws:iam::444455556666:role/data/ingest-worker')).toMatchObject({ name: 'ingest-worker', account: '444455556666' });
    const sts = 'k8s:workload:data-eks/data/statefulset/ingest';
    expect(p.edge(sts, 'runs_as', 'k8s:serviceaccount:data-eks/data/ingest-worker')).toMatchObject({ attributes: { automountToken: false } });
    expect(p.edge(sts, 'can_access', 'k8s:secret:data-eks/data/ingest-creds')).toBeDefined();
  });

  it('fails a broken YAML file with its line, and rejects an object without a name', async () => {
    await expect(parseText(connector, 'bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n')).rejects.toThrow(/bad\.yaml:5:1: not valid YAML/);
    await expect(parseText(connector, 'text.yaml', 'just some words\n')).rejects.toThrow(/text\.yaml:1: expected a Kubernetes object/);
    const p = await parseText(connector, 'noname.yaml', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  namespace: x\n---\nkind: Role\n');
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing metadata.name', 'missing metadata.name']);
  });
});

describe('k8s-rbac: fuzz', () => {
  it('survives truncation and mutation of a kubectl list (FormatError or rejects only)', async () => {
    await fuzzConnector(connector, 'k.json', fixtureText('k8s', 'kubectl-get-all.json'), 120, { cluster: C });
  });
  it('survives truncation and mutation of YAML manifests', async () => {
    await fuzzConnector(connector, 'm.yaml', fixtureText('k8s', 'manifests.yaml'), 120);
  });
});

const CARTO = dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'kubernetes');
const KS = dataset('kubescape-regolibrary-rbac', 'rules');

describe.skipIf(!hasDatasets)(`k8s-rbac on Cartography's Kubernetes fixtures${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  const rbac = () => JSON.parse(readFileSync(join(CARTO, 'rbac.json'), 'utf8'));
  const parseJson = (value: unknown, cluster?: string) => parseText(connector, 'carto.json', JSON.stringify(value), cluster ? { cluster } : {});

  it('reads the Python client (snake_case) service accounts with the ids and cloud identities Cartography expects', async () => {
    const d = rbac();
    const p = await parseJson(d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNTS_RAW, 'my-cluster-1');
    expect(p.rejects).toEqual([]);
    const ids = p.of('identity').filter((i) => i.kind === 'service_account' && i.origin !== 'derived').map((i) => i.id);
    expect(ids).toEqual(d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNT_IDS.map((x: string) => `k8s:serviceaccount:${x}`));
    d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNT_ROLE_ARNS.forEach((arn: string | null, i: number) => {
      const from = `k8s:serviceaccount:${d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNT_IDS[i]}`;
      if (arn) expect(p.edge(from, 'federates_to', arn)).toBeDefined();
    });
    d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNT_GCP_EMAILS.forEach((email: string | null, i: number) => {
      const from = `k8s:serviceaccount:${d.KUBERNETES_CLUSTER_1_SERVICE_ACCOUNT_IDS[i]}`;
      if (email) expect(p.edge(from, 'federates_to', `gcp:sa:${email}`)).toBeDefined();
    });
    expect(p.of('edge').filter((e) => e.kind === 'federates_to')).toHaveLength(2);
    expect(p.identity('k8s:serviceaccount:my-cluster-1/demo-ns/another-sa')).toMatchObject({ attributes: { automountToken: false }, createdAt: '2024-09-04T18:44:57.000Z' });
  });

  it('binds the subjects of both clusters to their roles, users and groups by Cartography\'s ids', async () => {
    const d = rbac();
    for (const n of [1, 2]) {
      const cluster = `my-cluster-${n}`;
      const objects = [
        ...d[`KUBERNETES_CLUSTER_${n}_ROLES_RAW`], ...d[`KUBERNETES_CLUSTER_${n}_ROLE_BINDINGS_RAW`],
        ...d[`KUBERNETES_CLUSTER_${n}_CLUSTER_ROLES_RAW`], ...d[`KUBERNETES_CLUSTER_${n}_CLUSTER_ROLE_BINDINGS_RAW`],
      ];
      const p = await parseJson(objects, cluster);
      expect(p.rejects).toEqual([]);
      expectValid(p.items);
      const inventoried = (kind: string) => p.of('identity').filter((i) => i.kind === 'role' && i.origin !== 'derived' && i.id.startsWith(`k8s:${kind}:`)).map((i) => i.id.slice(`k8s:${kind}:`.length));
      expect(inventoried('role')).toEqual(d[`KUBERNETES_CLUSTER_${n}_ROLE_IDS`]);
      expect(inventoried('clusterrole')).toEqual(d[`KUBERNETES_CLUSTER_${n}_CLUSTER_ROLE_IDS`]);
      const users = [...new Set(p.of('identity').filter((i) => i.id.startsWith('k8s:user:')).map((i) => i.id.slice('k8s:user:'.length)))].sort();
      expect(users).toEqual([...d[`KUBERNETES_CLUSTER_${n}_USER_IDS`]].sort());
      const groups = [...new Set(p.of('identity').filter((i) => i.id.startsWith('k8s:group:')).map((i) => i.id.slice('k8s:group:'.length)))].sort();
      expect(groups).toEqual([...d[`KUBERNETES_CLUSTER_${n}_GROUP_IDS`]].sort());
    }
    const p1 = await parseJson([...d.KUBERNETES_CLUSTER_1_ROLE_BINDINGS_RAW, ...d.KUBERNETES_CLUSTER_1_CLUSTER_ROLE_BINDINGS_RAW, ...d.KUBERNETES_CLUSTER_1_CLUSTER_ROLES_RAW], 'my-cluster-1');
    expect(p1.edge('k8s:serviceaccount:my-cluster-1/demo-ns/demo-sa', 'member_of', 'k8s:role:my-cluster-1/demo-ns/pod-reader')).toBeDefined();
    expect(p1.edge('k8s:user:my-cluster-1/john.doe@company.com', 'member_of', 'k8s:role:my-cluster-1/demo-ns/pod-reader')).toBeDefined();
    expect(p1.edge('k8s:group:my-cluster-1/developers', 'member_of', 'k8s:role:my-cluster-1/demo-ns/pod-reader')).toBeDefined();
    expect(p1.edge('k8s:serviceaccount:my-cluster-1/demo-ns/demo-sa', 'member_of', 'k8s:clusterrole:my-cluster-1/cluster-admin')).toMatchObject({ conditions: null });
    expect(p1.edge('k8s:serviceaccount:my-cluster-1/test-ns/test-sa', 'member_of', 'k8s:clusterrole:my-cluster-1/pod-viewer')).toBeDefined();
    expect(p1.of('entitlement').find((e) => e.identityId === 'k8s:clusterrole:my-cluster-1/cluster-admin')).toMatchObject({ privilege: 'admin', actions: ['*/*:*'] });
  });

  it('maps the aws-auth ConfigMap and EKS access entries of the EKS fixture', async () => {
    const eks = JSON.parse(readFileSync(join(CARTO, 'eks.json'), 'utf8'));
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: eks.AWS_AUTH_CONFIGMAP_DATA };
    const p = await parseJson(cm, eks.TEST_CLUSTER_NAME);
    const T = eks.TEST_CLUSTER_NAME;
    expect(p.edge('arn:aws:iam::123456789012:role/EKSAdminRole', 'federates_to', `k8s:user:${T}/admin-user`)).toBeDefined();
    expect(p.edge(`k8s:user:${T}/admin-user`, 'member_of', `k8s:group:${T}/system:masters`)).toBeDefined();
    expect(p.edge(`k8s:user:${T}/bob-user`, 'member_of', `k8s:group:${T}/system:masters`)).toBeDefined();
    // No username: the principal enters under its ARN.
    expect(p.edge('arn:aws:iam::123456789012:role/EKSGroupOnlyRole', 'federates_to', `k8s:user:${T}/arn:aws:iam::123456789012:role/EKSGroupOnlyRole`)).toBeDefined();
    expect(p.edge(`k8s:user:${T}/arn:aws:iam::123456789012:role/EKSGroupOnlyRole`, 'member_of', `k8s:group:${T}/ci-cd`)).toBeDefined();
    expect(p.of('edge').filter((e) => e.kind === 'federates_to')).toHaveLength(11);

    const entries = await parseJson(eks.MOCK_ACCESS_ENTRIES);
    expect(entries.rejects).toEqual([]);
    expect(entries.edge('arn:aws:iam::123456789012:role/EKSAccessRole', 'federates_to', 'k8s:user:test-cluster/access-role-user')).toMatchObject({
      evidence: ['arn:aws:eks:us-west-2:123456789012:access-entry/test-cluster/role/123456789012/EKSAccessRole/ae-67890'],
    });
    expect(entries.edge('k8s:user:test-cluster/access-role-user', 'member_of', 'k8s:group:test-cluster/access-entry-admins')).toBeDefined();
    expect(entries.edge('arn:aws:iam::123456789012:user/bob', 'federates_to', 'k8s:user:test-cluster/bob-access-entry')).toBeDefined();
  });
});

/** What a kubescape control flags, as the least privilege our entitlements must show for the flagged subject. */
const KUBESCAPE_FLOOR: Record<string, Privilege> = {
  'cluster-admin-role': 'admin',
  'rule-list-all-cluster-admins-v1': 'admin',
  'rule-can-bind-escalate': 'privesc',
  'rule-can-create-pod': 'privesc',
  'rule-can-impersonate-users-groups-v1': 'privesc',
  'rule-can-access-proxy-subresource': 'privesc',
  'rule-can-approve-cert-signing-request': 'privesc',
  'rule-can-modify-admission-webhooks': 'privesc',
  'rule-can-list-get-secrets-v1': 'credential',
  'rule-can-create-service-account-token': 'credential',
  'rule-can-create-pv': 'write',
  'rule-can-delete-k8s-events-v1': 'write',
  'rule-can-portforward-v1': 'write',
  'rule-can-update-configmap-v1': 'write',
  'rule-excessive-delete-rights-v1': 'write',
};

async function parseTestInputs(dir: string): Promise<Parsed> {
  const items = [];
  for (const f of readdirSync(dir)) items.push(...(await parseFile(connector, join(dir, f))).items);
  return parsedOf(items);
}

/** The highest privilege a subject holds through the roles it is bound to. */
function privilegeOf(p: Parsed, subject: string): number {
  let best = -1;
  for (const m of p.of('edge').filter((e) => e.kind === 'member_of' && e.from === subject)) {
    for (const e of p.of('entitlement').filter((x) => x.identityId === m.to)) best = Math.max(best, PRIVILEGE_RANK[e.privilege]);
  }
  return best;
}

describe.skipIf(!hasDatasets)(`k8s-rbac on the kubescape regolibrary RBAC tests${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('reads every input manifest without a reject or a format error', async () => {
    let files = 0;
    for (const rule of readdirSync(KS)) {
      const tests = join(KS, rule, 'test');
      if (!existsSync(tests)) continue;
      for (const t of readdirSync(tests)) {
        const input = join(tests, t, 'input');
        if (!existsSync(input)) continue;
        for (const f of readdirSync(input)) {
          files++;
          const p = await parseFile(connector, join(input, f));
          expect(p.rejects, `${rule}/${t}/${f}`).toEqual([]);
          expect(p.records.length, `${rule}/${t}/${f}`).toBeGreaterThan(0);
          expectValid(p.items);
        }
      }
    }
    expect(files).toBe(198);
  });

  it('gives every subject a control flags at least the privilege the control is about', async () => {
    let checked = 0;
    for (const [rule, floor] of Object.entries(KUBESCAPE_FLOOR)) {
      const tests = join(KS, rule, 'test');
      for (const t of readdirSync(tests)) {
        const expected = JSON.parse(readFileSync(join(tests, t, 'expected.json'), 'utf8') || '[]') as { alertObject?: { externalObjects?: { kind?: string; name?: string; namespace?: string } } }[];
        if (!expected.length) continue;
        const p = await parseTestInputs(join(tests, t, 'input'));
        for (const a of expected) {
          const x = a.alertObject?.externalObjects;
          if (!x?.kind || !x.name) continue;
          const subject = x.kind === 'ServiceAccount' ? `k8s:serviceaccount:default/${x.namespace ?? 'default'}/${x.name}`
            : x.kind === 'Group' ? `k8s:group:default/${x.name}` : principalOf('default', x.name).id;
          expect(privilegeOf(p, subject), `${rule}/${t}: ${subject}`).toBeGreaterThanOrEqual(PRIVILEGE_RANK[floor]);
          checked++;
        }
      }
    }
    expect(checked).toBe(46);
  });

  it('finds the pod that runs as a service account bound to a role that can create pods', async () => {
    const p = await parseTestInputs(join(KS, 'workload-with-administrative-roles', 'test', 'fail-wl-creates-pod', 'input'));
    expect(p.edge('k8s:pod:default/default/test-pd', 'runs_as', 'k8s:serviceaccount:default/default/default')).toBeDefined();
    expect(p.edge('k8s:serviceaccount:default/default/default', 'member_of', 'k8s:clusterrole:default/test')).toBeDefined();
    expect(p.edge('k8s:group:default/manager', 'member_of', 'k8s:clusterrole:default/test')).toBeDefined();
    expect(privilegeOf(p, 'k8s:serviceaccount:default/default/default')).toBe(PRIVILEGE_RANK.admin);
    const pass = await parseTestInputs(join(KS, 'workload-with-administrative-roles', 'test', 'pass-wl-limited-permissions', 'input'));
    expect(privilegeOf(pass, 'k8s:serviceaccount:default/default/default')).toBeLessThan(PRIVILEGE_RANK.privesc);
  });

  it('names the subjects bound in another namespace by that namespace', async () => {
    const p = await parseTestInputs(join(KS, 'rule-can-bind-escalate', 'test', 'role-rolebinding', 'input'));
    expect(p.edge('k8s:user:default/jane', 'member_of', 'k8s:role:default/default/test')).toBeDefined();
    expect(p.of('entitlement').find((e) => e.identityId === 'k8s:role:default/default/test')).toMatchObject({ privilege: 'privesc' });
  });
});
