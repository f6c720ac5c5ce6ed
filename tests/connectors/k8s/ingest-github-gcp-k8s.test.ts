import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { NOW, fixture } from '../github/harness.js';

/** Every GitHub, GCP and Kubernetes fixture, with the connector auto-detection must pick and what it reads. */
const FILES: [string, string, string, number, number][] = [
  ['github', 'org-bundle.json', 'github-inventory', 20, 1],
  ['github', 'graphql-members.json', 'github-inventory', 2, 0],
  ['github', 'deploy-keys-web.json', 'github-inventory', 1, 0],
  ['github', 'audit-log.json', 'github-audit-log', 6, 1],
  ['github', 'audit-stream.ndjson', 'github-audit-log', 4, 1],
  ['github', 'secret-scanning-alerts.json', 'github-secret-scanning', 4, 1],
  ['gcp', 'service-accounts.json', 'gcp-iam', 4, 0],
  ['gcp', 'sa-keys.json', 'gcp-iam', 5, 1],
  ['gcp', 'iam-policies.json', 'gcp-iam', 9, 0],
  ['gcp', 'asset-export.ndjson', 'gcp-iam', 7, 0],
  ['gcp', 'audit-log.json', 'gcp-audit-log', 7, 1],
  ['gcp', 'audit-sink.ndjson', 'gcp-audit-log', 3, 1],
  ['k8s', 'kubectl-get-all.json', 'k8s-rbac', 21, 1],
  ['k8s', 'manifests.yaml', 'k8s-rbac', 4, 0],
  ['k8s', 'kube-apiserver-audit.jsonl', 'k8s-audit-log', 6, 2],
  ['k8s', 'eks-filter-log-events.json', 'k8s-audit-log', 3, 1],
  ['k8s', 'eks-subscription.ndjson', 'k8s-audit-log', 3, 0],
];
const PATHS = FILES.map(([dir, name]) => fixture(dir, name));

const DEPLOYER = 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com';
const C = 'prod-payments';

