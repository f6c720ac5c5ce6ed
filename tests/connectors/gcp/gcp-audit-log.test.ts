import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/gcp-audit-log/index.js';
import { eventOf, expectValid, fixture, fixtureText, fuzzConnector, parseFile, parseText } from '../github/harness.js';

const CAROL = 'gcp:user:carol@acme.example';
const DEPLOYER = 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com';
const CI = 'gcp:sa:ci-runner@acme-prod.iam.gserviceaccount.com';

describe('gcp-audit-log: gcloud logging read', () => {
  const load = () => parseFile(connector, fixture('gcp', 'audit-log.json'));

  it('detects audit logs only', () => {
    expect(connector.detect({ path: 'x', name: 'x', head: fixtureText('gcp', 'audit-log.json') })).toBe(0.95);
    expect(connector.detect({ path: 'x', name: 'x', head: fixtureText('gcp', 'audit-sink.ndjson') })).toBe(0.95);
    expect(connector.detect({ path: 'x', name: 'x', head: fixtureText('gcp', 'iam-policies.json') })).toBe(0);
  });

  it('reads every entry and rejects the one without a method, naming it', async () => {
    const p = await load();
    expect(p.items).toHaveLength(7);
    expect(p.rejects).toEqual([expect.objectContaining({ index: 6, reject: 'missing protoPayload.methodName' })]);
    expectValid(p.items);
  });

  it('sees generateAccessToken for another account as an impersonation', async () => {
    const { event, observations } = eventOf((await load()).items[0]);
    expect(event).toMatchObject({
      id: 'gcp:audit:1a2b3c4d5e6f', time: '2024-05-06T10:00:00.123Z', provider: 'gcp', service: 'iamcredentials.googleapis.com',
      action: 'GenerateAccessToken', outcome: 'success', actorId: CAROL, target: DEPLOYER, sourceIp: '198.51.100.7', sourceKind: 'ipv4', account: 'acme-prod',
    });
    expect(observations).toEqual([{ eventId: 'gcp:audit:1a2b3c4d5e6f', from: CAROL, to: DEPLOYER, kind: 'impersonates', time: '2024-05-06T10:00:00.123Z' }]);
  });

  it('puts serviceAccountDelegationInfo in chain.delegation, first caller first, and each hop as an observation', async () => {
    const p = await load();
    const one = eventOf(p.items[1]);
    expect(one.event).toMatchObject({ actorId: DEPLOYER, action: 'storage.objects.get', target: 'projects/_/buckets/acme-payments-exports/objects/customers.csv', chain: { delegation: [CAROL] } });
    expect(one.observations.map((o) => [o.from, o.kind, o.to])).toEqual([[CAROL, 'impersonates', DEPLOYER]]);
    const two = eventOf(p.items[2]);
    expect(two.event!.chain).toMatchObject({ delegation: [CAROL, CI] });
    expect(two.observations.map((o) => [o.from, o.to])).toEqual([[CAROL, CI], [CI, DEPLOYER]]);
    expect(p.identity(CI)).toMatchObject({ kind: 'service_account', origin: 'log' });
  });

  it('names the key an account signed with, and keeps no key material from a key creation', async () => {
    const p = await load();
    const { event } = eventOf(p.items[3]);
    expect(event).toMatchObject({
      actorId: CI, action: 'google.iam.admin.v1.CreateServiceAccountKey', target: DEPLOYER,
      chain: { credentialId: 'gcp:sa-key:projects/acme-prod/serviceAccounts/ci-runner@acme-prod.iam.gserviceaccount.com/keys/77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd' },
    });
    const raw = JSON.parse(fixtureText('gcp', 'audit-log.json'))[3].protoPayload.response.private_key_data as string;
    const all = JSON.stringify(p.records);
    expect(all).not.toContain(raw);
    expect(all).not.toContain(raw.slice(0, 40));
    expect(all).not.toMatch(/private_key_data/);
  });

  it('marks denied calls as failures and keeps the policy delta', async () => {
    const { event, observations } = eventOf((await load()).items[4]);
    expect(event).toMatchObject({ actorId: CI, action: 'SetIamPolicy', outcome: 'failure', errorCode: 'PERMISSION_DENIED', target: 'projects/acme-prod' });
    expect(event!.detail).toMatchObject({ policyDelta: { bindingDeltas: [{ action: 'ADD', role: 'roles/owner', member: 'user:mallory@evil.example' }] }, statusCode: 7 });
    expect(observations).toEqual([]);
  });

  it('gives GKE Kubernetes principals and objects the Kubernetes ids of the log\'s cluster', async () => {
    const { event } = eventOf((await load()).items[5]);
    expect(event).toMatchObject({
      provider: 'k8s', actorId: 'k8s:serviceaccount:gke-payments/payments/payments-api', target: 'k8s:secret:gke-payments/payments/payments-db',
      region: 'us-central1', sourceKind: 'private',
    });
  });
});

describe('gcp-audit-log: a log sink (JSON lines)', () => {
  it('maps a GitHub Actions workload identity principal to its workflow, and its use of an account to an observed hop', async () => {
    const p = await parseFile(connector, fixture('gcp', 'audit-sink.ndjson'));
    expect(p.items.map((i) => i.reject ?? 'ok')).toEqual(['ok', 'ok', 'timestamp: "yesterday at noon" is not a timestamp (expected ISO-8601)']);
    const token = eventOf(p.items[0]);
    expect(token.event).toMatchObject({
      actorId: 'github:workflow:acme/payments-api', target: DEPLOYER,
      chain: { federatedProvider: 'principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github-pool' },
    });
    expect(token.observations.map((o) => [o.from, o.kind, o.to])).toEqual([['github:workflow:acme/payments-api', 'impersonates', DEPLOYER]]);
    const use = eventOf(p.items[1]);
    expect(use.event).toMatchObject({ actorId: DEPLOYER, chain: { delegation: ['github:workflow:acme/payments-api'] } });
    expect(use.observations.map((o) => [o.from, o.to])).toEqual([['github:workflow:acme/payments-api', DEPLOYER]]);
  });

  it('reads the Logging API\'s {"entries": [...]} and Panther-style lower-case field names', async () => {
    const entries = JSON.parse(fixtureText('gcp', 'audit-log.json')).slice(0, 2);
    const p = await parseText(connector, 'entries.json', JSON.stringify({ entries, nextPageToken: 'x' }));
    expect(p.of('event').map((e) => e.id)).toEqual(['gcp:audit:1a2b3c4d5e6f', 'gcp:audit:2b3c4d5e6f7a']);
    const lower = { protopayload: entries[0].protoPayload, insertid: 'low1', receivetimestamp: '2024-05-06 10:00:01', logname: entries[0].logName };
    const q = await parseText(connector, 'lower.json', JSON.stringify([lower]));
    expect(q.of('event')[0]).toMatchObject({ id: 'gcp:audit:low1', time: '2024-05-06T10:00:01.000Z', actorId: CAROL });
  });
});

describe('gcp-audit-log: fuzz', () => {
  it('survives truncation and mutation (FormatError or rejects only)', async () => {
    await fuzzConnector(connector, 'a.json', fixtureText('gcp', 'audit-log.json'), 150);
    await fuzzConnector(connector, 's.ndjson', fixtureText('gcp', 'audit-sink.ndjson'), 100);
  });
});
