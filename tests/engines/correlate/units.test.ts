import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertLite } from '../../../src/engines/correlate/alerts.js';
import type { ResolvedChain } from '../../../src/engines/correlate/chains.js';
import { awsName, commandFor } from '../../../src/engines/correlate/commands.js';
import { FactBook, type IdentityFact } from '../../../src/engines/correlate/facts.js';
import { groupStories, storyKey, type Anchored } from '../../../src/engines/correlate/grouping.js';
import { iamAction } from '../../../src/engines/correlate/least-privilege.js';
import { assignIds, newIncidentId, type StoredIncident } from '../../../src/engines/correlate/persist.js';
import { PRIORITY_WEIGHTS, prioritize } from '../../../src/engines/correlate/priority.js';
import { appendSuppression, loadSuppressions, matches, parseSuppressions } from '../../../src/engines/correlate/suppressions.js';
import { CopilotError } from '../../../src/lib/errors.js';

const alert = (id: string, iso: string, over: Partial<AlertLite> = {}): AlertLite => ({
  id, time: iso, ms: Date.parse(iso), source: 'copilot:rules', severity: 'medium', title: id, rule: id, identities: [], credentials: [], events: [], confidence: 0.7, description: '', mitre: [], ...over,
});
const chain = (ids: string[], person: string | null = null): ResolvedChain => ({ root: ids[0], links: ids.map((identity, i) => ({ identity, edge: i === 0 ? null : 'assumed' })), person, credentials: [] });

/** A FactBook filled by hand: priority reads facts and owners, never the store. */
function facts(list: Partial<IdentityFact & { owner: { ownerStatus: string; ownerName: string } }>[]): FactBook {
  const book = new FactBook(null as never);
  const f = (book as unknown as { facts: Map<string, IdentityFact | null> }).facts;
  const o = (book as unknown as { owners: Map<string, unknown> }).owners;
  for (const x of list) {
    f.set(x.id!, { kind: 'service_account', provider: 'aws', name: x.id!, email: null, account: null, environment: 'prod', status: 'active', autonomy: null, external: false, accountRoot: false, origin: 'inventory', createdAt: null, lastSeenAt: null, privilege: null, attributes: {}, tags: {}, ...x } as IdentityFact);
    if (x.owner) o.set(x.id!, { ownerId: 'hr:employee:o', ownerName: x.owner.ownerName, ownerEmail: null, ownerStatus: x.owner.ownerStatus, via: 'direct', source: 'ownership-map', confidence: 0.95, team: null });
  }
  return book;
}

describe('grouping', () => {
  it('keys people by the person behind them, everything else by its root', () => {
    const kind = (id: string) => (id.startsWith('okta:user') || id.includes(':user/') ? 'human' : 'role');
    expect(storyKey(chain(['okta:user:1'], 'hr:employee:9'), kind)).toBe('hr:employee:9');
    expect(storyKey(chain(['arn:aws:iam::1:role/r'], 'hr:employee:9'), kind)).toBe('arn:aws:iam::1:role/r');
  });

  it('splits a root\'s alerts at a quiet gap and keeps the longest chain', () => {
    const a: Anchored[] = [
      { alert: alert('a1', '2026-01-01T00:00:00Z'), chain: chain(['u']) },
      { alert: alert('a2', '2026-01-01T05:00:00Z', { severity: 'high' }), chain: chain(['u', 'r']) },
      { alert: alert('a3', '2026-01-09T00:00:00Z'), chain: chain(['u']) },
    ];
    const stories = groupStories(a, () => 'role', { gapMs: 72 * 3_600_000 });
    expect(stories.map((s) => s.alerts.map((x) => x.id))).toEqual([['a1', 'a2'], ['a3']]);
    expect(stories[0].chain.map((l) => l.identity)).toEqual(['u', 'r']);
    expect(stories[0].chains).toEqual([['u'], ['u', 'r']]);
  });
});