describeStores('GitHub, GCP and Kubernetes fixtures through ingestPaths', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  const edge = async (from: string, kind: string, to: string) =>
    (await db.query('SELECT potential, observed, count, first_seen, last_seen, evidence, conditions FROM edges WHERE from_id = $1 AND kind = $2 AND to_id = $3', [from, kind, to]))[0];

  it('detects every file\'s format and loads all but the records it rejects', async () => {
    const r = await ingestPaths(db, PATHS, { cluster: C, now: NOW });
    expect(r.files.map((f) => [f.path.split('/').slice(-2).join('/'), f.format, f.records, f.rejected, f.error])).toEqual(
      FILES.map(([dir, name, format, records, rejected]) => [`${dir}/${name}`, format, records, rejected, null]),
    );
    expect(r.totals).toMatchObject({ files: 17, failed: 0, records: 109, rejected: 11, loaded: 98 });
  });

  it('joins the GitHub workflow to the AWS role and the GCP account it federates to, from both sides', async () => {
    const aws = await edge('github:workflow:acme/payments-api', 'federates_to', 'arn:aws:iam::111122223333:role/github-deploy');
    expect(aws).toMatchObject({ potential: true, observed: false, conditions: { 'token.actions.githubusercontent.com:sub': ['repo:acme/payments-api:environment:production'] } });
    // Stated by the workflow file (GitHub) and by the workloadIdentityUser binding (GCP): one edge with both as evidence.
    const gcp = await edge('github:workflow:acme/payments-api', 'federates_to', DEPLOYER);
    expect(gcp.potential).toBe(true);
    expect([...gcp.evidence].sort()).toEqual([
      'gcp:iam-policy://iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com',
      'github:workflow-file:acme/payments-api/.github/workflows/deploy.yml',
    ]);
    // ...and the audit log shows it happening.
    const used = await edge('github:workflow:acme/payments-api', 'impersonates', DEPLOYER);
    expect(used).toMatchObject({ potential: false, observed: true, count: 2 });
  });

  it('counts observed impersonations once per event, beside what IAM allows', async () => {
    expect(await edge('gcp:user:carol@acme.example', 'impersonates', DEPLOYER)).toMatchObject({ potential: false, observed: true, count: 2 });
    const ci = await edge('gcp:sa:ci-runner@acme-prod.iam.gserviceaccount.com', 'impersonates', DEPLOYER);
    expect(ci).toMatchObject({ potential: true, observed: true, count: 1 });
    expect(new Date(ci.first_seen).toISOString()).toBe('2024-05-06T10:02:00.000Z');
    expect(await edge(`k8s:user:${C}/alice@acme.example`, 'impersonates', `k8s:serviceaccount:${C}/payments/payments-api`)).toMatchObject({ observed: true, count: 1 });
    expect(await edge(`k8s:user:${C}/alice@acme.example`, 'member_of', `k8s:clusterrole:${C}/impersonator`)).toMatchObject({ potential: true, observed: false });
  });

  it('sees an EKS event delivered twice (two CloudWatch exports) as one', async () => {
    expect(await edge('arn:aws:iam::111122223333:role/PlatformAdmin', 'federates_to', `k8s:user:${C}/kubernetes-admin`)).toMatchObject({ observed: true, count: 1, potential: false });
    expect(await edge('arn:aws:iam::111122223333:role/PlatformAdmin', 'federates_to', `k8s:user:${C}/platform-admin`)).toMatchObject({ potential: true });
    const [n] = await db.query("SELECT count(*)::int AS n FROM events WHERE id LIKE 'k8s:audit:prod-payments/8e0f-%'");
    expect(n.n).toBe(2);
  });

  it('keeps inventory facts over log facts and the latest sighting', async () => {
    const [sa] = await db.query('SELECT kind, origin, created_at, last_seen_at, attributes FROM identities WHERE id = $1', [`k8s:serviceaccount:${C}/payments/payments-api`]);
    expect(sa).toMatchObject({ kind: 'service_account', origin: 'inventory' });
    expect(new Date(sa.created_at).toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(new Date(sa.last_seen_at).toISOString()).toBe('2024-05-06T09:20:00.004Z');
    expect(sa.attributes).toMatchObject({ automountToken: true, namespace: 'payments' });
    const [dana] = await db.query('SELECT email, origin, attributes FROM identities WHERE id = $1', ['github:user:dev-dana']);
    expect(dana).toMatchObject({ origin: 'inventory', email: 'dana@personal.example', attributes: { samlNameId: 'dana.developer@acme.example', twoFactor: false } });
    const [alert] = await db.query('SELECT severity, credentials, identities FROM alerts WHERE id = $1', ['github-secret-scanning:acme/payments-api/12']);
    expect(alert).toMatchObject({ severity: 'critical', credentials: ['aws:access-key:AKIAIOSFODNN7EXAMPLE'], identities: ['github:user:dev-dana'] });
    const [key] = await db.query('SELECT identity_id, status, expires_at FROM credentials WHERE id LIKE $1', ['%keys/3f1c7e5a9b2d4c6e8f0a1b2c3d4e5f6a7b8c9d0e']);
    expect(key).toMatchObject({ identity_id: DEPLOYER, status: 'active', expires_at: null });
  });

  it('is idempotent: ingesting everything again changes nothing', async () => {
    const snapshot = async () => ({
      edges: await db.query('SELECT from_id, kind, to_id, potential, observed, count FROM edges ORDER BY from_id, kind, to_id'),
      identities: await db.query('SELECT id, kind, origin, last_seen_at FROM identities ORDER BY id'),
      events: await db.query('SELECT count(*)::int AS n FROM events'),
      entitlements: await db.query('SELECT count(*)::int AS n FROM entitlements'),
    });
    const before = await snapshot();
    const r = await ingestPaths(db, PATHS, { cluster: C, now: NOW });
    expect(r.totals).toMatchObject({ failed: 0, loaded: 98, rejected: 11 });
    expect(await snapshot()).toEqual(before);
  });
});
