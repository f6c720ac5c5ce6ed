import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog, loadCatalog, privesc, type PrivescResult } from '../../../src/engines/privesc/index.js';
import { openStore, type Db } from '../../../src/store/index.js';
import { dataset, hasDatasets, SKIP_DATASETS } from '../../helpers/datasets.js';
import { ingest } from './fixtures.js';

/**
 * pathfinding.cloud's catalogue of AWS escalation paths, used as data: how many of its paths the
 * engine models, and whether principals built to exercise each path (exactly its required actions,
 * in an account that has what the path needs: administrator roles for each service, an admin user, an
 * admin group, assumable roles) reach administrator. A control principal with the first action
 * removed must not, unless what is left is itself a path.
 */
const CATALOG = dataset('cloudsplaining/research/pathfinding-cloud/pathfinding-paths-catalog.yaml');
const ACCT = '123456789012';
const arn = (kind: string, name: string) => `arn:aws:iam::${ACCT}:${kind}/${name}`;
const doc = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });
const ADMIN = { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
const SERVICES = [
  'ec2.amazonaws.com', 'lambda.amazonaws.com', 'glue.amazonaws.com', 'cloudformation.amazonaws.com', 'codebuild.amazonaws.com',
  'datapipeline.amazonaws.com', 'ecs-tasks.amazonaws.com', 'sagemaker.amazonaws.com', 'tasks.apprunner.amazonaws.com', 'bedrock-agentcore.amazonaws.com',
];

interface Path { id: string; category: string; required_actions: string[] }

const when = '2024-01-01T00:00:00Z';
const role = (name: string, trust: unknown, attached: unknown[], profile = false) => ({
  Path: '/', RoleName: name, RoleId: `AROA${name.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(17, 'X').slice(0, 17)}`, Arn: arn('role', name), CreateDate: when,
  AssumeRolePolicyDocument: trust, RolePolicyList: [], AttachedManagedPolicies: attached, Tags: [],
  InstanceProfileList: profile ? [{ Path: '/', InstanceProfileName: name, InstanceProfileId: 'AIPAEXAMPLE', Arn: arn('instance-profile', name), CreateDate: when, Roles: [] }] : [],
});
const managed = (name: string, document: unknown) => ({
  PolicyName: name, PolicyId: `ANPA${name.length}`, Arn: arn('policy', name), Path: '/', DefaultVersionId: 'v1', AttachmentCount: 1, IsAttachable: true,
  CreateDate: when, UpdateDate: when, PolicyVersionList: [{ Document: document, VersionId: 'v1', IsDefaultVersion: true, CreateDate: when }],
});

/** A role for role-only self-escalation (it rewrites itself); a user for everything else. */
function principalKind(p: Path): 'role' | 'user' {
  return p.category === 'self-escalation' && p.required_actions.some((a) => /^iam:(putrolepolicy|attachrolepolicy)$/i.test(a)) ? 'role' : 'user';
}

function estate(paths: Path[]): { file: object; subjects: Map<string, { positive: string; control: string | null }> } {
  const rootTrust = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: 'sts:AssumeRole' });
  const roles: unknown[] = [
    ...SERVICES.map((s) => role(`admin-${s.split('.')[0]}`, doc({ Effect: 'Allow', Principal: { Service: s }, Action: 'sts:AssumeRole' }), [ADMIN], s === 'ec2.amazonaws.com')),
    role('assumable-admin', rootTrust, [ADMIN]),
    role('assumable-plain', rootTrust, [{ PolicyName: 'plain-policy', PolicyArn: arn('policy', 'plain-policy') }]),
  ];
  const users: unknown[] = [{ Path: '/', UserName: 'admin-user', UserId: 'AIDAADMINUSER', Arn: arn('user', 'admin-user'), CreateDate: when, UserPolicyList: [], GroupList: [], AttachedManagedPolicies: [ADMIN], Tags: [] }];
  const groups: unknown[] = [
    { Path: '/', GroupName: 'admin-group', GroupId: 'AGPAADMIN', Arn: arn('group', 'admin-group'), CreateDate: when, GroupPolicyList: [], AttachedManagedPolicies: [ADMIN] },
    { Path: '/', GroupName: 'plain-group', GroupId: 'AGPAPLAIN', Arn: arn('group', 'plain-group'), CreateDate: when, GroupPolicyList: [], AttachedManagedPolicies: [] },
  ];
  const policies: unknown[] = [managed('plain-policy', doc({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }))];
  const subjects = new Map<string, { positive: string; control: string | null }>();
  const add = (name: string, actions: string[], kind: 'role' | 'user') => {
    // A customer-managed policy of its own: CreatePolicyVersion has something of its own to rewrite.
    policies.push(managed(`${name}-policy`, doc({ Effect: 'Allow', Action: actions.length ? actions : ['s3:ListAllMyBuckets'], Resource: '*' })));
    const attached = [{ PolicyName: `${name}-policy`, PolicyArn: arn('policy', `${name}-policy`) }];
    if (kind === 'role') roles.push(role(name, rootTrust, attached));
    else users.push({ Path: '/', UserName: name, UserId: `AIDA${name.length}`, Arn: arn('user', name), CreateDate: when, UserPolicyList: [], GroupList: ['plain-group'], AttachedManagedPolicies: attached, Tags: [] });
    return arn(kind, name);
  };
  const actionSets = paths.map((p) => new Set(p.required_actions.map((a) => a.toLowerCase())));
  for (const p of paths) {
    const kind = principalKind(p);
    const positive = add(`pf-${p.id}`, p.required_actions, kind);
    const rest = p.required_actions.slice(1);
    // What is left may be a path of its own (lambda-004 without InvokeFunction is lambda-003).
    const restIsPath = actionSets.some((s) => [...s].every((a) => rest.map((x) => x.toLowerCase()).includes(a)));
    subjects.set(p.id, { positive, control: restIsPath ? null : add(`pf-${p.id}-control`, rest, kind) });
  }
  return { file: { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: policies }, subjects };
}

