import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sRisks } from '../../../src/engines/privesc/k8s-rbac.js';
import { openStore, type Db } from '../../../src/store/index.js';
import { dataset, hasDatasets, SKIP_DATASETS } from '../../helpers/datasets.js';
import { ingest } from './fixtures.js';

/**
 * Kubernetes RBAC risks against the kubescape regolibrary's own test cases: each case's manifests are
 * ingested as a cluster of their own, and the subjects we flag for a risk must be exactly the subjects
 * kubescape's expected.json alerts on.
 */
const RULES = dataset('kubescape-regolibrary-rbac/rules');

/** kubescape rule -> our risk (and, for the rule that reports two, the word its alert uses). */
const COVERED: Record<string, Array<{ risk: string; word?: string }>> = {
  'cluster-admin-role': [{ risk: 'cluster-admin-binding' }],
  'rule-list-all-cluster-admins-v1': [{ risk: 'wildcard-admin' }],
  'rule-can-list-get-secrets-v1': [{ risk: 'secrets-read' }],
  'rule-can-create-pod': [{ risk: 'pods-create' }],
  'rule-can-impersonate-users-groups-v1': [{ risk: 'impersonate' }],
  'rule-can-bind-escalate': [{ risk: 'bind', word: 'can bind' }, { risk: 'escalate', word: 'can escalate' }],
  'rule-can-portforward-v1': [{ risk: 'pods-portforward' }],
  'rule-can-delete-k8s-events-v1': [{ risk: 'events-delete' }],
  'rule-can-access-proxy-subresource': [{ risk: 'nodes-proxy' }],
  'rule-can-approve-cert-signing-request': [{ risk: 'csr-approve' }],
  'rule-can-create-pv': [{ risk: 'pv-create' }],
  'rule-can-create-service-account-token': [{ risk: 'token-create' }],
  'rule-can-modify-admission-webhooks': [{ risk: 'webhooks-modify' }],
  'rule-can-update-configmap-v1': [{ risk: 'coredns-configmap-update' }],
  'rule-excessive-delete-rights-v1': [{ risk: 'delete-important' }],
};

interface Case { rule: string; name: string; cluster: string; files: string[]; expected: Array<{ alertMessage: string; alertObject?: { externalObjects?: { kind: string; name: string; namespace?: string } } }> }

function cases(): Case[] {
  const out: Case[] = [];
  for (const rule of Object.keys(COVERED)) {
    const dir = join(RULES, rule, 'test');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const input = join(dir, name, 'input');
      out.push({
        rule, name, cluster: `${rule}.${name}`,
        files: readdirSync(input).sort().map((f) => join(input, f)),
        expected: JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')),
      });
    }
  }
  return out;
}

function subjectId(cluster: string, o: { kind: string; name: string; namespace?: string }): string {
  if (o.kind === 'ServiceAccount') return `k8s:serviceaccount:${cluster}/${o.namespace ?? 'default'}/${o.name}`;
  return `k8s:${o.kind.toLowerCase()}:${cluster}/${o.name}`;
}

describe.skipIf(!hasDatasets)(`Kubernetes RBAC risks vs kubescape ${hasDatasets ? '' : SKIP_DATASETS}`, () => {
  let db: Db;
  let all: Case[];
  let risks: Map<string, string[]>;
  beforeAll(async () => {
    all = cases();
    db = await openStore({ data: ':memory:' });
    for (const c of all) await ingest(db, c.files, { cluster: c.cluster });
    risks = await k8sRisks(db);
  });
  afterAll(async () => db?.close());

  it('flags exactly the subjects kubescape alerts on, case by case', () => {
    let agree = 0;
    let checks = 0;
    let alerts = 0;
    const disagreements: string[] = [];
    for (const c of all) {
      for (const { risk, word } of COVERED[c.rule]) {
        const expected = new Set(c.expected.filter((a) => !word || a.alertMessage.includes(word)).map((a) => subjectId(c.cluster, a.alertObject!.externalObjects!)));
        alerts += expected.size;
        const ours = new Set([...risks].filter(([id, r]) => id.includes(`:${c.cluster}/`) && r.includes(risk)).map(([id]) => id));
        checks++;
        if (expected.size === ours.size && [...expected].every((e) => ours.has(e))) agree++;
        else disagreements.push(`${c.rule}/${c.name} (${risk}): kubescape ${[...expected].join(', ') || 'none'}; ours ${[...ours].join(', ') || 'none'}`);
      }
    }
    console.log(`kubescape agreement: ${agree}/${checks} (rule, case) checks over ${Object.keys(COVERED).length} rules, ${alerts} expected alerts`);
    for (const d of disagreements) console.log(`  disagreement: ${d}`);
    expect(all).toHaveLength(44);
    expect(checks).toBe(46);
    expect(alerts).toBe(46);
    expect(disagreements).toEqual([]);
  });

  it('does not flag what the rules pass: wrong API group, RoleBinding of cluster-admin, Role in a ClusterRoleBinding', () => {
    const flagged = (cluster: string, risk: string) => [...risks].some(([id, r]) => id.includes(`:${cluster}/`) && r.includes(risk));
    expect(flagged('rule-can-create-pod.clusterrole-clusterrolebinding', 'pods-create')).toBe(false);
    expect(flagged('cluster-admin-role.clusterrole-rolebinding', 'cluster-admin-binding')).toBe(false);
    expect(flagged('cluster-admin-role.role-clusterrolebinding', 'cluster-admin-binding')).toBe(false);
    // A RoleBinding to cluster-admin still gives every verb in its namespace.
    expect(flagged('cluster-admin-role.clusterrole-rolebinding', 'wildcard-admin')).toBe(true);
  });
});
