import { afterAll, beforeAll, expect, it } from 'vitest';
import { ChainResolver, chainIds, sameAwsUser, type ResolvedChain } from '../../../src/engines/correlate/chains.js';
import { loadEvents } from '../../../src/engines/correlate/events.js';
import type { CanonicalRecord } from '../../../src/model/index.js';
import type { Db } from '../../../src/store/index.js';
import { seed } from '../../helpers/seed.js';
import { describeStores } from '../../helpers/stores.js';

/**
 * The chain behind events, resolved in batches: role sessions back to who assumed them (including the
 * role account's copy of a cross-account AssumeRole), keys to their holders (an agent given a key),
 * agents to the people they act for, GCP delegation lists, and the provider's own principals dropped.
 */
const CALLER = 'arn:aws:iam::333333333333:user/dev/sam';
const SAM_KEY = 'aws:access-key:AKIASAMDEV0000000001';
const ROLE = 'arn:aws:iam::444444444444:role/deployer';
const AGENT = 'agent:release-bot';
const BOT = 'arn:aws:iam::444444444444:user/bots/release';
const BOT_KEY = 'aws:access-key:AKIARELEASEBOT000001';
const WAF = 'arn:aws:iam::444444444444:role/waf';

function records(): CanonicalRecord[] {
  const r: CanonicalRecord[] = [];
  const ev = (v: Record<string, unknown>) => r.push({ kind: 'event', value: { provider: 'aws', outcome: 'success', ...v } as never });
  r.push({ kind: 'identity', value: { id: CALLER, kind: 'human', provider: 'aws', name: 'sam', account: '333333333333', attributes: { userId: 'AIDASAMDEV00000000001' } } });
  r.push({ kind: 'identity', value: { id: 'hr:employee:S1', kind: 'human', provider: 'hr', name: 'Sam Dev', email: 'sam@acme.example', status: 'active' } });
  r.push({ kind: 'edge', value: { from: CALLER, kind: 'same_as', to: 'hr:employee:S1' } });
  r.push({ kind: 'identity', value: { id: SAM_KEY, kind: 'api_key', provider: 'aws', name: 'AKIASAMDEV0000000001' } });
  r.push({ kind: 'credential', value: { id: SAM_KEY, identityId: CALLER, type: 'access_key', fingerprint: 'sha256:aaaaaaaaaaaaaaaa' } });
  r.push({ kind: 'edge', value: { from: CALLER, kind: 'owns_credential', to: SAM_KEY } });
  r.push({ kind: 'identity', value: { id: ROLE, kind: 'role', provider: 'aws', name: 'deployer', account: '444444444444' } });
  // Cross-account AssumeRole, logged twice: the caller's copy (with the key) and the role account's (root only).
  ev({ id: 'ev:assume-caller-copy', time: '2026-05-01T10:00:00Z', action: 'AssumeRole', actorId: CALLER, target: ROLE, chain: { credentialId: SAM_KEY }, detail: { responseElements: { credentials: { accessKeyId: 'ASIADEPLOY0000000001' } } } });
  ev({ id: 'ev:assume-role-copy', time: '2026-05-01T10:00:00Z', action: 'AssumeRole', actorId: 'arn:aws:iam::333333333333:root', target: ROLE, chain: {}, detail: { principalId: 'AIDASAMDEV00000000001', responseElements: { credentials: { accessKeyId: 'ASIADEPLOY0000000001' } } } });
  r.push({ kind: 'credential', value: { id: 'aws:session-key:ASIADEPLOY0000000001', identityId: ROLE, type: 'session_key', fingerprint: 'sha256:bbbbbbbbbbbbbbbb', attributes: { issuedBy: 'ev:assume-role-copy' } } });
  ev({ id: 'ev:deploy', time: '2026-05-01T10:05:00Z', action: 'UpdateFunctionCode', actorId: ROLE, chain: { credentialId: 'aws:session-key:ASIADEPLOY0000000001', session: 'arn:aws:sts::444444444444:assumed-role/deployer/sam', sessionIssuer: ROLE, sourceIdentity: 'sam@acme.example' } });
  // An agent holds a bot user's key and acts for a person.
  r.push({ kind: 'identity', value: { id: AGENT, kind: 'ai_agent', provider: 'agent', name: 'Release bot', autonomy: 'full' } });
  r.push({ kind: 'identity', value: { id: 'okta:user:00uhana', kind: 'human', provider: 'okta', name: 'Hana', email: 'hana@acme.example' } });
  r.push({ kind: 'edge', value: { from: AGENT, kind: 'acts_for', to: 'okta:user:00uhana' } });
  r.push({ kind: 'identity', value: { id: BOT, kind: 'service_account', provider: 'aws', name: 'release' } });
  r.push({ kind: 'identity', value: { id: BOT_KEY, kind: 'api_key', provider: 'aws', name: 'AKIARELEASEBOT000001' } });
  r.push({ kind: 'credential', value: { id: BOT_KEY, identityId: BOT, type: 'access_key', fingerprint: 'sha256:cccccccccccccccc' } });
  r.push({ kind: 'edge', value: { from: BOT, kind: 'owns_credential', to: BOT_KEY } });
  r.push({ kind: 'edge', value: { from: AGENT, kind: 'owns_credential', to: BOT_KEY } });
  ev({ id: 'ev:agent-read', time: '2026-05-01T11:00:00Z', action: 'GetSecretValue', actorId: BOT, chain: { credentialId: BOT_KEY } });
  // GCP: a person impersonating an account, as the delegation list says.
  ev({ id: 'ev:gcp', time: '2026-05-01T12:00:00Z', provider: 'gcp', action: 'SetIamPolicy', actorId: 'gcp:sa:deploy@p.iam.gserviceaccount.com', chain: { delegation: ['gcp:user:nadia@acme.example'] } });
  // EC2 delivers an instance role's credentials: the role is where the story starts.
  r.push({ kind: 'identity', value: { id: WAF, kind: 'role', provider: 'aws', name: 'waf' } });
  ev({ id: 'ev:ec2-assume', time: '2026-05-01T00:00:00Z', action: 'AssumeRole', actorId: 'aws:service:ec2.amazonaws.com', target: WAF, chain: {} });
  r.push({ kind: 'credential', value: { id: 'aws:session-key:ASIAWAF0000000000001', identityId: WAF, type: 'session_key', fingerprint: 'sha256:dddddddddddddddd', attributes: { issuedBy: 'ev:ec2-assume' } } });
  ev({ id: 'ev:waf-read', time: '2026-05-01T13:00:00Z', action: 'GetObject', actorId: WAF, chain: { credentialId: 'aws:session-key:ASIAWAF0000000000001' } });
  // A GuardDuty-style rebuilt ARN without the path names the same user as another holder of the key.
  r.push({ kind: 'edge', value: { from: 'arn:aws:iam::333333333333:user/sam', kind: 'owns_credential', to: SAM_KEY } });
  return r;
}

