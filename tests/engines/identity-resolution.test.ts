import { afterAll, beforeAll, expect, it } from 'vitest';
import { rec } from '../../src/connectors/contract.js';
import { deriveAfterIngest } from '../../src/engines/derive.js';
import { resolveIdentities } from '../../src/engines/identity-resolution.js';
import { fingerprint } from '../../src/lib/secrets.js';
import type { Db } from '../../src/store/index.js';
import { seed } from '../helpers/seed.js';
import { describeStores } from '../helpers/stores.js';

const ALICE = 'hr:employee:E100';
const BOB = 'hr:employee:E200';
const ALICIA = 'hr:employee:E300';
const IAM = (name: string) => `arn:aws:iam::111122223333:user/${name}`;
const SSO_ROLE = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0123456789abcdef';
const SSO_NEAR_MISS = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyPlus_0123456789abcdef';
const PLACEHOLDER = 'aws:sso-role:111122223333/ps-abc';
const IC_USER = 'aws:identity-center-user:9067-bob';
const TOKEN = 'github:secret:aaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_FP = fingerprint('ghp_FAKE0resolution0test0token000000000');
const K8S_TOKEN_FP = fingerprint('eyJFAKE.k8s.token');

const human = (id: string, provider: 'hr' | 'okta' | 'entra' | 'gcp' | 'github' | 'aws', name: string, email: string | null, attributes: Record<string, unknown> = {}) =>
  rec.identity({ id, kind: 'human', provider, name, email, attributes });

