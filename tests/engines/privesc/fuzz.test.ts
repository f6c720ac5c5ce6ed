import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePolicy, decide, principalContext, RequestContext, type PolicySet } from '../../../src/engines/permissions/index.js';
import { compileCondition } from '../../../src/engines/permissions/conditions.js';
import { parseCatalog } from '../../../src/engines/privesc/index.js';
import { FormatError } from '../../../src/lib/errors.js';
import { dataset, hasDatasets } from '../../helpers/datasets.js';

/** Random damage to a text: truncation, a cut, an inserted structural character or junk. */
const mutation = (text: string) => fc.oneof(
  fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
  fc.tuple(fc.integer({ min: 0, max: text.length }), fc.integer({ min: 1, max: 200 })).map(([at, n]) => text.slice(0, at) + text.slice(at + n)),
  fc.tuple(fc.integer({ min: 0, max: text.length }), fc.constantFrom('{', '}', '[', ']', ':', '- ', '\n', '\t', '"', "'", '&a', '*a', '!!binary', 'null', '  ', '#'))
    .map(([at, s]) => text.slice(0, at) + s + text.slice(at)),
  fc.tuple(fc.integer({ min: 0, max: text.length }), fc.string({ maxLength: 12 })).map(([at, s]) => text.slice(0, at) + s + text.slice(at)),
);

const BUILTIN = readFileSync(fileURLToPath(new URL('../../../src/engines/privesc/catalog.yaml', import.meta.url)), 'utf8');
const SAMPLE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'A', Effect: 'Allow', Action: ['s3:Get*', 'iam:PassRole'], Resource: ['arn:aws:s3:::b/*', 'arn:aws:iam::111111111111:role/${aws:username}'], Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' }, IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } },
    { Effect: 'Deny', NotAction: 'iam:*', NotResource: '*', Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': 'x*' }, NullIfExists: { k: 'true' } } },
  ],
});

const set = (document: unknown): PolicySet => ({
  principal: { id: 'arn:aws:iam::111111111111:user/alice', account: '111111111111', type: 'user' },
  identity: [{ policy: compilePolicy('p', document), via: 'direct', viaId: null }],
  boundary: null, scps: null, unknown: [],
  context: principalContext({ id: 'arn:aws:iam::111111111111:user/alice', name: 'alice', account: '111111111111', tags: {} }, 'user'),
});

describe('fuzzing the policy compiler and the catalogue readers', () => {
  it('compiles and evaluates any damaged policy document without throwing', () => {
    fc.assert(fc.property(mutation(SAMPLE_POLICY), fc.constantFrom('s3:GetObject', 'iam:PassRole', 'ec2:RunInstances'), (text, action) => {
      let doc: unknown = text;
      try {
        doc = JSON.parse(text);
      } catch {
        // The compiler takes unparsable text too and reports it.
      }
      const d = decide(set(doc), action, 'arn:aws:s3:::b/k');
      expect(['allow', 'deny', 'implicit_deny']).toContain(d.decision);
    }), { numRuns: 400 });
  });

  it('evaluates arbitrary JSON as a document and arbitrary condition blocks without throwing', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
      expect(() => decide(set(value), 's3:GetObject', '*')).not.toThrow();
      const c = compileCondition(value);
      const ctx = new RequestContext({ 'aws:SourceIp': '10.1.2.3', 'aws:TagKeys': ['a', 'b'] });
      if (c) expect([0, 1, 2]).toContain(c.test(ctx));
    }), { numRuns: 400 });
  });

  it('reads a damaged catalogue or rejects it with FormatError, never another error', () => {
    fc.assert(fc.property(mutation(BUILTIN), (text) => {
      try {
        const c = parseCatalog(text, 'catalog.yaml', 'fuzz');
        expect(c.methods.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).message).toMatch(/^catalog\.yaml(:\d+(:\d+)?)?: /);
      }
    }), { numRuns: 300 });
  });

  it.skipIf(!hasDatasets)('reads a damaged pathfinding.cloud catalogue or rejects it with FormatError', () => {
    const text = readFileSync(dataset('cloudsplaining/research/pathfinding-cloud/pathfinding-paths-catalog.yaml'), 'utf8').slice(0, 40_000);
    fc.assert(fc.property(mutation(text), (damaged) => {
      try {
        const c = parseCatalog(damaged, 'paths.yaml', 'fuzz');
        expect(c.mapping.length).toBeGreaterThanOrEqual(0);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
      }
    }), { numRuns: 60 });
  });

  it('names the line of a bad method', () => {
    const bad = BUILTIN.replace('yields: passed_role\n    services: [ec2.amazonaws.com]\n    instanceProfile: true\n  - id: aws-passrole-ec2-spot', 'yields: teleport\n    services: [ec2.amazonaws.com]\n    instanceProfile: true\n  - id: aws-passrole-ec2-spot');
    expect(() => parseCatalog(bad, 'catalog.yaml', 'x')).toThrow(/^catalog\.yaml:\d+: methods\.\d+\.yields: /);
    expect(() => parseCatalog('paths: [{ id: x }]', 'p.yaml', 'x')).toThrow(/p\.yaml:1: paths\[0\]\.required_actions/);
    expect(() => parseCatalog('- just\n- a list', 'l.yaml', 'x')).toThrow(FormatError);
  });
});
