import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/k8s-audit-log/index.js';
import { SKIP_DATASETS, hasDatasets } from '../../helpers/datasets.js';
import { eventOf, expectValid, pantherLogs, parsePantherLogs } from '../github/harness.js';

const ADMIN_CHAIN = {
  sessionIssuer: 'arn:aws:iam::123412341234:role/DevAdministrator',
  session: 'arn:aws:sts::123412341234:assumed-role/DevAdministrator/1669660343296132000',
  federatedProvider: 'aws-iam-authenticator',
  credentialId: 'aws:session-key:ASIARLIVEKVNN6Y6J5UW',
};
const COREDNS = 'k8s:serviceaccount:default/kube-system/coredns';
const COREDNS_POD = 'k8s:pod:default/kube-system/coredns-57ff979f67-bl27n';
const COREDNS_CHAIN = { invokedBy: COREDNS_POD };
const KUBE_PROXY = 'k8s:serviceaccount:default/kube-system/kube-proxy';

/** All 20 tests, each read by hand (the Panther data says no cluster, so the cluster is `default`). */
const EXPECTED: Record<number, { actor: string; target: string | null; chain?: Record<string, unknown>; action: string; outcome: string } | string> = {
  0: 'missing verb',
  1: 'missing verb',
  2: { actor: 'k8s:user:default/system:anonymous', target: null, action: 'get /version', outcome: 'success' },
  3: 'missing requestReceivedTimestamp',
  4: 'missing requestReceivedTimestamp',
  5: 'missing requestReceivedTimestamp',
  6: 'missing requestReceivedTimestamp',
  7: { actor: 'k8s:user:default/system:anonymous', target: null, action: 'get /vendor/phpunit/src/Util/PHP/eval-stdin.php', outcome: 'failure' },
  8: { actor: 'k8s:user:default/kubernetes-admin', target: 'k8s:pod:default/default/kube-bench-drn4j', chain: ADMIN_CHAIN, action: 'get pods/log', outcome: 'success' },
  9: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'failure' },
  10: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'failure' },
  11: { actor: 'k8s:user:default/kubernetes-admin', target: 'k8s:pod:default/default/kube-bench-drn4j', chain: ADMIN_CHAIN, action: 'get pods/log', outcome: 'success' },
  12: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'success' },
  13: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'success' },
  14: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'success' },
  15: { actor: COREDNS, target: null, chain: COREDNS_CHAIN, action: 'watch endpointslices', outcome: 'failure' },
  16: {
    actor: 'k8s:user:default/eks:addon-manager', target: 'k8s:workload:default/kube-system/deployment/coredns', action: 'get deployments', outcome: 'success',
    chain: {
      sessionIssuer: 'arn:aws:iam::123412341234:role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-G332QAM69HWF',
      session: 'arn:aws:sts::123412341234:assumed-role/AWSWesleyClusterManagerLambda-Add-AddonManagerRole-G332QAM69HWF/1669918824986835422',
      federatedProvider: 'aws-iam-authenticator', credentialId: 'aws:session-key:ASIAXXXXXXXXXXXXXXXX',
    },
  },
  17: { actor: 'k8s:user:default/system:node:ip-192-168-3-178.us-west-2.compute.internal', target: KUBE_PROXY, action: 'create serviceaccounts/token', outcome: 'success' },
  18: { actor: 'k8s:user:default/system:node:suspicious-node', target: KUBE_PROXY, action: 'create serviceaccounts/token', outcome: 'success' },
  19: { actor: 'k8s:user:default/system:node:suspicious-node', target: KUBE_PROXY, action: 'create serviceaccounts/token', outcome: 'success' },
};

describe.skipIf(!hasDatasets)(`Panther Amazon.EKS.Audit conformance${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('turns all 20 tests into 14 events and 6 rejects, each as read by hand', async () => {
    const logs = pantherLogs('Amazon.EKS.Audit');
    expect(logs).toHaveLength(20);
    const p = await parsePantherLogs(connector, logs);
    expect(p.items).toHaveLength(20);
    expect(p.of('event')).toHaveLength(14);
    expect(p.rejects).toHaveLength(6);
    expectValid(p.items);
    for (const [i, want] of Object.entries(EXPECTED)) {
      const item = p.items[Number(i)];
      if (typeof want === 'string') {
        expect(item.reject, `test ${i}`).toBe(want);
        continue;
      }
      const { event } = eventOf(item);
      expect({ i, actor: event!.actorId, target: event!.target, action: event!.action, outcome: event!.outcome }).toEqual({ i, actor: want.actor, target: want.target, action: want.action, outcome: want.outcome });
      const chain = Object.fromEntries(Object.entries(event!.chain ?? {}).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
      expect(chain, `chain of test ${i}`).toEqual(want.chain ?? {});
    }
  });

  it('shows the AWS role entering the cluster and the pod using its service account as observed hops', async () => {
    const p = await parsePantherLogs(connector, pantherLogs('Amazon.EKS.Audit'));
    expect(eventOf(p.items[8]).observations).toEqual([
      expect.objectContaining({ from: 'arn:aws:iam::123412341234:role/DevAdministrator', kind: 'federates_to', to: 'k8s:user:default/kubernetes-admin', time: '2022-11-29T00:09:04.392Z' }),
    ]);
    expect(eventOf(p.items[12]).observations).toEqual([expect.objectContaining({ from: COREDNS_POD, kind: 'runs_as', to: COREDNS })]);
    expect(eventOf(p.items[2]).event!.sourceKind).toBe('ipv4');
    expect(eventOf(p.items[9]).event!.sourceKind).toBe('private');
  });
});
