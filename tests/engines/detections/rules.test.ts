import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCondition, compileMatch } from '../../../src/engines/detections/matcher.js';
import { compile, loadRules, matchingRules, RULES_DIR } from '../../../src/engines/detections/load.js';
import { RuleEvaluator } from '../../../src/engines/detections/evaluate.js';
import { Match, Rule, type Condition } from '../../../src/engines/detections/schema.js';
import { viewFromEvent, type EventView } from '../../../src/engines/detections/view.js';
import { CopilotError } from '../../../src/lib/errors.js';
import { Event } from '../../../src/model/index.js';

const ACTOR = 'arn:aws:iam::111122223333:user/alice';

function view(over: Partial<Parameters<typeof Event.parse>[0]> = {}, actorKind = 'human'): EventView {
  const e = Event.parse({
    id: 'aws:ct:e1', time: '2025-03-01T10:00:00Z', provider: 'aws', service: 'iam.amazonaws.com', action: 'CreateAccessKey', outcome: 'success',
    actorId: ACTOR, sourceIp: '203.0.113.9', sourceKind: 'ipv4', userAgent: 'aws-cli/2.15',
    chain: { session: 'arn:aws:sts::111122223333:assumed-role/app/i-0abc12345678def0' },
    detail: {
      requestParameters: {
        userName: 'bob', withDecryption: 'true', count: 7,
        policyDocument: '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
        items: [{ cidrIp: '10.0.0.0/8' }, { cidrIp: '0.0.0.0/0' }],
      },
    },
    ...over,
  });
  return viewFromEvent(e, new Map([[ACTOR, { kind: actorKind, name: 'alice', account: '111122223333', environment: 'prod', provider: 'aws' }]]));
}

const holds = (c: Condition, v = view()) => compileCondition(c)(v);

