import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/gcp-audit-log/index.js';
import { SKIP_DATASETS, hasDatasets } from '../../helpers/datasets.js';
import { eventOf, expectValid, pantherLogs, parsePantherLogs } from '../github/harness.js';

const KEY = 'gcp:sa-key:projects/some-project/serviceAccounts/some-project@company.iam.gserviceaccount.com/keys/a378358365ff3d22e9c1a72fecf4605ddff76b47';

/** Checked by reading each LogEntry: principal, what it acted on, the chain the entry states. */
const EXPECTED: Record<number, { actor: string; target: string | null; chain?: Record<string, unknown>; outcome?: string; provider?: string }> = {
  0: { actor: 'gcp:user:user1@company.io', target: 'projects/test-project/regions/us-central1/subnetworks/default', outcome: 'unknown' },
  // VPC-SC denial: status code 7.
  1: { actor: 'gcp:user:user1@serviceaccount.gcp.com', target: 'projects/197946410614', outcome: 'failure' },
  5: { actor: 'gcp:user:some.user@company.com', target: 'namespaces/some-project/services/cloudrun-exfil' },
  6: { actor: 'gcp:user:some.user@company.com', target: '...', outcome: 'failure' },
  8: { actor: 'gcp:user:some.user@company.com', target: 'projects/some-project/locations/us-west1/services/cloudrun-exfil', outcome: 'failure' },
  12: {
    actor: 'gcp:sa:whodoneit@some-project.iam.gserviceaccount.com', target: 'projects/some-project/builds',
    chain: { credentialId: 'gcp:sa-key:projects/some-project/serviceAccounts/whodoneit@some-project.iam.gserviceaccount.com/keys/123er456788' },
  },
  21: { actor: 'gcp:user:denethor@lotr.com', target: '1234567890123456789' },
  32: { actor: 'gcp:user:user@domain.com', target: 'managedZones/test-zone', outcome: 'success' },
  52: { actor: 'gcp:user:user@example.com', target: 'projects/_/buckets/test-bucket/objects/test-file.txt', outcome: 'failure' },
  53: { actor: 'gcp:user:user@runpanther.io', target: 'projects/_/buckets/jacks-test-bucket' },
  64: { actor: 'gcp:sa:service-agent-manager@system.gserviceaccount.com', target: 'projects/western-verve-123456' },
  66: {
    actor: 'gcp:sa:terraform@platform.iam.gserviceaccount.com', target: 'organizations/888888888888',
    chain: { credentialId: 'gcp:sa-key:projects/platform/serviceAccounts/terraform@platform.iam.gserviceaccount.com/keys/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
  },
  // SignJwt on itself: the account is the target, signed with its user-managed key.
  72: { actor: 'gcp:sa:some-project@company.iam.gserviceaccount.com', target: 'gcp:sa:some-project@company.iam.gserviceaccount.com', chain: { credentialId: KEY } },
  // No principalEmail: the principalSubject is the principal.
  74: { actor: 'gcp:principal:example_principal_subject', target: 'projects/-/serviceAccounts/11111222223333444455' },
  87: { actor: 'gcp:sa:service-111111111111-gs-project-accounts.iam.gserviceaccount.com', target: 'projects/test-project/locations/us/keyRings/test-keyring/cryptoKeys/test-key' },
  106: { actor: 'gcp:user:user@company.io', target: 'projects/-/serviceAccounts/105537103139416651075' },
  111: {
    actor: 'gcp:sa:test-no-perms@test-project-123456.iam.gserviceaccount.com', target: 'projects/test-project-123456', outcome: 'failure',
    chain: { credentialId: 'gcp:sa-key:projects/test-project-123456/serviceAccounts/test-no-perms@test-project-123456.iam.gserviceaccount.com/keys/a0064fe0ef82b9e256b8b093d927ee842a19da34' },
  },
  113: { actor: 'gcp:user:staging@company.io', target: 'projects/-/serviceAccounts/123456789098765434567' },
  137: { actor: 'gcp:user:user@example.com', target: 'locations/global/workforcePools/test-pool' },
  // GKE: Kubernetes objects get the ids the Kubernetes connectors give them, in the log's cluster.
  154: { actor: 'gcp:user:some.user@company.com', target: 'k8s:pod:some-project-cluster/default/test', provider: 'k8s' },
  163: { actor: 'gcp:sa:container-engine-robot@some-project.iam.gserviceaccount.com', target: 'k8s:pod:some-project-cluster/kube-system/gke-metrics-agent', provider: 'k8s' },
  164: { actor: 'k8s:serviceaccount:some-project-cluster/kube-system/deployment-controller', target: 'k8s:pod:some-project-cluster/gke-system/network-agent', provider: 'k8s' },
  165: { actor: 'gcp:user:some.user@company.com', target: 'k8s:service:some-project-cluster/default/test-ns', outcome: 'success', provider: 'k8s' },
};

const REJECTED: Record<number, string> = {
  4: 'missing protoPayload.methodName',
  14: 'missing protoPayload.authenticationInfo.principalEmail',
  25: 'missing protoPayload.authenticationInfo.principalEmail',
  28: 'receiveTimestamp: "..." is not a timestamp (expected ISO-8601)',
  38: 'missing protoPayload',
  40: 'missing timestamp',
  112: 'missing protoPayload.authenticationInfo.principalEmail',
  148: 'missing protoPayload',
  152: 'missing timestamp',
};

describe.skipIf(!hasDatasets)(`Panther GCP.AuditLog conformance${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('turns all 168 tests into 124 events and 44 rejects naming the missing field', async () => {
    const logs = pantherLogs('GCP.AuditLog');
    expect(logs).toHaveLength(168);
    const p = await parsePantherLogs(connector, logs);
    expect(p.items).toHaveLength(168);
    expect(p.of('event')).toHaveLength(124);
    expect(p.rejects).toHaveLength(44);
    const reasons = new Map<string, number>();
    for (const r of p.rejects) reasons.set(r.reject!, (reasons.get(r.reject!) ?? 0) + 1);
    expect(Object.fromEntries(reasons)).toEqual({
      'missing protoPayload': 8,
      'missing protoPayload.authenticationInfo.principalEmail': 17,
      'missing protoPayload.methodName': 6,
      'missing timestamp': 12,
      'receiveTimestamp: "..." is not a timestamp (expected ISO-8601)': 1,
    });
    expectValid(p.items);
  });

  it('gives the principal, target and chain read from each entry', async () => {
    const p = await parsePantherLogs(connector, pantherLogs('GCP.AuditLog'));
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(20);
    for (const [i, want] of Object.entries(EXPECTED)) {
      const { event } = eventOf(p.items[Number(i)]);
      expect(event, `test ${i}`).toBeDefined();
      expect({ i, actor: event!.actorId, target: event!.target }).toEqual({ i, actor: want.actor, target: want.target });
      if (want.outcome) expect(event!.outcome, `outcome of ${i}`).toBe(want.outcome);
      expect(event!.provider).toBe(want.provider ?? 'gcp');
      const chain = Object.fromEntries(Object.entries(event!.chain ?? {}).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
      expect(chain, `chain of test ${i}`).toEqual(want.chain ?? {});
    }
    for (const [i, reason] of Object.entries(REJECTED)) expect(p.items[Number(i)].reject, `test ${i}`).toBe(reason);
  });

  it('keeps the IAM policy delta and never the response of a key creation', async () => {
    const p = await parsePantherLogs(connector, pantherLogs('GCP.AuditLog'));
    const iamChange = eventOf(p.items[53]).event!;
    expect(iamChange.detail).toMatchObject({ policyDelta: { bindingDeltas: [{ action: 'ADD', member: 'allUsers', role: 'roles/storage.objectViewer' }] } });
    expect(JSON.stringify(p.of('event'))).not.toMatch(/privateKeyData|private_key_data/);
  });
});
