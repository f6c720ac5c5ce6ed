import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/k8s-audit-log/index.js';
import { eventOf, expectValid, fixture, fixtureText, fuzzConnector, parseFile, parseText } from '../github/harness.js';

const PAYMENTS_API = 'k8s:serviceaccount:default/payments/payments-api';

describe('k8s-audit-log: kube-apiserver audit log (JSON lines)', () => {
  const load = () => parseFile(connector, fixture('k8s', 'kube-apiserver-audit.jsonl'));

  it('reads each line, rejecting the truncated one and the one without a user', async () => {
    const p = await load();
    expect(p.items.map((i) => [i.index, i.line, i.reject ?? 'ok'])).toEqual([
      [0, 1, 'ok'], [1, 2, 'ok'], [2, 3, 'ok'], [3, 4, 'ok'],
      [4, 5, expect.stringMatching(/^not valid JSON/)], [5, 6, 'missing user.username'],
    ]);
    expectValid(p.items);
  });

  it('makes impersonation the chain and an observed hop, once per request', async () => {
    const p = await load();
    const { event, observations } = eventOf(p.items[1]);
    expect(event).toMatchObject({
      id: 'k8s:audit:default/5a4c1d2e-0001-4b6e-9f00-aaaaaaaaaaa1/ResponseComplete', time: '2024-05-06T09:15:02.109Z', provider: 'k8s',
      action: 'get secrets', outcome: 'success', actorId: 'k8s:user:default/alice@acme.example', target: 'k8s:secret:default/payments/payments-db',
      chain: { onBehalfOf: PAYMENTS_API }, sourceIp: '198.51.100.23', sourceKind: 'ipv4', account: 'default',
    });
    expect(observations).toEqual([{ eventId: event!.id, from: 'k8s:user:default/alice@acme.example', to: PAYMENTS_API, kind: 'impersonates', time: '2024-05-06T09:15:02.109Z' }]);
    // The same request at RequestReceived: its own event, but the hop is not counted twice.
    const received = eventOf(p.items[0]);
    expect(received.event!.id).toBe('k8s:audit:default/5a4c1d2e-0001-4b6e-9f00-aaaaaaaaaaa1/RequestReceived');
    expect(received.event!.outcome).toBe('unknown');
    expect(received.observations).toEqual([]);
  });

  it('shows the pod behind a bound service-account token, and failures with their reason', async () => {
    const p = await load();
    const sa = eventOf(p.items[2]);
    expect(sa.event).toMatchObject({ actorId: PAYMENTS_API, action: 'list secrets', target: null, chain: { invokedBy: 'k8s:pod:default/payments/payments-api-7d9f8b6c5-x2k4p' }, sourceKind: 'private' });
    expect(sa.observations).toEqual([expect.objectContaining({ from: 'k8s:pod:default/payments/payments-api-7d9f8b6c5-x2k4p', kind: 'runs_as', to: PAYMENTS_API })]);
    const denied = eventOf(p.items[3]).event!;
    expect(denied).toMatchObject({
      actorId: 'k8s:serviceaccount:default/ci/deployer', action: 'create clusterrolebindings', outcome: 'failure', errorCode: 'Forbidden',
      target: 'k8s:clusterrolebinding:default/pwn', userAgent: 'curl/8.5.0',
    });
    expect(denied.detail).toMatchObject({ decision: 'forbid', responseCode: 403, groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'] });
  });

  it('uses --cluster for the ids', async () => {
    const p = await parseFile(connector, fixture('k8s', 'kube-apiserver-audit.jsonl'), { cluster: 'prod-payments' });
    expect(eventOf(p.items[1]).event!.chain).toMatchObject({ onBehalfOf: 'k8s:serviceaccount:prod-payments/payments/payments-api' });
  });
});

describe('k8s-audit-log: EKS through CloudWatch Logs', () => {
  it('reads `aws logs filter-log-events` output: the AWS role behind kubernetes-admin, the node minting a token', async () => {
    const p = await parseFile(connector, fixture('k8s', 'eks-filter-log-events.json'), { cluster: 'prod-payments' });
    expect(p.items.map((i) => i.reject ?? 'ok')).toEqual(['ok', 'ok', 'event.message is not a JSON audit event']);
    const admin = eventOf(p.items[0]);
    expect(admin.event).toMatchObject({
      id: 'k8s:audit:prod-payments/8e0f-0001/ResponseComplete', actorId: 'k8s:user:prod-payments/kubernetes-admin', action: 'list secrets',
      chain: {
        sessionIssuer: 'arn:aws:iam::111122223333:role/PlatformAdmin', session: 'arn:aws:sts::111122223333:assumed-role/PlatformAdmin/dave@acme.example',
        credentialId: 'aws:session-key:ASIAEXAMPLEKEY000001', federatedProvider: 'aws-iam-authenticator',
      },
    });
    expect(admin.observations).toEqual([expect.objectContaining({ from: 'arn:aws:iam::111122223333:role/PlatformAdmin', kind: 'federates_to', to: 'k8s:user:prod-payments/kubernetes-admin' })]);
    expect(p.identity('arn:aws:iam::111122223333:role/PlatformAdmin')).toMatchObject({ kind: 'role', provider: 'aws', account: '111122223333', origin: 'log' });
    expect(eventOf(p.items[1]).event).toMatchObject({
      actorId: 'k8s:user:prod-payments/system:node:ip-10-0-12-34.ec2.internal', action: 'create serviceaccounts/token',
      target: 'k8s:serviceaccount:prod-payments/payments/payments-api', outcome: 'success',
    });
    expect(p.identity('k8s:user:prod-payments/system:node:ip-10-0-12-34.ec2.internal')).toMatchObject({ kind: 'workload' });
  });

  it('reads subscription DATA_MESSAGEs, taking the cluster from the log group, and keeps the control message as an empty record', async () => {
    const p = await parseFile(connector, fixture('k8s', 'eks-subscription.ndjson'));
    expect(p.items.map((i) => [i.index, i.line, i.records?.length ?? i.reject])).toEqual([[0, 1, 0], [1, 2, 4], [2, 2, 2]]);
    expect(p.of('event').map((e) => e.id)).toEqual(['k8s:audit:prod-payments/8e0f-0001/ResponseComplete', 'k8s:audit:prod-payments/8e0f-0002/ResponseComplete']);
    // The same events as the filter-log-events export: one id whichever way CloudWatch delivered them.
    const other = await parseFile(connector, fixture('k8s', 'eks-filter-log-events.json'), { cluster: 'prod-payments' });
    expect(other.of('event').map((e) => e.id)).toEqual(p.of('event').map((e) => e.id));
  });

  it('reads an EventList and Logs Insights rows', async () => {
    const ev = JSON.parse(fixtureText('k8s', 'kube-apiserver-audit.jsonl').split('\n')[1]);
    const list = await parseText(connector, 'list.json', JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [ev, ev] }));
    expect(list.of('event')).toHaveLength(2);
    const insights = await parseText(connector, 'insights.json', JSON.stringify([{ '@timestamp': '2024-05-06 09:15:02.109', '@log': '111122223333:/aws/eks/blue/cluster', '@message': JSON.stringify(ev) }]));
    expect(insights.of('event')[0].actorId).toBe('k8s:user:blue/alice@acme.example');
  });

  it('rejects an event without a time or a verb by naming the field', async () => {
    const p = await parseText(connector, 'x.jsonl', [
      JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', user: { username: 'bob' }, verb: 'get', requestURI: '/healthz' }),
      JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', user: { username: 'bob' }, requestReceivedTimestamp: '2024-01-01T00:00:00Z' }),
      JSON.stringify({ kind: 'Event', user: { username: 'bob' }, verb: 'get', requestReceivedTimestamp: 'last tuesday' }),
    ].join('\n'));
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing requestReceivedTimestamp', 'missing verb', expect.stringMatching(/^requestReceivedTimestamp: "last tuesday" is not a timestamp/)]);
  });
});

describe('k8s-audit-log: fuzz', () => {
  it('survives truncation and mutation of an audit log (FormatError or rejects only)', async () => {
    await fuzzConnector(connector, 'a.jsonl', fixtureText('k8s', 'kube-apiserver-audit.jsonl'), 150);
  });
  it('survives truncation and mutation of a CloudWatch export', async () => {
    await fuzzConnector(connector, 'cw.json', fixtureText('k8s', 'eks-filter-log-events.json'), 150);
  });
});