describe('the condition language', () => {
  it('tests paths into the event, its detail and the identities it names', () => {
    expect(holds({ path: 'detail.requestParameters.userName', equals: 'bob' })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.userName', equals: 'BOB' })).toBe(false);
    expect(holds({ path: 'detail.requestParameters.userName', equals: 'BOB', ignoreCase: true })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.userName', notEqualsPath: 'actor.name' })).toBe(true);
    expect(holds({ path: 'actor.name', equals: 'alice' })).toBe(true);
    expect(holds({ path: 'actor.account', equals: '111122223333' })).toBe(true);
    expect(holds({ path: 'sessionName', regex: '^i-[0-9a-f]{8,17}$' })).toBe(true);
    expect(holds({ path: 'network', equals: '203.0.113.0/24' })).toBe(true);
    // Vendors write booleans and numbers as text: "true" equals true, 7 equals "7".
    expect(holds({ path: 'detail.requestParameters.withDecryption', equals: true })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.count', equals: '7' })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.count', gt: 5, lt: 8 })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.count', gt: 7 })).toBe(false);
  });

  it('walks lists and objects with `*`, and reads into JSON text (policy documents)', () => {
    expect(holds({ path: 'detail.requestParameters.items.*.cidrIp', in: ['0.0.0.0/0'] })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.items.*.cidrIp', equals: '192.168.0.0/16' })).toBe(false);
    expect(holds({ path: 'detail.requestParameters.policyDocument.Statement.*.Action', equals: '*' })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.policyDocument', regex: '"Action"\\s*:\\s*"\\*"' })).toBe(true);
    expect(holds({ path: 'detail.requestParameters.missing.*.x', exists: false })).toBe(true);
  });

  it('treats a missing value as absent: exists false, notEquals true, equals false', () => {
    const v = view({ detail: {} });
    expect(holds({ path: 'detail.requestParameters.userName', exists: false }, v)).toBe(true);
    expect(holds({ path: 'detail.requestParameters.userName', equals: 'bob' }, v)).toBe(false);
    expect(holds({ path: 'detail.requestParameters.userName', notEquals: 'bob' }, v)).toBe(true);
    expect(holds({ path: 'detail.requestParameters.userName', notEqualsPath: 'actor.name' }, v)).toBe(true);
    expect(holds({ path: 'detail.requestParameters.userName', equalsPath: 'actor.name' }, v)).toBe(false);
  });

  it('combines conditions with all, any and not', () => {
    expect(holds({ all: [{ path: 'provider', equals: 'aws' }, { not: { path: 'outcome', equals: 'failure' } }] })).toBe(true);
    expect(holds({ any: [{ path: 'provider', equals: 'gcp' }, { path: 'userAgent', glob: 'aws-cli/*' }] })).toBe(true);
    expect(holds({ not: { any: [{ path: 'provider', equals: 'aws' }] } })).toBe(false);
  });

  it('matches provider, service, action (globs) and actor kind in a match block', () => {
    const m = (x: unknown) => compileMatch(Match.parse(x));
    expect(m({ provider: 'aws', action: ['Create*Key', 'Other'] })(view())).toBe(true);
    expect(m({ provider: 'aws', action: 'CreateAccessKey', actorKind: ['service_account'] })(view())).toBe(false);
    expect(m({ provider: 'aws', action: 'CreateAccessKey', actorKind: ['service_account'] })(view({}, 'service_account'))).toBe(true);
    // The default outcome is success; not_failure takes unknown too.
    expect(m({ action: 'CreateAccessKey' })(view({ outcome: 'unknown' }))).toBe(false);
    expect(m({ action: 'CreateAccessKey', outcome: 'not_failure' })(view({ outcome: 'unknown' }))).toBe(true);
    expect(m({ action: 'CreateAccessKey', outcome: 'not_failure' })(view({ outcome: 'failure' }))).toBe(false);
    expect(m({ action: 'CreateAccessKey', none: [{ path: 'actor.name', equals: 'alice' }] })(view())).toBe(false);
  });
});

describe('rule files', () => {
  it('loads the built-in pack: unique ids, MITRE ids and a severity on every rule, several providers', () => {
    const set = loadRules();
    const ids = set.rules.map((r) => r.rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(70);
    for (const r of set.rules) {
      expect(r.rule.mitre.length, r.rule.id).toBeGreaterThan(0);
      expect(r.rule.mitre.every((m) => /^T\d{4}(\.\d{3})?$/.test(m))).toBe(true);
    }
    const providers = new Set(set.rules.map((r) => r.rule.id.split('.')[0]));
    expect(providers).toEqual(new Set(['aws', 'okta', 'entra', 'github', 'gcp', 'k8s']));
    expect(set.rules.filter((r) => r.rule.type !== 'match').map((r) => r.rule.type).sort()).toEqual(expect.arrayContaining(['burst', 'first_time', 'new_network']));
    // The access-key rule is indexed under its action: only events with that action reach it.
    expect(matchingRules(set, view()).map((r) => r.rule.id)).toContain('aws.iam.access-key-for-other-user');
    expect(matchingRules(set, view({ action: 'ListUsers' })).map((r) => r.rule.id)).not.toContain('aws.iam.access-key-for-other-user');
  });

  it('refuses a bad rule file with the file, the rule and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idc-rules-'));
    writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - id: my.rule\n    title: t\n    severity: urgent\n    mitre: [T1098]\n    match: { provider: aws }\n');
    expect(() => loadRules(dir)).toThrowError(/bad\.yaml rule my\.rule: rules\.0\.severity/);
    writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - id: my.rule\n    title: t\n    severity: low\n    mitre: [T1098]\n    type: burst\n    match: { provider: aws }\n');
    expect(() => loadRules(dir)).toThrowError(/a burst rule needs count and window/);
    writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - id: my.rule\n    title: t\n    severity: low\n    mitre: [T1098]\n    match: { all: [ { path: a, equals: 1, exists: true } ] }\n');
    expect(() => loadRules(dir)).toThrowError(/exactly one test/);
    writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - id: my.rule\n    title: t\n    severity: low\n    mitre: [T1098]\n    match: { all: [ { path: a, regex: "([" } ] }\n');
    expect(() => loadRules(dir)).toThrowError(CopilotError);
  });

  it('counts a burst once per window of distinct values, and a first time once per key', () => {
    const burst = compile(Rule.parse({
      id: 't.burst', title: 'b', severity: 'high', mitre: ['T1555'], type: 'burst', count: 3, window: '10m', distinct: 'target',
      match: { provider: 'aws', action: 'GetSecretValue' },
    }));
    const ev = new RuleEvaluator({ rules: [burst], byAction: new Map([['GetSecretValue', [burst]]]), anyAction: [], maxWindowMs: burst.windowMs }, null);
    const at = (min: number, target: string, id: string) => view({ id, action: 'GetSecretValue', target, time: new Date(Date.parse('2025-03-01T10:00:00Z') + min * 60_000).toISOString() });
    const phase = { alert: true, judge: true, learn: true };
    ev.observe(at(0, 's1', 'a'), phase);
    ev.observe(at(1, 's1', 'b'), phase); // the same secret again: still two distinct
    expect(ev.alerts.size).toBe(0);
    ev.observe(at(2, 's2', 'c'), phase);
    expect(ev.alerts.size).toBe(0);
    ev.observe(at(3, 's3', 'd'), phase);
    expect([...ev.alerts.keys()]).toEqual(['rule:t.burst:d']);
    // Outside the window the count starts again.
    ev.observe(at(30, 's4', 'e'), phase);
    ev.observe(at(31, 's5', 'f'), phase);
    expect(ev.alerts.size).toBe(1);
  });
});

describe('robustness (fast-check)', () => {
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml'));

  it('a rule file cut or changed anywhere loads or fails with a configuration error, never another exception', () => {
    const texts = files.map((f) => readFileSync(join(RULES_DIR, f), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'idc-rules-fuzz-'));
    fc.assert(fc.property(
      fc.integer({ min: 0, max: texts.length - 1 }), fc.nat(), fc.nat(), fc.constantFrom('cut', 'byte', 'swap'), fc.string({ minLength: 1, maxLength: 4 }),
      (i, a, b, how, junk) => {
        const t = texts[i];
        const p = a % t.length;
        const mutated = how === 'cut' ? t.slice(0, p) : how === 'byte' ? t.slice(0, p) + junk + t.slice(p + 1) : t.slice(0, p) + t.slice(p, p + (b % 40)).split('').reverse().join('') + t.slice(p + (b % 40));
        writeFileSync(join(dir, 'r.yaml'), mutated);
        try {
          loadRules(dir);
        } catch (err) {
          if (!(err instanceof CopilotError) || err.code !== 'E_CONFIG') throw err;
        }
      }), { numRuns: 300 });
  });

  it('every built-in rule judges any event shape without throwing', () => {
    const set = loadRules();
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('userName', 'items', 'policyDocument', 'Statement', 'Action', 'x', '*'), tie('value'), { maxKeys: 3 })),
    })).value;
    fc.assert(fc.property(
      fc.constantFrom(...new Set(set.rules.flatMap((r) => r.actions ?? ['AnyAction']))), fc.constantFrom('aws', 'okta', 'gcp', 'k8s', 'github', 'entra'),
      fc.constantFrom('success', 'failure', 'unknown'), json, fc.option(fc.string(), { nil: null }), fc.option(fc.constantFrom('1.2.3.4', '::1', 'AWS Internal', 'x'), { nil: null }),
      (action, provider, outcome, detail, target, ip) => {
        const v = view({ action, provider: provider as 'aws', outcome: outcome as 'success', detail: { requestParameters: detail }, target, sourceIp: ip });
        const ev = new RuleEvaluator(set, null);
        ev.observe(v, { alert: true, judge: true, learn: true });
        for (const a of ev.alerts.values()) expect(a.id).toBe(`rule:${a.rule}:${v.id}`);
      }), { numRuns: 400 });
  });
});
