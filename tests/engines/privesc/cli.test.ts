import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EffectivePermissions, EvaluationOutput } from '../../../src/engines/permissions/index.js';
import { PrivescResult } from '../../../src/engines/privesc/index.js';
import { openStore } from '../../../src/store/index.js';
import { idcopilot } from '../../helpers/cli.js';
import { A, fixture, ingest, role, user } from './fixtures.js';

/** The real `idcopilot permissions` and `idcopilot privesc` on a store the fixtures were ingested into. */
describe('idcopilot permissions and privesc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idc-privesc-cli-'));
  const data = join(dir, 'store');
  beforeAll(async () => {
    const db = await openStore({ data });
    await ingest(db, [fixture('authz-details.json')]);
    await ingest(db, [fixture('k8s-rbac.yaml')], { cluster: 'prod' });
    await db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates one request as JSON, with the statements that decided it', () => {
    const r = idcopilot(['permissions', user('dave'), '--action', 'iam:AttachUserPolicy', '--resource', user('dave'), '--json', '--data', data]);
    expect(r.status).toBe(0);
    const out = EvaluationOutput.parse(r.json());
    expect(out).toMatchObject({ decision: 'deny', conditional: false });
    expect(out.matched.find((m) => m.effect === 'Deny')).toMatchObject({ policy: `arn:aws:iam::${A}:policy/deny-iam-writes`, via: 'direct' });
  });

  it('takes condition facts on the command line and exits 1 when the request is not allowed', () => {
    const base = ['permissions', user('heidi'), '--action', 'sts:AssumeRole', '--resource', role('mfa-admin'), '--data', data];
    const unknown = idcopilot(base);
    expect(unknown.status).toBe(0);
    expect(unknown.stdout).toMatch(/ALLOW \(conditional/);
    expect(unknown.stdout).toContain('aws:multifactorauthpresent');
    const denied = idcopilot([...base, '--context', 'aws:MultiFactorAuthPresent=false']);
    expect(denied.status).toBe(1);
    expect(denied.stdout).toMatch(/IMPLICIT_DENY/);
  });

  it('summarises effective permissions', () => {
    const r = idcopilot(['permissions', user('bob'), '--json', '--data', data]);
    expect(r.status).toBe(0);
    const out = EffectivePermissions.parse(r.json());
    expect(out.services.map((s) => s.service)).toEqual(['iam', 'ec2']);
    const text = idcopilot(['permissions', user('erin'), '--data', data]).stdout;
    expect(text).toMatch(/ADMINISTRATOR/);
  });

  it('lists who escalates, with paths, as the documented JSON', () => {
    const r = idcopilot(['privesc', '--json', '--data', data]);
    expect(r.status).toBe(0);
    const out = PrivescResult.parse(r.json());
    const carol = out.principals.find((p) => p.id === user('carol'))!;
    expect(carol.paths[0].steps.map((s) => ({ from: s.from, to: s.to, via: s.via, actions: s.actions }))).toEqual([
      { from: user('carol'), to: role('policy-editor'), via: 'aws-assume-role', actions: ['sts:AssumeRole'] },
      { from: role('policy-editor'), to: role('policy-editor'), via: 'aws-create-policy-version', actions: ['iam:CreatePolicyVersion'] },
    ]);
    expect(out.principals.some((p) => p.id === 'k8s:serviceaccount:prod/apps/ci-bot' && p.steps === 1)).toBe(true);
    expect(out.principals.every((p) => !p.isAdmin)).toBe(true);
  });

  it('reads another catalogue from --catalog or IDCOPILOT_PRIVESC_CATALOG, and rejects a bad one with its line', () => {
    const only = join(dir, 'only-assume.yaml');
    writeFileSync(only, 'version: 1\nmethods:\n  - { id: assume, provider: aws, name: Assume, requires: [sts:AssumeRole], target: role, yields: assume }\n');
    const r = idcopilot(['privesc', user('bob'), '--json', '--data', data], { env: { IDCOPILOT_PRIVESC_CATALOG: only } });
    expect(r.json().principals[0]).toMatchObject({ id: user('bob'), reachesAdmin: false });
    expect(r.json().catalog.origin).toBe(only);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nmethods:\n  - id: broken\n    provider: aws\n');
    const e = idcopilot(['privesc', '--catalog', bad, '--data', data]);
    expect(e.status).toBe(1);
    expect(e.stderr).toMatch(/bad\.yaml:3: methods\.0\.name/);
  });

  it('says plainly when the identity is unknown', () => {
    const r = idcopilot(['privesc', user('nobody'), '--data', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no identity arn:aws:iam::111111111111:user\/nobody in the store/);
  });
});
