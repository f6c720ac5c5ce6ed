import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connector as guardduty } from '../../../src/connectors/aws-guardduty/index.js';
import { connector as securityhub } from '../../../src/connectors/aws-securityhub/index.js';
import { connector as generic } from '../../../src/connectors/generic-alerts/index.js';
import { severityFrom10, severityFrom100, severityFromAny, severityFromOcsf } from '../../../src/connectors/generic-alerts/severity.js';
import { connector as ocsf } from '../../../src/connectors/ocsf-findings/index.js';
import { registry } from '../../../src/connectors/index.js';
import { FormatError } from '../../../src/lib/errors.js';
import { fingerprint, shortHash } from '../../../src/lib/secrets.js';
import { SKIP_DATASETS, dataset, hasDatasets } from '../../helpers/datasets.js';
import { expectValid, fixture, fuzzParser, parseFile, parseText } from '../agents/helpers.js';

const ALERTS = (f: string) => fixture('alerts', f);
const KEY = 'aws:access-key:AKIAIOSFODNN7EXAMPLE';
const AI_BOT = 'arn:aws:iam::111122223333:user/ai-bot';

describe('severity mapping', () => {
  it('maps each vendor scale onto info..critical at the documented bands', () => {
    expect([0.5, 1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityFrom10)).toEqual(['info', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    expect([0, 1, 39, 40, 69, 70, 89, 90, 100].map(severityFrom100)).toEqual(['info', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    expect([1, 2, 3, 4, 5, 6].map((id) => severityFromOcsf(id, null))).toEqual(['info', 'low', 'medium', 'high', 'critical', 'critical']);
    expect(severityFromOcsf(99, 'Warning')).toBe('medium');
    expect(['Informational', 'minor', 'MODERATE', 'warn', 'Major', 'error', 'FATAL', 'emergency'].map((w) => severityFromAny(w))).toEqual(['info', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical']);
    expect(severityFromAny('7.5')).toBe('high');
    expect(severityFromAny(85)).toBe('high');
    expect(severityFromAny(undefined)).toBeNull();
    expect(() => severityFromAny('urgent-ish')).toThrow(/bad severity/);
    expect(() => severityFromAny(250)).toThrow(/bad severity/);
  });
});

describe('aws-guardduty', () => {
  it('an EventBridge finding names the IAM user and access key of accessKeyDetails, the remote IP and the secret touched', async () => {
    const p = await parseFile(guardduty, ALERTS('guardduty-eventbridge.json'));
    expectValid(p);
    const [alert] = p.of('alert');
    expect(alert).toMatchObject({
      id: 'guardduty:d4c7a1b2e3f40011aa22bb33cc44dd55', source: 'guardduty', severity: 'high', rule: 'CredentialAccess:IAMUser/AnomalousBehavior',
      identities: [AI_BOT, KEY], credentials: [KEY], mitre: ['TA0006'], time: '2026-11-10T03:06:12.118Z',
      entities: { account: ['111122223333'], ip: ['198.51.100.77'], resource: ['arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf'], application: ['secretsmanager.amazonaws.com'] },
      detail: { actor: AI_BOT, api: 'GetSecretValue', count: 14, score: 8.1 },
    });
    expect(p.of('credential')).toEqual([expect.objectContaining({ id: KEY, identityId: AI_BOT, type: 'access_key', fingerprint: fingerprint('AKIAIOSFODNN7EXAMPLE'), origin: 'alert' })]);
    expect(p.of('edge')).toEqual([expect.objectContaining({ from: AI_BOT, kind: 'owns_credential', to: KEY })]);
  });

  it('GetFindings output: an assumed-role session key, archived and sample findings kept and marked; bad findings rejected', async () => {
    const p = await parseFile(guardduty, ALERTS('guardduty-findings.json'));
    expectValid(p);
    const [alert] = p.of('alert');
    expect(alert).toMatchObject({
      severity: 'medium', identities: ['arn:aws:iam::111122223333:role/ci-deploy'], credentials: ['aws:session-key:ASIAY34FZKBOKMUTVV7A'],
      confidence: 0.1, detail: { archived: true, sample: true, target: 'arn:aws:s3:::customer-data' },
    });
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing severity', 'bad createdAt: "last tuesday" is not a timestamp (expected ISO-8601)']);
  });

  it('fuzz', async () => {
    await fuzzParser(guardduty, 'gd.json', readFileSync(ALERTS('guardduty-eventbridge.json'), 'utf8'));
    await fuzzParser(guardduty, 'gd.json', readFileSync(ALERTS('guardduty-findings.json'), 'utf8'));
  });

  describe.skipIf(!hasDatasets)(`Cartography GuardDuty fixture (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
    it('findings in every bundle become alerts with their principals, keys, instance profiles and clusters', async () => {
      const p = await parseFile(guardduty, dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'aws', 'guardduty.json'));
      expectValid(p);
      const alerts = p.of('alert');
      expect(alerts).toHaveLength(10);
      const byId = new Map(alerts.map((a) => [a.id, a]));
      expect(byId.get('guardduty:74b1234567890abcdef1234567890abcdef')).toMatchObject({ severity: 'high', identities: ['arn:aws:iam::123456789012:instance-profile/test-role'], entities: expect.objectContaining({ host: ['i-99999999'], ip: expect.arrayContaining(['198.51.100.1']) }) });
      expect(byId.get('guardduty:d2f5678901234ef5678901234ef567890')).toMatchObject({
        severity: 'high', identities: ['arn:aws:iam::123456789012:user/RemoteAccountOnlyUser', 'aws:access-key:AKIAREMOTEACCTEXAMPLE'],
        credentials: ['aws:access-key:AKIAREMOTEACCTEXAMPLE'], entities: expect.objectContaining({ account: ['123456789012', '998877665544'] }),
      });
      expect(byId.get('guardduty:5a1samplefinding0000000000000000')).toMatchObject({ confidence: 0.1, detail: expect.objectContaining({ sample: true }) });
      expect(p.of('edge').map((e) => `${e.from} ${e.kind} ${e.to}`)).toContain('arn:aws:iam::123456789012:user/RemoteAccountOnlyUser owns_credential aws:access-key:AKIAREMOTEACCTEXAMPLE');
      expect(byId.get('guardduty:b8f5678901234abcdef5678901234abcdef')?.entities).toMatchObject({ resource: ['arn:aws:eks:us-east-1:123456789012:cluster/test-cluster'] });
      expect(byId.get('guardduty:a7e4567890123def4567890123def45670')).toMatchObject({ identities: ['arn:aws:iam::123456789012:role/GeneratedFindingRoleSession'], credentials: ['aws:session-key:ASIAEXAMPLEASSUMEDKEY'] });
      // Detectors, cartography's own transform results and sample findings without times are rejected with a reason.
      expect(p.rejects.map((r) => r.reject)).toEqual([
        ...Array(2).fill('not a GuardDuty finding (expected id, type and severity)'),
        ...Array(8).fill('missing createdAt'),
      ]);
    });
  });
});

describe('aws-securityhub', () => {
  it('ASFF in an EventBridge event: actor key and principal, target role, resources, redacted product fields', async () => {
    const p = await parseFile(securityhub, ALERTS('securityhub-eventbridge.json'));
    expectValid(p);
    const [alert] = p.of('alert');
    expect(alert).toMatchObject({
      id: 'securityhub:arn:aws:guardduty:eu-west-1:111122223333:detector/12abc/finding/aa11', source: 'securityhub:guardduty', severity: 'critical',
      identities: [AI_BOT, KEY, 'arn:aws:iam::111122223333:role/admin'], credentials: [KEY], mitre: ['T1098.003'],
      entities: expect.objectContaining({ target: ['arn:aws:iam::111122223333:role/admin', 'arn:aws:s3:::customer-data'], ip: ['198.51.100.77'] }),
      detail: expect.objectContaining({ actor: AI_BOT, target: 'arn:aws:iam::111122223333:role/admin', workflowStatus: 'NEW' }),
    });
    expect(p.text).not.toContain('FwoGZXIvYXdzEFAKEsessiontoken0000000000');
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing Title']);
  });

  it('fuzz', async () => {
    await fuzzParser(securityhub, 'sh.json', readFileSync(ALERTS('securityhub-eventbridge.json'), 'utf8'));
  });

  describe.skipIf(!hasDatasets)(`Cartography Security Hub fixture (${hasDatasets ? 'present' : SKIP_DATASETS})`, () => {
    it('describe-hub becomes the hub resource', async () => {
      const p = await parseFile(securityhub, dataset('cartography-inventory-fixtures', 'json', 'tests', 'data', 'aws', 'securityhub.json'));
      expect(p.of('resource')).toEqual([expect.objectContaining({ id: 'arn:aws:securityhub:us-east-1:000000000000:hub/default', type: 'securityhub:hub', account: '000000000000' })]);
    });
  });
});

describe('ocsf-findings', () => {
  it('Detection Findings: AWS actor by ARN with its key, Okta user by id, an unknown product\'s user by email', async () => {
    const p = await parseFile(ocsf, ALERTS('ocsf-detection-findings.ndjson'));
    expectValid(p);
    const [aws, okta, edr] = p.of('alert');
    expect(aws).toMatchObject({
      id: 'ocsf:cloudtrail-anomaly-detector:ocsf-f-001', severity: 'high', identities: [AI_BOT, KEY], credentials: [KEY],
      events: ['aws:ct:e0a1b2c3-0000-4000-8000-000000000001'], mitre: ['T1078.004', 'TA0001'], confidence: 0.85, rule: 'an-17',
      entities: expect.objectContaining({ ip: ['198.51.100.77'], target: ['arn:aws:s3:::customer-data'] }),
      detail: expect.objectContaining({ actor: AI_BOT }),
    });
    expect(okta).toMatchObject({ severity: 'medium', identities: ['okta:user:00u1abcdEFGHijkl5d7'], detail: expect.objectContaining({ actor: 'okta:user:00u1abcdEFGHijkl5d7' }) });
    const edrUser = `generic:user:h:${shortHash('bob.nguyen@example.com', 16)}`;
    expect(edr).toMatchObject({ severity: 'critical', identities: [edrUser], entities: expect.objectContaining({ host: ['build-07'] }) });
    expect(p.of('identity').find((i) => i.id === edrUser)).toMatchObject({ email: 'bob.nguyen@example.com', provider: 'generic', kind: 'human' });
    expect(p.rejects.map((r) => [r.line, r.reject])).toEqual([
      [4, 'class_uid 3002 is not a Detection Finding (2004)'],
      [5, 'missing finding_info.uid'],
      [6, 'missing severity_id (got null)'],
    ]);
  });

  it('fuzz', async () => {
    await fuzzParser(ocsf, 'f.ndjson', readFileSync(ALERTS('ocsf-detection-findings.ndjson'), 'utf8'));
  });
});

describe('generic-alerts', () => {
  it('CSV from a SIEM: ARN accounts and key ids are linked, emails become resolvable accounts, pasted tokens are fingerprinted', async () => {
    const p = await parseFile(generic, ALERTS('siem-alerts.csv'));
    expectValid(p);
    const [tor, travel, ticket] = p.of('alert');
    expect(tor).toMatchObject({
      id: 'splunk-es:sp-1001', source: 'splunk-es', severity: 'high', identities: [AI_BOT], credentials: [KEY], mitre: ['T1078.004'],
      entities: { ip: ['198.51.100.77'], application: ['s3'] }, time: '2026-11-10T03:20:00.000Z',
    });
    const alice = `generic:user:h:${shortHash('alice.martin@example.com', 16)}`;
    expect(travel).toMatchObject({ severity: 'high', identities: [alice], entities: { account: ['alice.martin@example.com'], ip: ['203.0.113.50', '198.51.100.77'], host: ['laptop-alice'], application: ['Okta'] } });
    expect(ticket).toMatchObject({ severity: 'info', identities: [], entities: { account: ['carol'], application: ['Jira'] }, credentials: [expect.stringMatching(/^slack:secret:[0-9a-f]{24}$/)] });
    expect(p.text).not.toContain('xoxb-0000000000-FAKE0slack0ticket0token');
    expect(p.rejects.map((r) => [r.line, r.reject])).toEqual([
      [5, 'missing time'],
      [6, 'bad severity "urgent-ish" (expected info, low, medium, high, critical or a number)'],
      [7, 'missing title'],
    ]);
  });

  it('JSON with an entities block, events by id, extra fields kept; severity defaults to medium when absent', async () => {
    const p = await parseFile(generic, ALERTS('siem-alerts.json'));
    expectValid(p);
    const [a] = p.of('alert');
    expect(a).toMatchObject({
      id: 'panther:pa-77', severity: 'critical', rule: 'GitHub.PAT.NewASN', credentials: ['github:pat:4242'], events: ['aws:ct:e0a1b2c3-0000-4000-8000-000000000001'],
      identities: [expect.stringMatching(/^generic:user:h:/), 'github:user:alice-m'], detail: { extra: { runbook: 'https://wiki.example.com/runbooks/pat' } },
    });
    const noSeverity = await parseText(generic, 'a.json', '[{"time": "2026-11-10T00:00:00Z", "title": "x"}]');
    expect(noSeverity.of('alert')[0]).toMatchObject({ severity: 'medium', detail: { severityDefaulted: true } });
    expect(p.rejects.map((r) => r.reject)).toEqual(['missing time']);
  });

  it('a CSV without time and title columns is not this format', async () => {
    await expect(parseText(generic, 'a.csv', 'user,arn\nx,y\n')).rejects.toThrow(FormatError);
    await expect(parseText(generic, 'a.csv', 'time,title\n"unclosed,x\n')).rejects.toThrow(/not valid CSV/);
  });

  it('is detected for SIEM exports and loses to vendor formats', async () => {
    const pick = (path: string) => registry.detect({ path, name: path, head: readFileSync(path, 'utf8') })?.connector.name;
    expect(pick(ALERTS('siem-alerts.csv'))).toBe('generic-alerts');
    expect(pick(ALERTS('siem-alerts.json'))).toBe('generic-alerts');
    expect(pick(ALERTS('ocsf-detection-findings.ndjson'))).toBe('ocsf-findings');
    expect(pick(ALERTS('guardduty-eventbridge.json'))).toBe('aws-guardduty');
    expect(pick(ALERTS('securityhub-eventbridge.json'))).toBe('aws-securityhub');
  });

  it('fuzz', async () => {
    await fuzzParser(generic, 'a.csv', readFileSync(ALERTS('siem-alerts.csv'), 'utf8'));
    await fuzzParser(generic, 'a.json', readFileSync(ALERTS('siem-alerts.json'), 'utf8'));
  });
});