describeStores('correlate: chains behind events, in batches', (open) => {
  let db: Db;
  let resolved: Map<string, ResolvedChain>;
  beforeAll(async () => {
    db = await open();
    await seed(db, records());
    const events = await loadEvents(db, ['ev:deploy', 'ev:agent-read', 'ev:gcp', 'ev:waf-read', 'ev:assume-caller-copy']);
    resolved = await new ChainResolver(db).resolveEvents([...events.values()].filter((e) => e !== null) as never);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('follows a session to the caller copy of a cross-account AssumeRole, then the key to its holder', () => {
    const c = resolved.get('ev:deploy')!;
    expect(chainIds(c)).toEqual([CALLER, SAM_KEY, ROLE]);
    expect(c.links.map((l) => l.edge)).toEqual([null, 'owns_credential', 'assumed']);
    // The session's source identity names the person, kept beside the chain.
    expect(c.person).toBe('hr:employee:S1');
  });

  it('extends an AssumeRole event itself to the role it assumed', () => {
    expect(chainIds(resolved.get('ev:assume-caller-copy')!)).toEqual([CALLER, SAM_KEY, ROLE]);
  });

  it('puts the agent holding a key before it, and the person it acts for before the agent', () => {
    const c = resolved.get('ev:agent-read')!;
    expect(chainIds(c)).toEqual(['okta:user:00uhana', AGENT, BOT_KEY, BOT]);
    expect(c.links.map((l) => l.edge)).toEqual([null, 'acts_for', 'owns_credential', 'authenticates_as']);
  });

  it('reads GCP delegation lists as impersonation, first caller first', () => {
    const c = resolved.get('ev:gcp')!;
    expect(c.root).toBe('gcp:user:nadia@acme.example');
    expect(c.links).toEqual([{ identity: 'gcp:user:nadia@acme.example', edge: null }, { identity: 'gcp:sa:deploy@p.iam.gserviceaccount.com', edge: 'impersonates' }]);
  });

  it("drops the provider's own principal: an instance role's story starts at the role", () => {
    expect(chainIds(resolved.get('ev:waf-read')!)).toEqual([WAF]);
  });

  it('resolves a credential named by an alert to its holder, whatever spelling the alert used', async () => {
    const subjects = await new ChainResolver(db).resolveSubjects([{ id: SAM_KEY, credential: true }, { id: BOT_KEY, credential: true }]);
    expect(chainIds(subjects.get(SAM_KEY)!)).toEqual([CALLER, SAM_KEY]);
    expect(chainIds(subjects.get(BOT_KEY)!)).toEqual(['okta:user:00uhana', AGENT, BOT_KEY]);
  });
});

it('tells two spellings of one IAM user from two users', () => {
  expect(sameAwsUser('arn:aws:iam::1:user/a/b/ci'.replace('::1:', '::111111111111:'), 'arn:aws:iam::111111111111:user/ci')).toBe(true);
  expect(sameAwsUser('arn:aws:iam::111111111111:user/ci', 'arn:aws:iam::222222222222:user/ci')).toBe(false);
  expect(sameAwsUser('arn:aws:iam::111111111111:role/ci', 'arn:aws:iam::111111111111:user/ci')).toBe(false);
});