describe('priority', () => {
  const story = (over: Partial<ReturnType<typeof groupStories>[number]> = {}) => ({
    key: 'r', root: 'r', person: null, chain: [{ identity: 'r', edge: null }], chains: [['r']], alerts: [alert('x', '2026-01-01T10:00:00Z')], events: [], credentials: [],
    firstMs: Date.parse('2026-01-01T10:00:00Z'), lastMs: Date.parse('2026-01-01T10:00:00Z'), ...over,
  });

  it('explains the score factor by factor, weights summing to 100', () => {
    expect(Object.values(PRIORITY_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(100);
    const p = prioritize(story(), facts([{ id: 'r' }]), Date.parse('2026-01-01T10:30:00Z'));
    expect(p.factors.map((f) => f.name).sort()).toEqual(Object.keys(PRIORITY_WEIGHTS).sort());
    expect(p.score).toBeCloseTo(p.factors.reduce((s, f) => s + f.value, 0), 0);
    expect(p.happeningNow).toBe(true);
  });

  it('weighs what is happening now, an owner who left, admin rights and autonomy', () => {
    const base = prioritize(story(), facts([{ id: 'r' }]), Date.parse('2026-01-05T10:00:00Z'));
    const now = prioritize(story(), facts([{ id: 'r' }]), Date.parse('2026-01-01T10:10:00Z'));
    expect(now.score).toBeGreaterThan(base.score);
    const left = prioritize(story(), facts([{ id: 'r', owner: { ownerStatus: 'terminated', ownerName: 'Jo' } }]), Date.parse('2026-01-05T10:00:00Z'));
    expect(left.factors.find((f) => f.name === 'ownerStatus')).toMatchObject({ value: 10, detail: 'owner of r, Jo, is terminated' });
    const admin = prioritize(story(), facts([{ id: 'r', privilege: 'admin', autonomy: 'full' }]), Date.parse('2026-01-05T10:00:00Z'));
    expect(admin.factors.find((f) => f.name === 'privilege')!.value).toBe(PRIORITY_WEIGHTS.privilege);
    expect(admin.factors.find((f) => f.name === 'autonomy')!.value).toBe(PRIORITY_WEIGHTS.autonomy);
  });

  it('never ranks an incident below its strongest alert, and corroboration counts distinct detectors', () => {
    const one = prioritize(story({ alerts: [alert('a', '2026-01-01T10:00:00Z', { severity: 'critical', source: 'guardduty' })] }), facts([{ id: 'r' }]), Date.parse('2026-02-01T00:00:00Z'));
    expect(one.severity).toBe('critical');
    const three = prioritize(story({ alerts: ['a', 'b', 'c'].map((x) => alert(x, '2026-01-01T10:00:00Z')) }), facts([{ id: 'r' }]), Date.parse('2026-02-01T00:00:00Z'));
    expect(three.factors.find((f) => f.name === 'corroboration')!.value).toBeCloseTo(PRIORITY_WEIGHTS.corroboration * 0.8, 1);
  });
});

describe('incident ids', () => {
  it('match a new grouping to the stored incident that shares the most alerts, else derive one', () => {
    const s = { key: 'k', root: 'k', person: null, chain: [], chains: [], alerts: [alert('a1', '2026-01-01T00:00:00Z'), alert('a2', '2026-01-01T01:00:00Z')], events: [], credentials: [], firstMs: 0, lastMs: 0 };
    const stored: StoredIncident = { id: 'inc-0000000001', storyKey: 'k', status: 'acknowledged', statusAtMs: null, alerts: new Set(['a2']), firstMs: 0, lastMs: 0, severity: 'high', score: 50 };
    expect(assignIds([s], new Map([['k', [stored]]]), 1).get(s)).toMatchObject({ id: 'inc-0000000001', status: 'acknowledged', isNew: false });
    const fresh = assignIds([s], new Map(), 1).get(s)!;
    expect(fresh).toMatchObject({ isNew: true, id: newIncidentId(s) });
    expect(fresh.id).toMatch(/^inc-[0-9a-f]{10}$/);
  });
});

describe('commands', () => {
  it('names AWS principals without their path', () => {
    expect(awsName('arn:aws:iam::111111111111:user/ci/ci-deployer')).toBe('ci-deployer');
  });
  it('writes the exact call for each provider', () => {
    expect(commandFor({ action: 'deactivate_credential', target: 'aws:access-key:AKIA1', principal: 'arn:aws:iam::1:user/x/bob' })).toBe('aws iam update-access-key --user-name bob --access-key-id AKIA1 --status Inactive');
    expect(commandFor({ action: 'deactivate_credential', target: 'aws:password:arn:aws:iam::1:user/svc' })).toBe('aws iam delete-login-profile --user-name svc');
    expect(commandFor({ action: 'revoke_sessions', target: 'okta:user:00u1' })).toContain('/api/v1/users/00u1/sessions?oauthTokens=true');
    expect(commandFor({ action: 'revoke_sessions', target: 'entra:user:abc' })).toBe('az rest --method POST --url https://graph.microsoft.com/v1.0/users/abc/revokeSignInSessions');
    expect(commandFor({ action: 'disable_identity', target: 'gcp:sa:d@p.iam.gserviceaccount.com' })).toBe('gcloud iam service-accounts disable d@p.iam.gserviceaccount.com');
    expect(commandFor({ action: 'rotate_credential', target: 'github:pat:42' })).toBe('gh api -X POST /orgs/<org>/personal-access-tokens/42 -f action=revoke');
    expect(commandFor({ action: 'revoke_grant', target: 'entra:sp:s1', grantIds: ['g1'] })).toBe('az rest --method DELETE --url https://graph.microsoft.com/v1.0/oauth2PermissionGrants/g1');
    expect(commandFor({ action: 'remove_trust', target: 'gcp:sa:d@p.iam.gserviceaccount.com', member: 'gcp:user:n@acme.example' })).toContain('remove-iam-policy-binding d@p.iam.gserviceaccount.com --member=user:n@acme.example --role=roles/iam.serviceAccountTokenCreator');
    expect(commandFor({ action: 'revoke_sessions', target: 'k8s:serviceaccount:c/build/runner' })).toContain('kubectl -n build delete serviceaccount runner');
    expect(commandFor({ action: 'contact_owner', target: 'x' })).toBeNull();
  });
  it("revokes AWS sessions issued before the command runs, not before the data's time", () => {
    expect(commandFor({ action: 'revoke_sessions', target: 'arn:aws:iam::1:role/r' })).toContain(`"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"`);
  });
});

describe('least privilege', () => {
  it('maps CloudTrail names to IAM actions through the AWS catalogue', async () => {
    expect(await iamAction('lambda.amazonaws.com', 'ListFunctions20150331')).toBe('lambda:ListFunctions');
    expect(await iamAction('s3.amazonaws.com', 'ListBuckets')).toBe('s3:ListAllMyBuckets');
    expect(await iamAction('s3.amazonaws.com', 'GetObject')).toBe('s3:GetObject');
    expect(await iamAction('sts.amazonaws.com', 'GetCallerIdentity')).toBe('sts:GetCallerIdentity');
    expect(await iamAction('signin.amazonaws.com', 'NotAnAction')).toBeNull();
  });
});

describe('suppressions', () => {
  const good = `suppressions:
  - id: nightly-backup
    match: { rootIdentity: "arn:aws:iam::1:role/backup-*", rule: "baseline:rate_*" }
    reason: the nightly backup reads every bucket
    author: alice@example.com
    expires: 2026-12-31
`;
  it('parses rules and matches alerts on every field they name', () => {
    const [r] = parseSuppressions(good, 'f.yaml');
    expect(matches(r, alert('x', '2026-01-01T00:00:00Z', { rule: 'baseline:rate_spike' }), 'arn:aws:iam::1:role/backup-nightly')).toBe(true);
    expect(matches(r, alert('x', '2026-01-01T00:00:00Z', { rule: 'baseline:new_network' }), 'arn:aws:iam::1:role/backup-nightly')).toBe(false);
    expect(matches(r, alert('x', '2026-01-01T00:00:00Z', { rule: 'baseline:rate_spike' }), 'arn:aws:iam::1:role/other')).toBe(false);
  });

  it('refuses a rule without author or expiry, naming file and line', () => {
    expect(() => parseSuppressions(good.replace('    author: alice@example.com\n', ''), 'f.yaml')).toThrow(/f\.yaml:2: suppression nightly-backup: suppressions\.0\.author/);
    expect(() => parseSuppressions(good.replace('    expires: 2026-12-31\n', ''), 'f.yaml')).toThrow(/expires/);
    expect(() => parseSuppressions('suppressions:\n  - id: x\n    match: {}\n    reason: why not\n    author: a\n    expires: 2026-01-01\n', 'f.yaml')).toThrow(/at least one of/);
    expect(() => parseSuppressions('suppressions: [\n', 'f.yaml')).toThrow(/not valid YAML/);
  });

  it('sets expired rules aside at the given time, and appends new rules keeping the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idc-sup-'));
    const f = join(dir, 's.yaml');
    writeFileSync(f, `# reviewed by security\n${good}`);
    expect(loadSuppressions(f, new Date('2027-01-01T00:00:00Z'))).toMatchObject({ active: [], expired: [{ id: 'nightly-backup' }] });
    expect(loadSuppressions(f, new Date('2026-12-31T23:00:00Z')).active).toHaveLength(1);
    appendSuppression(f, { id: 'inc-0000000001-1', match: { rootIdentity: 'arn:aws:iam::1:user/x', rule: 'aws.console.login-without-mfa' }, reason: 'known', author: 'bob', expires: '2026-12-01' });
    const text = readFileSync(f, 'utf8');
    expect(text).toContain('# reviewed by security');
    expect(parseSuppressions(text, f).map((r) => r.id)).toEqual(['nightly-backup', 'inc-0000000001-1']);
    expect(() => appendSuppression(f, { id: 'nightly-backup', match: { rule: 'x' }, reason: 'dup', author: 'a', expires: '2026-01-01' })).toThrow(/already exists/);
  });

  it('fuzz: a damaged suppressions file is a configuration error or valid rules, never a crash', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: good.length }), fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: good.length }), (cut, junk, at) => {
      const damaged = (good.slice(0, at) + junk + good.slice(at)).slice(0, Math.max(cut, 1));
      try {
        const rules = parseSuppressions(damaged, 'f.yaml');
        expect(Array.isArray(rules)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(CopilotError);
      }
    }), { numRuns: 400 });
  });
});
