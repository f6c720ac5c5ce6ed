import { describe, expect, it } from 'vitest';
import { actionReach, adminStatus, compilePolicy, decide, MAYBE, NO, principalContext, RequestContext, YES, type AttachedPolicy, type PolicySet } from '../../../src/engines/permissions/index.js';

const ACCT = '111111111111';
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
let n = 0;
const att = (document: unknown, via: AttachedPolicy['via'] = 'direct', id = `p${++n}`): AttachedPolicy => ({ policy: compilePolicy(id, document), via, viaId: null });

function setOf(opts: { identity?: unknown[]; boundary?: unknown[]; scps?: unknown[]; tags?: Record<string, string>; id?: string }): PolicySet {
  const id = opts.id ?? ALICE;
  const type = id.includes(':role/') ? 'role' : 'user';
  return {
    principal: { id, account: ACCT, type },
    identity: (opts.identity ?? []).map((d) => att(d)),
    boundary: opts.boundary ? opts.boundary.map((d) => att(d, 'boundary')) : null,
    scps: opts.scps ? opts.scps.map((d) => att(d, 'scp')) : null,
    unknown: [],
    context: principalContext({ id, name: id.slice(id.lastIndexOf('/') + 1), account: ACCT, tags: opts.tags ?? {} }, type),
  };
}