describe.skipIf(!hasDatasets)(`pathfinding.cloud catalogue ${hasDatasets ? '' : SKIP_DATASETS}`, () => {
  let db: Db;
  let paths: Path[];
  let subjects: Map<string, { positive: string; control: string | null }>;
  let dir: string;
  beforeAll(async () => {
    paths = (parseYaml(readFileSync(CATALOG, 'utf8')) as { paths: Path[] }).paths;
    const built = estate(paths);
    subjects = built.subjects;
    dir = mkdtempSync(join(tmpdir(), 'idc-pathfinding-'));
    const file = join(dir, 'authorization-details.json');
    writeFileSync(file, JSON.stringify(built.file));
    db = await openStore({ data: ':memory:' });
    await ingest(db, [file]);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function agreement(r: PrivescResult): { agree: string[]; disagree: string[]; controlsReaching: string[] } {
    const byId = new Map(r.principals.map((p) => [p.id, p]));
    const agree: string[] = [];
    const disagree: string[] = [];
    const controlsReaching: string[] = [];
    for (const p of paths) {
      const s = subjects.get(p.id)!;
      const found = byId.get(s.positive);
      const actions = new Set(p.required_actions.map((a) => a.toLowerCase()));
      // The path must use only the actions the principal was given (plus none it was not).
      const uses = found?.paths.some((x) => x.steps.filter((st) => st.from === s.positive).every((st) => st.actions.every((a) => actions.has(a.toLowerCase()))));
      (found?.reachesAdmin && uses ? agree : disagree).push(p.id);
      if (s.control && byId.get(s.control)?.reachesAdmin) controlsReaching.push(p.id);
    }
    return { agree, disagree, controlsReaching };
  }

  it('reads the catalogue in its own format and models every path', () => {
    const c = loadCatalog(CATALOG);
    expect(c.format).toBe('pathfinding');
    expect(c.mapping).toHaveLength(66);
    const modelled = c.mapping.filter((m) => m.modelled !== 'none');
    const composite = c.mapping.filter((m) => m.modelled === 'composite');
    console.log(`pathfinding.cloud: ${modelled.length} of ${c.mapping.length} paths modelled (${composite.length} as a grant plus a move: ${composite.map((m) => m.id).join(', ')})`);
    expect(modelled).toHaveLength(66);
    expect(composite.map((m) => m.id).sort()).toEqual(['iam-014', 'iam-015', 'iam-016', 'iam-017', 'iam-018', 'iam-019', 'iam-020', 'iam-021']);
    expect(c.mapping.find((m) => m.id === 'ecs-001')).toMatchObject({ modelled: 'method', methods: ['aws-passrole-ecs-service'] });
  });

  it('agrees with every path on principals built to exercise it, with the built-in catalogue', async () => {
    const r = await privesc(db, { catalog: builtinCatalog(), all: true });
    const a = agreement(r);
    const controls = [...subjects.values()].filter((s) => s.control).length;
    console.log(`built-in catalogue: ${a.agree.length}/${paths.length} paths reach admin as the catalogue says${a.disagree.length ? `; not: ${a.disagree.join(', ')}` : ''}; ${controls} controls (first action removed), of which still reach: ${a.controlsReaching.join(', ') || 'none'}`);
    expect(controls).toBe(55);
    expect(a.disagree).toEqual([]);
    expect(a.controlsReaching).toEqual([]);
  });

  it('agrees as well when the engine runs on the catalogue file itself (--catalog)', async () => {
    const r = await privesc(db, { catalog: loadCatalog(CATALOG), all: true });
    expect(r.catalog).toMatchObject({ format: 'pathfinding', modelled: 66, entries: 66 });
    expect(r.notes[0]).toMatch(/66 of 66 entries modelled/);
    const a = agreement(r);
    console.log(`pathfinding catalogue: ${a.agree.length}/${paths.length} agree; controls that still reach: ${a.controlsReaching.join(', ') || 'none'}`);
    expect(a.disagree).toEqual([]);
    expect(a.controlsReaching).toEqual([]);
  });
});
