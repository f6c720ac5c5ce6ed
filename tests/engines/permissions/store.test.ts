import { afterAll, beforeAll, expect, it } from 'vitest';
import { rec } from '../../../src/connectors/contract.js';
import { effectivePermissions, evaluate, PolicyCache } from '../../../src/engines/permissions/index.js';
import type { Db } from '../../../src/store/index.js';
import { seed } from '../../helpers/seed.js';
import { describeStores } from '../../helpers/stores.js';
import { A, fixture, ingest, role, user } from '../privesc/fixtures.js';

const BUCKET = 'arn:aws:s3:::partner-exchange';

describeStores('permissions on an ingested account', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    await ingest(db, [fixture('authz-details.json')]);
    // No connector reads SCPs or bucket policies yet: stored as the model defines them.
    await seed(db, [
      rec.policy({
        id: 'scp:p-guardrails', provider: 'aws', name: 'guardrails', kind: 'scp', attributes: { targets: [A] },
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Sid: 'KeepTrail', Effect: 'Deny', Action: 'cloudtrail:StopLogging', Resource: '*' }] },
      }),
      rec.policy({
        id: `resource:${BUCKET}`, provider: 'aws', name: 'partner-exchange bucket policy', kind: 'resource', attributes: { resource: BUCKET },
        document: { Version: '2012-10-17', Statement: [{ Sid: 'Partner', Effect: 'Allow', Principal: { AWS: user('carol') }, Action: 's3:GetObject', Resource: `${BUCKET}/*` }] },
      }),
    ]);
  });
  afterAll(async () => db?.close());

  it('inherits group policies and stops at the permissions boundary', async () => {
    const read = await evaluate(db, user('alice'), 'codecommit:GitPull', 'arn:aws:codecommit:eu-west-1:111111111111:payments');
    expect(read.decision).toBe('allow');
    expect(read.matched).toContainEqual(expect.objectContaining({ effect: 'Allow', via: 'group', viaId: `arn:aws:iam::${A}:group/developers`, policy: `inline:arn:aws:iam::${A}:group/developers:read-code` }));
    expect(read.matched).toContainEqual(expect.objectContaining({ via: 'boundary', policy: `arn:aws:iam::${A}:policy/dev-boundary` }));
    const put = await evaluate(db, user('alice'), 'iam:PutUserPolicy', user('alice'));
    expect(put).toMatchObject({ decision: 'implicit_deny', conditional: false });
    expect(put.reasons.join(' ')).toContain('dev-boundary');
  });

  it('lets an attached Deny policy win and names it', async () => {
    const r = await evaluate(db, user('dave'), 'iam:AttachUserPolicy', user('dave'));
    expect(r.decision).toBe('deny');
    expect(r.matched.filter((m) => m.effect === 'Deny').map((m) => m.policy)).toEqual([`arn:aws:iam::${A}:policy/deny-iam-writes`]);
    expect((await evaluate(db, user('dave'), 'iam:ListUsers', '*')).decision).toBe('allow');
  });

  it('applies the stored SCP to every principal of its account', async () => {
    const stop = await evaluate(db, user('erin'), 'cloudtrail:StopLogging', 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/org');
    expect(stop.decision).toBe('deny');
    expect(stop.matched).toContainEqual(expect.objectContaining({ policy: 'scp:p-guardrails', sid: 'KeepTrail', via: 'scp' }));
    expect((await evaluate(db, user('erin'), 'ec2:RunInstances', '*')).decision).toBe('allow');
  });

  it('evaluates AssumeRole against the role trust policy and its conditions', async () => {
    expect((await evaluate(db, user('heidi'), 'sts:AssumeRole', role('policy-editor'))).decision).toBe('allow');
    const mfa = await evaluate(db, user('heidi'), 'sts:AssumeRole', role('mfa-admin'));
    expect(mfa).toMatchObject({ decision: 'allow', conditional: true, unknownKeys: ['aws:multifactorauthpresent'] });
    expect(await evaluate(db, user('heidi'), 'sts:AssumeRole', role('mfa-admin'), { 'aws:MultiFactorAuthPresent': 'false' })).toMatchObject({ decision: 'implicit_deny', conditional: false });
    // The trust policy trusts only another account.
    expect((await evaluate(db, user('heidi'), 'sts:AssumeRole', role('ext-audit'))).decision).toBe('implicit_deny');
    // carol may assume policy-editor, but nothing else.
    expect((await evaluate(db, user('carol'), 'sts:AssumeRole', role('mfa-admin'))).decision).toBe('implicit_deny');
  });

  it('honours iam:PassedToService when it is given, and says conditional when it is not', async () => {
    expect(await evaluate(db, user('grace'), 'iam:PassRole', role('lambda-admin'), { 'iam:PassedToService': 'lambda.amazonaws.com' })).toMatchObject({ decision: 'allow', conditional: false });
    expect(await evaluate(db, user('grace'), 'iam:PassRole', role('ec2-admin'), { 'iam:PassedToService': 'ec2.amazonaws.com' })).toMatchObject({ decision: 'implicit_deny', conditional: false });
    expect(await evaluate(db, user('grace'), 'iam:PassRole', role('ec2-admin'))).toMatchObject({ decision: 'allow', conditional: true, unknownKeys: ['iam:passedtoservice'] });
  });

  it('grants through a stored resource policy within the account', async () => {
    const r = await evaluate(db, user('carol'), 's3:GetObject', `${BUCKET}/prices.csv`);
    expect(r.decision).toBe('allow');
    expect(r.matched.filter((m) => m.via !== 'scp')).toEqual([expect.objectContaining({ policy: `resource:${BUCKET}`, sid: 'Partner', via: 'resource' })]);
    expect((await evaluate(db, user('frank'), 's3:GetObject', `${BUCKET}/prices.csv`)).decision).toBe('implicit_deny');
  });

  it('rejects unknown principals and malformed actions with typed errors', async () => {
    await expect(evaluate(db, user('nobody'), 's3:GetObject', '*')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(evaluate(db, user('alice'), 'GetObject', '*')).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('recompiles a cached policy when its document changed', async () => {
    const cache = new PolicyCache();
    expect((await evaluate(db, user('bob'), 'ec2:TerminateInstances', '*', {}, { cache })).decision).toBe('implicit_deny');
    const id = `inline:${user('bob')}:provisioning`;
    const [row] = await db.query('SELECT document FROM policies WHERE id = $1', [id]);
    const doc = row.document as { Statement: unknown[] };
    await db.query('UPDATE policies SET document = $2 WHERE id = $1', [id, JSON.stringify({ ...doc, Statement: [...doc.Statement, { Effect: 'Allow', Action: 'ec2:TerminateInstances', Resource: '*' }] })]);
    expect((await evaluate(db, user('bob'), 'ec2:TerminateInstances', '*', {}, { cache })).decision).toBe('allow');
    await db.query('UPDATE policies SET document = $2 WHERE id = $1', [id, JSON.stringify(doc)]);
  });

  it('summarises effective permissions by service and privilege', async () => {
    const erin = await effectivePermissions(db, user('erin'));
    expect(erin.admin).toBe(true);
    expect(erin.privilege).toBe('admin');
    expect(erin.scps).toEqual(['scp:p-guardrails']);
    expect(erin.services.length).toBeGreaterThan(300);

    const alice = await effectivePermissions(db, user('alice'));
    expect(alice.admin).toBe(false);
    // s3 and codecommit pass the boundary; her iam grants do not.
    expect(alice.services.map((s) => s.service).sort()).toEqual(['codecommit', 's3']);
    const s3 = alice.services.find((s) => s.service === 's3')!;
    expect(s3.allowed).toBe(s3.total);
    expect(alice.boundary).toEqual([`arn:aws:iam::${A}:policy/dev-boundary`]);
    expect(alice.policies.map((p) => [p.via, p.id]).sort()).toEqual([
      ['direct', `inline:${user('alice')}:self-service`],
      ['group', `inline:arn:aws:iam::${A}:group/developers:read-code`],
    ]);

    const bob = await effectivePermissions(db, user('bob'));
    const iam = bob.services.find((s) => s.service === 'iam')!;
    expect(iam).toMatchObject({ allowed: 1, onAllResources: 0, privilege: 'privesc', sample: ['iam:PassRole'] });
    expect(bob.services.find((s) => s.service === 'ec2')).toMatchObject({ allowed: 2, onAllResources: 2 });
  });
});
