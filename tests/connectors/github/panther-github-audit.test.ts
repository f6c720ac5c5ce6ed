import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/github-audit-log/index.js';
import { SKIP_DATASETS, hasDatasets } from '../../helpers/datasets.js';
import { eventOf, expectValid, pantherLogs, parsePantherLogs } from './harness.js';

/**
 * Every Panther rule test whose LogTypes is exactly ['GitHub.Audit']: each becomes an event or a reject
 * naming the missing field. Expectations below were checked by reading each event.
 */
const EXPECTED: Record<number, { actor: string; target: string | null; chain?: Record<string, unknown>; action?: string }> = {
  0: { actor: 'github:user:cat', target: 'github:repo:my-org/my-repo', action: 'protected_branch.destroy' },
  1: { actor: 'github:user:github_handle', target: 'github:repo:your-org/panther-analysis-copy' },
  3: { actor: 'github:user:bobert', target: 'github:repo:an-org/a-repo', action: 'repository_secret_scanning_push_protection.disable' },
  11: { actor: 'github:user:bobert', target: 'github:enterprise:example-enterprise' },
  12: { actor: 'github:user:bobert', target: 'github:enterprise:example-enterprise', action: 'business_advanced_security.disabled' },
  // An org setting is about the org even when the event also names a repository.
  17: { actor: 'github:user:cat', target: 'github:org:my-org', action: 'org.saml_disabled' },
  18: { actor: 'github:user:admin-user', target: 'github:org:my-org' },
  20: { actor: 'github:user:org-owner', target: 'github:org:my-org', action: 'org.disable_oauth_app_restrictions' },
  29: { actor: 'github:user:sarah78', target: 'github:user:john1987', action: 'organization_moderators.add_user' },
  31: { actor: 'github:user:cat', target: 'github:team:my-org/my-team', action: 'team.destroy' },
  32: { actor: 'github:user:cat', target: 'github:user:cat', action: 'org.add_member' },
  33: { actor: 'github:user:cat', target: 'github:user:bob', action: 'org.remove_member' },
  34: { actor: 'github:user:user_name', target: 'github:app:microsoft-teams-for-github', action: 'integration_installation.create' },
  35: { actor: 'github:user:leetboy', target: 'github:app:datadog-ci' },
  41: { actor: 'github:user:bob', target: 'github:user:cat', action: 'repo.add_member' },
  49: { actor: 'github:user:cat', target: 'github:repo:my-org/my-repo', action: 'git.push' },
  // `<slug>[bot]` is the GitHub App itself.
  53: { actor: 'github:app:secret-scanning', target: 'github:repo:my-org/my-repo' },
  62: { actor: 'github:user:badger', target: 'github:repo:acme/repo', chain: { sourceIdentity: 'badger@acme.com', federatedProvider: 'saml' } },
  64: { actor: 'github:user:user-name', target: 'github:repo:your-organizatoin/project_repo', action: 'repo.transfer_outgoing' },
  67: { actor: 'github:user:github', target: 'github:repo:acme-inc/crown-jewels', action: 'secret_scanning_alert.create' },
  68: { actor: 'github:user:acme-inc-user', target: 'github:repo:acme-inc/a-repo', chain: { credentialId: 'github:token:0123456789' } },
  86: { actor: 'github:user:cat', target: 'github:team:my-org/my-team' },
  91: { actor: 'github:user:cat', target: 'github:user:bob', action: 'org.update_member' },
  97: { actor: 'github:app:github-actions', target: 'github:repo:yourcompany/yourrepo', chain: { credentialId: 'github:token:1111111111111' } },
  98: { actor: 'github:app:github-actions', target: 'github:repo:yourcompany/yourrepo' },
  99: { actor: 'github:user:homersimpson', target: 'github:org:yourcompany', action: 'org.set_default_workflow_permissions' },
};

const REJECTED: Record<number, RegExp> = {
  46: /^missing @timestamp/, 47: /^missing @timestamp/, 48: /^missing @timestamp/,
  52: /^missing actor$/, 61: /^missing actor$/,
  54: /^created_at: "2024-12-17 00:00:00000000" is not a timestamp/, 55: /^created_at:/, 57: /^created_at:/, 58: /^created_at:/,
  56: /^missing @timestamp/, 69: /^missing @timestamp/, 85: /^missing @timestamp/, 93: /^missing @timestamp/, 96: /^missing @timestamp/,
};

describe.skipIf(!hasDatasets)(`Panther GitHub.Audit conformance${hasDatasets ? '' : ` (${SKIP_DATASETS})`}`, () => {
  it('turns all 101 tests into 70 events and 31 rejects naming the missing field', async () => {
    const logs = pantherLogs('GitHub.Audit');
    expect(logs).toHaveLength(101);
    const p = await parsePantherLogs(connector, logs);
    expect(p.items).toHaveLength(101);
    expect(p.items.map((i) => i.index)).toEqual(logs.map((_, i) => i));
    expect(p.of('event')).toHaveLength(70);
    expect(p.rejects).toHaveLength(31);
    for (const r of p.rejects) expect(r.reject).toMatch(/^missing (actor|@timestamp \(or created_at\))$|^created_at: /);
    expectValid(p.items);
  });

  it('gives the actor, target and chain read from each event', async () => {
    const p = await parsePantherLogs(connector, pantherLogs('GitHub.Audit'));
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(20);
    for (const [i, want] of Object.entries(EXPECTED)) {
      const { event } = eventOf(p.items[Number(i)]);
      expect(event, `test ${i}`).toBeDefined();
      expect({ i, actor: event!.actorId, target: event!.target }).toEqual({ i, actor: want.actor, target: want.target });
      if (want.action) expect(event!.action).toBe(want.action);
      const chain = Object.fromEntries(Object.entries(event!.chain ?? {}).filter(([, v]) => v !== null && !(Array.isArray(v) && !v.length)));
      expect(chain, `chain of test ${i}`).toEqual(want.chain ?? {});
    }
    for (const [i, re] of Object.entries(REJECTED)) expect(p.items[Number(i)].reject, `test ${i}`).toMatch(re);
  });

  it('keeps times in UTC from every shape Panther stores them in', async () => {
    const p = await parsePantherLogs(connector, pantherLogs('GitHub.Audit'));
    expect(eventOf(p.items[0]).event!.time).toBe('2021-05-18T02:31:58.553Z'); // created_at in epoch ms
    expect(eventOf(p.items[62]).event!.time).toBe('2024-04-09T06:17:55.186Z'); // at_sign_timestamp (@timestamp) wins over created_at
    expect(eventOf(p.items[98]).event!.time).toBe('2025-10-15T18:45:47.048Z'); // only p_event_time
  });
});