const records = [
  human(ALICE, 'hr', 'Alice Martin', 'alice.martin@example.com', { employeeId: 'E100' }),
  human(BOB, 'hr', 'Bob Nguyen', 'bob.nguyen@example.com', { employeeId: 'E200' }),
  human(ALICIA, 'hr', 'Alicia Martins', 'alicia.martins@example.com', { employeeId: 'E300' }),
  // Two HR records share a mailbox: the address names no one person.
  human('hr:employee:E400', 'hr', 'Ops One', 'ops@example.com'),
  human('hr:employee:E401', 'hr', 'Ops Two', 'ops@example.com'),
  human('okta:user:00u1alice', 'okta', 'Alice Martin', 'ALICE.MARTIN@EXAMPLE.COM', { login: 'alice.martin@example.com' }),
  human('okta:user:00u1ops', 'okta', 'Ops', 'ops@example.com'),
  // A shared mailbox two Okta accounts use, and no HR record: nobody in particular.
  human('okta:user:00u1support1', 'okta', 'Support One', 'support@example.com'),
  human('okta:user:00u1support2', 'okta', 'Support Two', 'support@example.com'),
  human('github:user:support-bot', 'github', 'support-bot', 'support@example.com'),
  human('okta:user:00u1bob', 'okta', 'Bob Nguyen', 'bob.nguyen@example.com'),
  human('entra:user:6f1c0000-0000-4000-8000-000000000001', 'entra', 'Alice Martin', null, { userPrincipalName: 'alice.martin@example.com', employeeId: 'E100' }),
  // Says Alice by email but Bob by employee number: it could be either, so it is linked to neither.
  human('okta:user:00u1confused', 'okta', 'Confused', 'alice.martin@example.com', { employeeNumber: 'E200' }),
  human('github:user:alice-m', 'github', 'alice-m', null, { samlNameId: 'Alice.Martin@example.com' }),
  human('gcp:user:bob.nguyen@example.com', 'gcp', 'bob.nguyen@example.com', 'bob.nguyen@example.com'),
  human('aws:saml-user:okta/alice.martin@example.com', 'aws', 'alice.martin@example.com', null),
  human(IC_USER, 'aws', 'Bob Nguyen', 'bob.nguyen@example.com', { userName: 'bob.nguyen@example.com', externalIds: [{ issuer: 'https://scim.aws.com/x', id: '00u1bob' }] }),
  human('aws:identity-center-user:d-1234567890/9067-bob', 'aws', '9067-bob', null),
  rec.identity({ id: IAM('alice.martin'), kind: 'service_account', provider: 'aws', name: 'alice.martin', account: '111122223333' }),
  rec.identity({ id: IAM('alice.martins'), kind: 'service_account', provider: 'aws', name: 'alice.martins', account: '111122223333' }),
  rec.identity({ id: IAM('amartin'), kind: 'service_account', provider: 'aws', name: 'amartin', account: '111122223333' }),
  rec.identity({ id: IAM('alicia'), kind: 'service_account', provider: 'aws', name: 'alicia', account: '111122223333' }),
  rec.identity({ id: IAM('ops'), kind: 'service_account', provider: 'aws', name: 'ops', account: '111122223333' }),
  rec.identity({ id: IAM('deploy'), kind: 'service_account', provider: 'aws', name: 'deploy', account: '111122223333', tags: { Email: 'Bob.Nguyen@example.com' } }),
  rec.identity({ id: IAM('ci'), kind: 'service_account', provider: 'aws', name: 'ci', account: '111122223333', tags: { owner: 'bob.nguyen@example.com' } }),
  rec.identity({ id: 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com', kind: 'service_account', provider: 'gcp', name: 'deployer', email: 'deployer@acme-prod.iam.gserviceaccount.com' }),
  rec.identity({ id: 'generic:user:h:0123456789abcdef', kind: 'service_account', provider: 'generic', name: 'Deployer@acme-prod.iam.gserviceaccount.com', email: 'Deployer@acme-prod.iam.gserviceaccount.com', origin: 'log' }),
  rec.identity({ id: 'agent:claude-desktop:alice.martin', kind: 'ai_agent', provider: 'agent', name: 'Claude Desktop', attributes: { actsFor: 'alice.martin@example.com', configPaths: ['/home/alice/.config/Claude/claude_desktop_config.json'] } }),
  rec.identity({ id: 'agent:vscode:bob', kind: 'ai_agent', provider: 'agent', name: 'VS Code', attributes: { actsFor: 'bob.nguyen' } }),
  rec.identity({ id: 'agent:cursor:alice', kind: 'ai_agent', provider: 'agent', name: 'Cursor', attributes: { actsFor: 'alice' } }),
  // Attributes of unexpected shapes (hand-edited registries, other connectors' versions) must not break the run.
  rec.identity({ id: 'agent:odd', kind: 'ai_agent', provider: 'agent', name: 'odd', attributes: { configPaths: 'x', mcpConfigs: 5, actsFor: 42 } }),
  human('aws:identity-center-user:odd', 'aws', 'odd', null, { externalIds: 'oops', userName: ['x'] }),
  rec.identity({ id: 'agent:desktop-copilot', kind: 'ai_agent', provider: 'agent', name: 'Desktop copilot', attributes: { registry: true, mcpConfigs: ['Claude/claude_desktop_config.json'] } }),
  rec.identity({ id: TOKEN, kind: 'api_key', provider: 'github', name: 'GitHub classic PAT' }),
  rec.credential({ id: TOKEN, identityId: TOKEN, type: 'personal_access_token', fingerprint: TOKEN_FP }),
  rec.identity({ id: 'github:pat:99', kind: 'api_key', provider: 'github', name: 'deploy token' }),
  rec.credential({ id: 'github:pat:99', identityId: 'github:user:alice-m', type: 'personal_access_token', fingerprint: TOKEN_FP }),
  rec.identity({ id: 'generic:secret:k8s0000000000000000000000', kind: 'api_key', provider: 'generic', name: 'k8s token in a config' }),
  rec.credential({ id: 'generic:secret:k8s0000000000000000000000', identityId: 'generic:secret:k8s0000000000000000000000', type: 'api_token', fingerprint: K8S_TOKEN_FP }),
  rec.credential({ id: 'k8s:sa-token:prod/ci/builder-token', identityId: 'k8s:serviceaccount:prod/ci/builder', type: 'api_token', fingerprint: K8S_TOKEN_FP }),
  rec.identity({ id: PLACEHOLDER, kind: 'role', provider: 'aws', name: 'AWSReservedSSO_ReadOnly_*', account: '111122223333', origin: 'derived', attributes: { provisionedPermissionSet: true, permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-abc' } }),
  rec.resource({ id: 'arn:aws:sso:::permissionSet/ssoins-1/ps-abc', provider: 'aws', type: 'sso:permission-set', name: 'ReadOnly' }),
  rec.edge({ from: IC_USER, kind: 'can_assume', to: PLACEHOLDER }),
  rec.identity({ id: SSO_ROLE, kind: 'role', provider: 'aws', name: 'AWSReservedSSO_ReadOnly_0123456789abcdef', account: '111122223333' }),
  rec.identity({ id: SSO_NEAR_MISS, kind: 'role', provider: 'aws', name: 'AWSReservedSSO_ReadOnlyPlus_0123456789abcdef', account: '111122223333' }),
  ...[1, 2].map((n) => rec.event({
    id: `aws:ct:sso-${n}`, time: `2026-11-10T0${n}:00:00Z`, provider: 'aws', action: 'ListBuckets', actorId: SSO_ROLE,
    chain: { sessionIssuer: SSO_ROLE, session: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/Bob.Nguyen@example.com' },
  })),
  rec.alert({ id: 'github-secret-scanning:acme/app/7', time: '2026-11-10T00:00:00Z', source: 'github-secret-scanning', severity: 'critical', title: 'GitHub PAT leaked', detail: { secretFingerprint: TOKEN_FP } }),
];

describeStores('identity resolution', (open) => {
  let db: Db;
  let edges: Map<string, { rule: string; confidence: number }>;
  const sameAs = (a: string, b: string) => edges.get(`${a}|same_as|${b}`) ?? edges.get(`${b}|same_as|${a}`);
  const linksOf = (id: string) => [...edges.keys()].filter((k) => k.includes('|same_as|') && k.split('|').includes(id));

  beforeAll(async () => {
    db = await open();
    await seed(db, records);
    await deriveAfterIngest(db);
    edges = await resolvedEdges(db);
  });
  afterAll(async () => db?.close());

  it('links one person\'s (or workload\'s) accounts by email, employee id, SAML subject and SCIM external id, anchored on the HR record', () => {
    expect(sameAs('okta:user:00u1alice', ALICE)).toMatchObject({ rule: 'email', confidence: 0.9 });
    // Both the employee id and the UPN match: the stronger rule is the one recorded.
    expect(sameAs('entra:user:6f1c0000-0000-4000-8000-000000000001', ALICE)).toMatchObject({ rule: 'hr-employee-id', confidence: 0.95 });
    expect(sameAs('github:user:alice-m', ALICE)).toMatchObject({ rule: 'github-saml' });
    expect(sameAs('aws:saml-user:okta/alice.martin@example.com', ALICE)).toMatchObject({ rule: 'saml-subject' });
    expect(sameAs('gcp:user:bob.nguyen@example.com', BOB)).toMatchObject({ rule: 'email' });
    expect(sameAs(IC_USER, BOB)).toMatchObject({ rule: 'email' });
    expect(sameAs(IC_USER, 'okta:user:00u1bob')).toMatchObject({ rule: 'scim-external-id', confidence: 0.95 });
    expect(sameAs('aws:identity-center-user:d-1234567890/9067-bob', IC_USER)).toMatchObject({ rule: 'identity-center-user-id', confidence: 1 });
    // A workload too: a Google service account an alert names by its email.
    expect(sameAs('generic:user:h:0123456789abcdef', 'gcp:sa:deployer@acme-prod.iam.gserviceaccount.com')).toMatchObject({ rule: 'gcp-principal-email', confidence: 0.95 });
  });

  it('links IAM users named exactly like one person or tagged with their email, and nothing on near misses', () => {
    expect(sameAs(IAM('alice.martin'), ALICE)).toMatchObject({ rule: 'aws-iam-user-name', confidence: 0.7 });
    expect(sameAs(IAM('deploy'), BOB)).toMatchObject({ rule: 'aws-iam-user-tag', confidence: 0.85 });
    for (const near of ['alice.martins', 'amartin', 'alicia', 'ops', 'ci']) expect(linksOf(IAM(near)), near).toEqual([]);
  });

  it('never links two different people', () => {
    for (const k of edges.keys()) {
      const [a, kind, b] = k.split('|');
      if (kind === 'same_as') expect(a.startsWith('hr:employee:') && b.startsWith('hr:employee:'), k).toBe(false);
    }
    expect(linksOf('okta:user:00u1ops')).toEqual([]);
    for (const id of ['okta:user:00u1support1', 'okta:user:00u1support2', 'github:user:support-bot']) expect(linksOf(id), id).toEqual([]);
    expect(linksOf('okta:user:00u1confused')).toEqual([]);
    expect(linksOf(ALICIA)).toEqual([]);
    // Each account reaches at most one HR record.
    const hrOf = new Map<string, Set<string>>();
    for (const k of edges.keys()) {
      const [a, kind, b] = k.split('|');
      if (kind !== 'same_as') continue;
      if (b.startsWith('hr:')) hrOf.set(a, (hrOf.get(a) ?? new Set()).add(b));
      if (a.startsWith('hr:')) hrOf.set(b, (hrOf.get(b) ?? new Set()).add(a));
    }
    for (const [id, hr] of hrOf) expect(hr.size, id).toBe(1);
  });

  it('turns agents\' actsFor handles into acts_for edges, and ties a registry entry to its configuration file', () => {
    expect(edges.get(`agent:claude-desktop:alice.martin|acts_for|${ALICE}`)).toMatchObject({ rule: 'acts-for-email', confidence: 0.9 });
    expect(edges.get(`agent:vscode:bob|acts_for|${BOB}`)).toMatchObject({ rule: 'acts-for-username', confidence: 0.7 });
    expect([...edges.keys()].filter((k) => k.startsWith('agent:cursor:alice|'))).toEqual([]);
    expect([...edges.keys()].filter((k) => k.includes('agent:odd') || k.includes('identity-center-user:odd'))).toEqual([]);
    expect(sameAs('agent:claude-desktop:alice.martin', 'agent:desktop-copilot')).toMatchObject({ rule: 'registry-config' });
  });

  it('matches credentials by fingerprint: the same token twice is one credential; a token of a principal acts as it', async () => {
    expect(sameAs(TOKEN, 'github:pat:99')).toMatchObject({ rule: 'credential-fingerprint', confidence: 1 });
    expect(edges.get('generic:secret:k8s0000000000000000000000|authenticates_as|k8s:serviceaccount:prod/ci/builder')).toMatchObject({ rule: 'credential-fingerprint' });
    const [alert] = await db.query(`SELECT credentials FROM alerts WHERE id = 'github-secret-scanning:acme/app/7'`);
    expect([...alert.credentials].sort()).toEqual(['github:pat:99', TOKEN]);
  });

  it('resolves Identity Center assignments to the reserved role and its sessions back to the user', async () => {
    expect(edges.get(`${IC_USER}|can_assume|${SSO_ROLE}`)).toMatchObject({ rule: 'sso-permission-set' });
    expect(edges.has(`${IC_USER}|can_assume|${SSO_NEAR_MISS}`)).toBe(false);
    const [assumed] = await db.query(`SELECT * FROM edges WHERE from_id = $1 AND kind = 'assumed' AND to_id = $2`, [IC_USER, SSO_ROLE]);
    expect(assumed).toMatchObject({ observed: true, count: 2 });
    expect(assumed.evidence).toEqual(['aws:ct:sso-2', 'aws:ct:sso-1']);
    expect(new Date(assumed.first_seen).toISOString()).toBe('2026-11-10T01:00:00.000Z');
  });

  it('is idempotent, and drops a link when its evidence leaves the store', async () => {
    const before = await db.query(`SELECT * FROM edges ORDER BY from_id, kind, to_id`);
    const again = await resolveIdentities(db);
    expect(again.removed).toBe(0);
    expect(await db.query(`SELECT * FROM edges ORDER BY from_id, kind, to_id`)).toEqual(before);
    expect((await db.query(`SELECT credentials FROM alerts`))[0].credentials).toHaveLength(2);

    await db.query(`DELETE FROM identities WHERE id = 'gcp:user:bob.nguyen@example.com'`);
    const after = await resolveIdentities(db);
    expect(after.removed).toBe(1);
    expect(await resolvedEdges(db).then((m) => m.has(`gcp:user:bob.nguyen@example.com|same_as|${BOB}`))).toBe(false);
  });
});

async function resolvedEdges(db: Db): Promise<Map<string, { rule: string; confidence: number }>> {
  const rows = await db.query(`SELECT from_id, kind, to_id, attributes FROM edges WHERE attributes->>'resolvedBy' = 'identity-resolution'`);
  return new Map(rows.map((r) => [`${r.from_id}|${r.kind}|${r.to_id}`, { rule: r.attributes.rule, confidence: Number(Number(r.attributes.confidence).toFixed(2)) }]));
}
