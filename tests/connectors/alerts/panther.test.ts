import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/connectors/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, parseFile } from '../agents/helpers.js';

type Obj = Record<string, any>;
interface RuleTest { RuleID: string; TestName: string; LogTypes: string[] | null; Log: Obj }

/**
 * Conformance with real vendor payloads: every Panther rule test whose LogTypes is exactly one of
 * these four is parsed by the connector the registry detects; each becomes an alert or event with the
 * actor, chain and target the payload states (checked here against the raw fields, independently of
 * the connector's code), or is rejected with a reason. Nothing crashes, nothing vanishes.
 */
const CASES = {
  'AWS.GuardDuty': { connector: 'aws-guardduty', record: 'alert', parsed: 8, rejected: 0 },
  'AWS.SecurityFindingFormat': { connector: 'aws-securityhub', record: 'alert', parsed: 10, rejected: 0 },
  'OpenAI.Audit': { connector: 'openai-audit', record: 'event', parsed: 33, rejected: 0 },
  'Anthropic.Activity': { connector: 'anthropic-activity', record: 'event', parsed: 38, rejected: 0 },
} as const;

describe.skipIf(!hasDatasets)(`Panther rule tests: GuardDuty, Security Hub, OpenAI, Anthropic (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
  const tests: RuleTest[] = hasDatasets
    ? readFileSync(dataset('panther-analysis', 'panther_rule_tests.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  const ofType = (t: string) => tests.filter((x) => x.LogTypes?.length === 1 && x.LogTypes[0] === t);

  async function run(logType: keyof typeof CASES) {
    const out = [];
    for (const t of ofType(logType)) {
      const text = JSON.stringify(t.Log);
      const file = memorySourceFile(`${t.RuleID}.json`, text);
      const detected = registry.detect({ path: file.path, name: file.name, head: file.head });
      expect(detected?.connector.name, `${t.RuleID} / ${t.TestName}`).toBe(CASES[logType].connector);
      const p = await parseFile(detected!.connector, file);
      expect(p.items, t.TestName).toHaveLength(1);
      expectValid(p);
      out.push({ t, p, log: t.Log, record: (p.of(CASES[logType].record as 'alert' | 'event')[0] ?? null) as Obj | null });
    }
    const c = CASES[logType];
    expect({ parsed: out.filter((o) => !o.p.items[0].reject).length, rejected: out.filter((o) => o.p.items[0].reject).length }).toEqual({ parsed: c.parsed, rejected: c.rejected });
    return out;
  }

  it('AWS.GuardDuty: alerts with the severity the rule expects and the principal the finding names', async () => {
    const rows = await run('AWS.GuardDuty');
    const expectedSeverity: Record<string, string> = {
      'AWS.GuardDuty.CriticalSeverityFinding': 'critical', 'AWS.GuardDuty.HighSeverityFinding': 'high',
      'AWS.GuardDuty.MediumSeverityFinding': 'medium', 'AWS.GuardDuty.LowSeverityFinding': 'low',
    };
    for (const { t, log, record } of rows) {
      expect(record!.severity, t.TestName).toBe(expectedSeverity[t.RuleID]);
      expect(record!.id).toBe(`guardduty:${log.id}`);
      expect(record!.rule).toBe(log.type);
      // Attack sequences name the principal and its account in the description; IAM findings name the role in their title.
      const expectedActor = log.type.startsWith('AttackSequence')
        ? 'arn:aws:iam::111122223333:user/john_doe'
        : `arn:aws:iam::${log.accountId}:role/IAMRole`;
      expect(record!.detail.actor, t.TestName).toBe(expectedActor);
      expect(record!.identities).toContain(expectedActor);
      const affected = log.service?.action?.awsApiCallAction?.affectedResources?.['AWS::IAM::Role'];
      if (affected) expect(record!.detail.target).toBe(affected);
      expect(record!.detail.sample ?? false).toBe(log.service?.additionalInfo?.sample === true || /"sample":\s*true/.test(log.service?.additionalInfo?.value ?? ''));
    }
  });

  it('AWS.SecurityFindingFormat: the actor key\'s session issuer, the session key, and the first target resource', async () => {
    const rows = await run('AWS.SecurityFindingFormat');
    for (const { t, log, record } of rows) {
      const keyRes = log.Resources.find((r: Obj) => r.Type === 'AwsIamAccessKey');
      const key = keyRes.Details.AwsIamAccessKey;
      expect(record!.severity, t.TestName).toBe(log.FindingProviderFields.Severity.Label.toLowerCase());
      expect(record!.detail.actor, t.TestName).toBe(key.SessionContext.SessionIssuer.Arn);
      expect(record!.credentials).toEqual([`aws:session-key:${key.AccessKeyId}`]);
      const target = log.Resources.find((r: Obj) => r.ResourceRole === 'Target');
      expect(record!.detail.target, t.TestName).toBe(target.Id);
      expect(record!.entities.ip ?? []).toEqual(log.Action.AwsApiCallAction.RemoteIpDetails?.IpAddressV4 ? [log.Action.AwsApiCallAction.RemoteIpDetails.IpAddressV4] : []);
    }
  });

  it('OpenAI.Audit: the session user or the key\'s owner as actor, the key in the chain, the object of the event as target', async () => {
    const rows = await run('OpenAI.Audit');
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const { t, log, record } of rows) {
      const a = log.actor;
      const actor = a.type === 'session' ? `openai:user:${a.session.user.id}`
        : a.api_key.type === 'service_account' ? `openai:service-account:${a.api_key.service_account.id}` : `openai:user:${a.api_key.user.id}`;
      expect(record!.actorId, t.TestName).toBe(actor);
      expect(record!.chain.credentialId).toBe(a.type === 'api_key' ? `openai:api-key:${a.api_key.id}` : null);
      expect(record!.action).toBe(log.type);
      expect(record!.outcome).toBe(log.type.endsWith('.failed') ? 'failure' : 'success');
      expect(record!.sourceIp).toBe(a.session?.ip_address ?? null);
      expect(record!.target, t.TestName).toBe(openaiTarget(log));
    }
  });

  it('Anthropic.Activity: users, API keys and unauthenticated callers as actors, the named object as target', async () => {
    const rows = await run('Anthropic.Activity');
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const { t, log, record } of rows) {
      const a = log.actor;
      const actor = a.type === 'user_actor' ? `anthropic:user:${a.user_id}` : a.type === 'api_actor' ? `anthropic:api-key:${a.api_key_id}` : 'anthropic:unauthenticated';
      expect(record!.actorId, t.TestName).toBe(actor);
      expect(record!.chain.credentialId).toBe(a.type === 'api_actor' ? actor : null);
      expect(record!.account).toBe(log.organization_id);
      expect(record!.outcome).toBe(log.type.endsWith('_failed') ? 'failure' : 'success');
      expect(record!.target, t.TestName).toBe(anthropicTarget(log));
    }
  });
});

function openaiTarget(log: Obj): string | null {
  const p = log[log.type] ?? log[log.type.replace(/\./g, '_')];
  if (!p) return null;
  if (log.type.startsWith('role.assignment')) return `openai:${p.principal_type === 'group' ? 'group' : 'user'}:${p.principal_id}`;
  if (log.type.startsWith('api_key.')) return `openai:api-key:${p.id}`;
  if (log.type.startsWith('ip_allowlist.')) return `openai:ip-allowlist:${p.id ?? p.configs[0].id}`;
  if (log.type.startsWith('scim.')) return `openai:org:${p.id}`;
  return null;
}

function anthropicTarget(log: Obj): string | null {
  if (log.target_id) return log.target_type === 'organization_member' ? `anthropic:user:${log.target_id}` : `anthropic:${log.target_type}:${log.target_id}`;
  if (log.deleted_user_id) return `anthropic:user:${log.deleted_user_id}`;
  if (log.mcp_server_id) return `anthropic:mcp-server:${log.mcp_server_id}`;
  if (log.claude_artifact_id) return `anthropic:artifact:${log.claude_artifact_id}`;
  if (log.claude_chat_id) return `anthropic:chat:${log.claude_chat_id}`;
  if (log.integration_type) return `anthropic:integration:${log.integration_type}`;
  return null;
}