describe('AWS policy evaluation', () => {
  it('allows what an identity policy allows, matching actions without case and resources with wildcards', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::reports/*' })] });
    expect(decide(s, 'S3:GetObject', 'arn:aws:s3:::reports/2024/q1.csv').decision).toBe('allow');
    expect(decide(s, 's3:PutObject', 'arn:aws:s3:::reports/x').decision).toBe('implicit_deny');
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::other/x').decision).toBe('implicit_deny');
    const d = decide(s, 's3:GetObject', 'arn:aws:s3:::reports/a');
    expect(d.matched).toEqual([expect.objectContaining({ effect: 'Allow', statement: 0, via: 'direct', conditional: false })]);
  });

  it('lets an explicit Deny win over any Allow', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' }), doc({ Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' })] });
    const d = decide(s, 'iam:CreateUser', `arn:aws:iam::${ACCT}:user/x`);
    expect(d.decision).toBe('deny');
    expect(d.conditional).toBe(false);
    expect(d.matched.map((m) => [m.effect, m.sid])).toEqual([['Allow', null], ['Deny', 'NoIam']]);
    expect(d.reasons[0]).toMatch(/explicit Deny/);
    expect(decide(s, 's3:ListBucket', 'arn:aws:s3:::b').decision).toBe('allow');
    expect(adminStatus(s)).toBe(NO);
  });

  it('reads NotAction as everything but the listed actions', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })] });
    expect(decide(s, 'ec2:RunInstances', '*').decision).toBe('allow');
    expect(decide(s, 'iam:PassRole', `arn:aws:iam::${ACCT}:role/r`).decision).toBe('implicit_deny');
    expect(adminStatus(s)).toBe(NO);
    // A Deny with NotAction denies everything else.
    const d = setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', NotAction: 's3:*', Resource: '*' })] });
    expect(decide(d, 's3:GetObject', 'arn:aws:s3:::b/k').decision).toBe('allow');
    expect(decide(d, 'ec2:RunInstances', '*').decision).toBe('deny');
  });

  it('reads NotResource as every resource but the listed ones', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', Action: 's3:*', NotResource: ['arn:aws:s3:::payroll', 'arn:aws:s3:::payroll/*'] })] });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::reports/a').decision).toBe('allow');
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::payroll/june.csv').decision).toBe('implicit_deny');
  });

  it('intersects identity policies with the permissions boundary', () => {
    const s = setOf({
      identity: [doc({ Effect: 'Allow', Action: ['s3:*', 'iam:PutUserPolicy'], Resource: '*' })],
      boundary: [doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:Describe*'], Resource: '*' })],
    });
    expect(decide(s, 's3:PutObject', 'arn:aws:s3:::b/k').decision).toBe('allow');
    const put = decide(s, 'iam:PutUserPolicy', ALICE);
    expect(put.decision).toBe('implicit_deny');
    expect(put.reasons.join(' ')).toMatch(/permissions boundary/);
    // The boundary alone grants nothing.
    expect(decide(s, 'ec2:DescribeInstances', '*').decision).toBe('implicit_deny');
    expect(actionReach(s, 'ec2:DescribeInstances').allowed).toBe(NO);
    expect(actionReach(s, 's3:GetObject')).toEqual({ allowed: YES, scope: 'all' });
  });

  it('requires an Allow from the service control policies and honours their Deny', () => {
    const s = setOf({
      identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
      scps: [doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*', 'iam:*'], Resource: '*' }, { Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' })],
    });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::b/k').decision).toBe('allow');
    expect(decide(s, 'ec2:TerminateInstances', '*').decision).toBe('deny');
    const kms = decide(s, 'kms:Decrypt', '*');
    expect(kms.decision).toBe('implicit_deny');
    expect(kms.reasons).toContain('no service control policy allows it');
    // The SCP does not allow every action: not an administrator.
    expect(adminStatus(s)).toBe(NO);
  });

  it('evaluates conditions whose facts are known and labels the rest conditional', () => {
    const s = setOf({
      tags: { team: 'payments' },
      identity: [doc(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'payments' } } },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'platform' } } },
        { Effect: 'Allow', Action: 's3:DeleteObject', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/owner': 'alice' } } },
        { Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
      )],
    });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::b/k')).toMatchObject({ decision: 'allow', conditional: false });
    expect(decide(s, 's3:PutObject', 'arn:aws:s3:::b/k')).toMatchObject({ decision: 'implicit_deny', conditional: false });
    // Tags come from the inventory: a tag the principal does not carry is known to be absent.
    expect(decide(s, 's3:DeleteObject', 'arn:aws:s3:::b/k')).toMatchObject({ decision: 'implicit_deny', conditional: false });
    const mfa = decide(s, 'iam:CreateAccessKey', ALICE);
    expect(mfa).toMatchObject({ decision: 'allow', conditional: true });
    expect(mfa.matched[0].conditional).toBe(true);
    // Given the fact, the answer is definite either way.
    expect(decide(s, 'iam:CreateAccessKey', ALICE, s.context.with({ 'aws:MultiFactorAuthPresent': 'true' }))).toMatchObject({ decision: 'allow', conditional: false });
    expect(decide(s, 'iam:CreateAccessKey', ALICE, s.context.with({ 'aws:MultiFactorAuthPresent': 'false' }))).toMatchObject({ decision: 'implicit_deny', conditional: false });
  });

  it('makes a conditional Deny a conditional answer, not a silent allow', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })] });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::b/k')).toMatchObject({ decision: 'allow', conditional: true });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::b/k', s.context.with({ 'aws:SourceIp': '10.2.3.4' }))).toMatchObject({ decision: 'allow', conditional: false });
    expect(decide(s, 's3:GetObject', 'arn:aws:s3:::b/k', s.context.with({ 'aws:SourceIp': '203.0.113.9' }))).toMatchObject({ decision: 'deny', conditional: false });
  });

  it('supports IfExists, Null, ForAnyValue, date and numeric operators', () => {
    const ctx = new RequestContext({ 'aws:RequestedRegion': 'eu-west-1', 'aws:TagKeys': ['env', 'team'], 'aws:CurrentTime': '2024-06-01T00:00:00Z', 's3:max-keys': '50' }).completePrefix('aws:principaltag/');
    const st = (Condition: unknown) => setOf({ identity: [doc({ Effect: 'Allow', Action: 'x:Do', Resource: '*', Condition })] });
    const run = (Condition: unknown) => decide(st(Condition), 'x:Do', '*', ctx).decision;
    expect(run({ StringEqualsIfExists: { 'aws:PrincipalTag/cost-center': '42' } })).toBe('allow');
    expect(run({ Null: { 'aws:PrincipalTag/cost-center': 'true' } })).toBe('allow');
    expect(run({ Null: { 'aws:RequestedRegion': 'true' } })).toBe('implicit_deny');
    expect(run({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } })).toBe('allow');
    expect(run({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } })).toBe('implicit_deny');
    expect(run({ DateLessThan: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } })).toBe('allow');
    expect(run({ NumericLessThanEquals: { 's3:max-keys': '10' } })).toBe('implicit_deny');
    expect(run({ StringLike: { 'aws:RequestedRegion': 'eu-*' } })).toBe('allow');
    expect(run({ UnheardOfOperator: { 'aws:RequestedRegion': 'x' } })).toBe('allow');
    expect(decide(st({ UnheardOfOperator: { 'aws:RequestedRegion': 'x' } }), 'x:Do', '*', ctx).conditional).toBe(true);
  });

  it('substitutes policy variables, and treats an unknown one as unknown', () => {
    const s = setOf({ identity: [doc({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: `arn:aws:iam::${ACCT}:user/\${aws:username}` })] });
    expect(decide(s, 'iam:CreateAccessKey', ALICE).decision).toBe('allow');
    expect(decide(s, 'iam:CreateAccessKey', `arn:aws:iam::${ACCT}:user/bob`).decision).toBe('implicit_deny');
    const role = setOf({ id: `arn:aws:iam::${ACCT}:role/r`, identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:userid}/*' })] });
    expect(decide(role, 's3:GetObject', 'arn:aws:s3:::home/AROA1/x')).toMatchObject({ decision: 'allow', conditional: true });
  });

  it('needs the trust policy for AssumeRole: naming the principal suffices, naming the account needs the identity policy', () => {
    const role = `arn:aws:iam::${ACCT}:role/target`;
    const trustDirect = { policies: [att(doc({ Effect: 'Allow', Principal: { AWS: ALICE }, Action: 'sts:AssumeRole' }), 'resource')], account: ACCT, known: true, trust: true };
    const trustRoot = { policies: [att(doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' }), 'resource')], account: ACCT, known: true, trust: true };
    const nothing = setOf({});
    const canAssume = setOf({ identity: [doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role })] });
    expect(decide(nothing, 'sts:AssumeRole', role, nothing.context, trustDirect).decision).toBe('allow');
    expect(decide(nothing, 'sts:AssumeRole', role, nothing.context, trustRoot).decision).toBe('implicit_deny');
    expect(decide(canAssume, 'sts:AssumeRole', role, canAssume.context, trustRoot).decision).toBe('allow');
    const other = `arn:aws:iam::${ACCT}:role/untrusting`;
    const noTrust = { policies: [att(doc({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }), 'resource')], account: ACCT, known: true, trust: true };
    const d = decide(setOf({ identity: [doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' })] }), 'sts:AssumeRole', other, undefined, noTrust);
    expect(d.decision).toBe('implicit_deny');
    expect(d.reasons.join(' ')).toMatch(/trust policy/);
  });

  it('needs both sides across accounts, and either side within one', () => {
    const bucket = 'arn:aws:s3:::shared-data/file';
    const bucketPolicy = (principal: string) => ({ policies: [att(doc({ Effect: 'Allow', Principal: { AWS: principal }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared-data/*' }), 'resource')], account: '222222222222', known: true });
    const withIdentity = setOf({ identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })] });
    const without = setOf({});
    expect(decide(withIdentity, 's3:GetObject', bucket, undefined, bucketPolicy(ALICE))).toMatchObject({ decision: 'allow', crossAccount: true });
    expect(decide(without, 's3:GetObject', bucket, undefined, bucketPolicy(ALICE)).decision).toBe('implicit_deny');
    expect(decide(withIdentity, 's3:GetObject', bucket, undefined, bucketPolicy('arn:aws:iam::333333333333:root')).decision).toBe('implicit_deny');
    // Same account: the bucket policy alone grants.
    const own = { ...bucketPolicy(ALICE), account: ACCT };
    expect(decide(without, 's3:GetObject', bucket, undefined, own).decision).toBe('allow');
    // Cross-account with no resource policy in the store: possible, not known.
    expect(decide(withIdentity, 's3:GetObject', bucket, undefined, { policies: [], account: '222222222222', known: false })).toMatchObject({ decision: 'allow', conditional: true });
  });

  it('calls a principal administrator only when every layer allows everything', () => {
    expect(adminStatus(setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })] }))).toBe(YES);
    expect(adminStatus(setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' })] }))).toBe(YES);
    expect(adminStatus(setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })], boundary: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*' })] }))).toBe(NO);
    expect(adminStatus(setOf({ identity: [doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } })] }))).toBe(MAYBE);
    expect(adminStatus(setOf({ identity: [doc({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })] }))).toBe(NO);
  });

  it('skips malformed statements instead of throwing, and says so', () => {
    const p = compilePolicy('bad', { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, { Effect: 'Maybe', Action: 'x:y' }, 'nonsense', { Effect: 'Allow', Action: [1, 2] }] });
    expect(p.statements).toHaveLength(1);
    expect(p.errors).toEqual([
      'statement 1: Effect is neither Allow nor Deny',
      'statement 2: not an object',
      'statement 3: Action and Resource must be strings or lists of strings',
    ]);
    expect(compilePolicy('t', '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}').statements).toHaveLength(1);
    expect(compilePolicy('t', 'not json').errors).toEqual(['document is not valid JSON']);
  });
});
