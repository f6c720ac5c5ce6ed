import type { Employee, Org } from './org.js';
import type { Account, Env, Plan } from './plan.js';
import { awsId, type Rng } from './rng.js';
import { DAY, HOUR, MINUTE } from './time.js';
import {
  AWS_MANAGED, SERVICE_LINKED_ROLES, accountRoot, allow, awsPolicyArn, doc, roleArn, trustService, userArn,
  type AccessKey, type Group, type InlinePolicy, type ManagedPolicy, type PolicyDoc, type Role, type Statement, type Tag,
  type TaggedResource, type User,
} from './iam.js';
import { OwnershipIndex, type OwnerEntry } from './ownership.js';
import { COMPONENTS, ORG, ROLE_VARIANTS, SERVICES, SERVICE_PRINCIPAL, SERVICE_USER_PURPOSES, VENDORS, type WorkloadKind } from './vocab.js';

export interface Bucket { name: string; arn: string; classification: string; region: string; account: string }

/** One service as deployed in one account: its identities and the resources they use. */
export interface Deployment {
  service: string;
  team: string;
  env: Env;
  account: string;
  region: string;
  buckets: Bucket[];
  keyArn: string;
  secretArn: string;
  paramPrefix: string;
  table: string | null;
  queue: string | null;
  repo: string;
  cluster: string;
  roles: Role[];
  users: User[];
}

export interface AccountModel {
  account: Account;
  users: User[];
  roles: Role[];
  groups: Group[];
  policies: ManagedPolicy[];
  resources: TaggedResource[];
  deployments: Deployment[];
  ownership: OwnerEntry[];
  orphaned: string[];
  privesc: string[];
  oidcProvider: string | null;
  /** Activity weight of principals that make calls in the window (0 or absent: dormant). */
  weights: Map<User | Role, number>;
}

/** People and identities the planted incidents and their look-alikes need, filled in while building. */
export interface Cast {
  aiEngineer: Employee;
  leaver: Employee;
  leaverLookalikes: Employee[];
  consoleHuman: Employee;
  humans: Map<Employee, { account: string; user: User }>;
  ciRoles: Map<string, Role>;
  restrictedBucket?: Bucket;
  interactiveUser?: { account: string; user: User; bucket: Bucket | null };
  devUser?: { account: string; user: User };
  replicationRole?: { account: string; role: Role; keyArn: string };
  replicationBucket?: Bucket;
  vendorRoles: { vendor: string; vendorAccount: string; account: string; role: Role; externalId: string | null }[];
  incidentVendor: string;
  terraformUser?: { account: string; user: User };
  /** Workloads that read the restricted bucket as their job (look-alikes of the unusual reader). */
  restrictedReaders: { account: string; role: Role; deployment: Deployment; schedule: 'steady' | 'night' }[];
  /** Engineers whose everyday CLI sessions go through an AI coding assistant. */
  aiUsers: Set<Employee>;
}

export interface EstateContext {
  root: Rng;
  t0: number;
  org: Org;
  plan: Plan;
  cast: Cast;
  /** Privilege-escalation recipes to plant, per account id. */
  privescPlan: Map<string, PrivescRecipe[]>;
  /** Wildcard entries of the ownership map that apply to every account. */
  globalOwnership: OwnerEntry[];
  /** Share of workload principals that call AWS in the window (the rest are dormant, as most are). */
  activeShare: number;
}

export const IDENTITY_TYPE_TAG = 'identity-type';
const OIDC_HOST = 'token.actions.githubusercontent.com';

// ---------------------------------------------------------------------------------------------------
// Privilege escalation: principals without admin whose own permissions let them become admin.

export type PrivescRecipe = 'create-policy-version' | 'passrole-ec2' | 'passrole-lambda' | 'attach-user-policy' | 'put-role-policy' | 'update-assume-role-policy' | 'create-login-profile' | 'passrole-glue' | 'attach-role-policy';
/** Recipes for workload accounts; the identity account gets the two that need its admin users. */
export const WORKLOAD_PRIVESC: PrivescRecipe[] = [
  'create-policy-version', 'passrole-ec2', 'passrole-lambda', 'put-role-policy', 'update-assume-role-policy', 'passrole-glue', 'attach-role-policy',
];
export const IDENTITY_PRIVESC: PrivescRecipe[] = ['attach-user-policy', 'create-login-profile'];
const PRIVESC_STATEMENTS: Record<PrivescRecipe, { on: 'user' | 'role' | 'group'; name: string; statements: Statement[] }> = {
  'create-policy-version': { on: 'user', name: 'policy-maintenance', statements: [allow(['iam:CreatePolicyVersion', 'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:ListPolicyVersions'])] },
  'passrole-ec2': { on: 'user', name: 'provisioning', statements: [allow('iam:PassRole'), allow(['ec2:RunInstances', 'ec2:DescribeInstances', 'ec2:AssociateIamInstanceProfile', 'ec2:CreateTags'])] },
  'passrole-lambda': { on: 'role', name: 'function-deployer', statements: [allow('iam:PassRole'), allow(['lambda:CreateFunction', 'lambda:InvokeFunction', 'lambda:GetFunction', 'lambda:UpdateFunctionConfiguration'])] },
  'attach-user-policy': { on: 'group', name: 'helpdesk-user-admin', statements: [allow(['iam:AttachUserPolicy', 'iam:ListAttachedUserPolicies', 'iam:ListUsers', 'iam:GetUser'])] },
  'put-role-policy': { on: 'role', name: 'role-bootstrap', statements: [allow(['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:ListRolePolicies'])] },
  'update-assume-role-policy': { on: 'role', name: 'trust-maintenance', statements: [allow(['iam:UpdateAssumeRolePolicy', 'iam:GetRole', 'sts:AssumeRole'])] },
  'create-login-profile': { on: 'user', name: 'account-support', statements: [allow(['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:GetLoginProfile', 'iam:ListUsers'])] },
  'passrole-glue': { on: 'role', name: 'notebook-endpoints', statements: [allow('iam:PassRole'), allow(['glue:CreateDevEndpoint', 'glue:GetDevEndpoint', 'glue:UpdateDevEndpoint'])] },
  'attach-role-policy': { on: 'role', name: 'policy-attacher', statements: [allow(['iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:ListAttachedRolePolicies'])] },
};

// ---------------------------------------------------------------------------------------------------

class Builder {
  readonly m: AccountModel;
  private readonly userNames = new Set<string>();
  private readonly roleNames = new Set<string>();
  private readonly policyNames = new Set<string>();
  readonly a: Account;

  constructor(readonly ctx: EstateContext, account: Account, readonly rng: Rng) {
    this.a = account;
    this.m = {
      account, users: [], roles: [], groups: [], policies: [], resources: [], deployments: [], ownership: [], orphaned: [], privesc: [],
      oidcProvider: null, weights: new Map(),
    };
  }

  get id(): string {
    return this.a.id;
  }

  /** A creation time `minDays`..`maxDays` before the snapshot. */
  ago(minDays: number, maxDays: number): number {
    return this.ctx.t0 - this.rng.int(minDays * 24, maxDays * 24) * HOUR - this.rng.int(0, 3599) * 1000;
  }

  hasUser(name: string): boolean {
    return this.userNames.has(name);
  }
  hasRole(name: string): boolean {
    return this.roleNames.has(name);
  }

  user(name: string, path: string, opts: Partial<User> = {}): User {
    if (this.userNames.has(name)) throw new Error(`duplicate user ${name} in ${this.id}`);
    this.userNames.add(name);
    const u: User = {
      arn: userArn(this.id, path, name), name, path, id: awsId(this.rng, 'AIDA'), created: opts.created ?? this.ago(30, 6 * 365),
      tags: [], groups: [], attached: [], inline: [], keys: [], password: null, mfa: false, human: null, service: null, env: null, ...opts,
    };
    this.m.users.push(u);
    return u;
  }

  role(name: string, path: string, trust: PolicyDoc, opts: Partial<Role> = {}): Role {
    if (this.roleNames.has(name)) throw new Error(`duplicate role ${name} in ${this.id}`);
    if (this.m.roles.length >= 1000) throw new Error(`role quota reached in ${this.id}`);
    this.roleNames.add(name);
    const r: Role = {
      arn: roleArn(this.id, path, name), name, path, id: awsId(this.rng, 'AROA'), created: opts.created ?? this.ago(20, 5 * 365), trust,
      attached: [], inline: [], tags: [], lastUsed: null, profile: null, workload: null, service: null, purpose: 'workload', maxSession: 3600, ...opts,
    };
    this.m.roles.push(r);
    return r;
  }

  group(name: string, attached: string[], inline: InlinePolicy[] = [], path = '/'): Group {
    const g: Group = { arn: `arn:aws:iam::${this.id}:group${path}${name}`, name, path, id: awsId(this.rng, 'AGPA'), created: this.ago(400, 6 * 365), attached, inline };
    this.m.groups.push(g);
    return g;
  }

  policy(name: string, d: PolicyDoc, path = '/', description?: string, older?: PolicyDoc): ManagedPolicy {
    if (this.policyNames.has(name)) throw new Error(`duplicate policy ${name}`);
    if (this.m.policies.length >= 1500) throw new Error(`managed policy quota reached in ${this.id}`);
    this.policyNames.add(name);
    const created = this.ago(60, 5 * 365);
    const versions = older ? [{ doc: older, created }, { doc: d, created: created + this.rng.int(1, 50) * DAY }] : [{ doc: d, created }];
    const p: ManagedPolicy = {
      arn: `arn:aws:iam::${this.id}:policy${path}${name}`, name, path, id: awsId(this.rng, 'ANPA'), created,
      updated: versions[versions.length - 1].created, versions, description,
    };
    this.m.policies.push(p);
    return p;
  }

  /** Keys of a user: ages spread over years, the second key usually the newer rotation. */
  keys(u: User, count: number, active: boolean, lastUse: () => number | null): void {
    for (let i = 0; i < count; i++) {
      const created = Math.max(u.created + HOUR, this.ago(2, 4 * 365));
      const key: AccessKey = {
        id: awsId(this.rng, 'AKIA'), slot: (i + 1) as 1 | 2, created, active: i === count - 1 ? true : this.rng.chance(0.4), lastUsed: null,
        lastUsedRegion: null, lastUsedService: null,
      };
      const used = active && key.active ? lastUse() : this.rng.chance(0.6) ? this.ago(20, 500) : null;
      if (used !== null && used > key.created) {
        key.lastUsed = used;
        key.lastUsedRegion = this.rng.pick(this.a.regions);
        key.lastUsedService = this.rng.pick(['s3', 'sts', 'secretsmanager', 'kms', 'ec2', 'dynamodb', 'sqs']);
      }
      u.keys.push(key);
    }
    u.keys.sort((x, y) => x.created - y.created);
    u.keys.forEach((k, i) => (k.slot = (i + 1) as 1 | 2));
  }

  resource(arn: string, tags: Tag[]): void {
    this.m.resources.push({ arn, tags });
  }

  /** A recent last-use time for principals active in the window. */
  recent(): number {
    return this.ctx.t0 - this.rng.int(1, 300) * MINUTE;
  }
}

// ---------------------------------------------------------------------------------------------------
// Ownership: the map (patterns or exact entries), tags only, or nothing.

type OwnershipMode = 'pattern' | 'exact' | 'tags' | 'none';

function ownerOf(ctx: EstateContext, rng: Rng, team: string): Employee {
  const t = ctx.org.teams.find((x) => x.name === team);
  const members = ctx.org.employees.filter((e) => e.team === team && e.engineer);
  // Owners are usually the lead or a senior member; sometimes someone who has since left.
  if (!t) return ctx.org.employees[0];
  if (members.length && rng.chance(0.55)) return rng.pick(members);
  return t.lead;
}

function ownerTags(rng: Rng, owner: Employee | null, team: string | null): Tag[] {
  const caps = rng.chance(0.2);
  const tags: Tag[] = [];
  if (owner) tags.push({ Key: caps ? 'Owner' : 'owner', Value: owner.email });
  if (team) tags.push({ Key: caps ? 'Team' : 'team', Value: team });
  return tags;
}

function envTag(rng: Rng, env: Env): Tag {
  const value = env === 'prod' ? rng.pick(['prod', 'prod', 'production']) : env === 'dev' ? rng.pick(['dev', 'dev', 'development']) : 'staging';
  return { Key: rng.chance(0.85) ? 'environment' : 'env', Value: value };
}

// ---------------------------------------------------------------------------------------------------
// Workload accounts.

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';

interface ServiceShape { name: string; team: string; components: { name: string; kind: WorkloadKind }[]; bucketPurposes: string[]; hasTable: boolean; hasQueue: boolean; hasDb: boolean; language: 'java' | 'python' | 'node' | 'go' }

/** The services of account group `g`, the same in its prod, staging and dev accounts. */
function servicesOfGroup(ctx: EstateContext, g: number): ServiceShape[] {
  const rng = ctx.root.fork(`services/${g}`);
  const pinned = g === 0 ? ['customer', 'ledger', 'reporting', 'warehouse', 'kyc'] : [];
  const rest = rng.shuffle(SERVICES.filter((s) => !pinned.includes(s.name)));
  const order = [...pinned.map((n) => SERVICES.find((s) => s.name === n)!), ...rest];
  return order.map((s) => {
    const r = ctx.root.fork(`service/${g}/${s.name}`);
    const comps = r.shuffle([...COMPONENTS]).slice(0, r.int(5, 18));
    const purposes = r.shuffle(['data', 'exports', 'uploads', 'artifacts', 'logs', 'reports', 'backups', 'assets']).slice(0, r.int(1, 2));
    if (s.name === 'customer' && !purposes.includes('data')) purposes[0] = 'data';
    if (s.name === 'ledger' && !purposes.includes('exports')) purposes[0] = 'exports';
    return { name: s.name, team: s.team, components: comps, bucketPurposes: r.chance(0.75) || pinned.includes(s.name) ? purposes : [], hasTable: r.chance(0.4), hasQueue: r.chance(0.45), hasDb: r.chance(0.35), language: r.pick(['java', 'python', 'node', 'go'] as const) };
  });
}

function classify(service: string, purpose: string, env: Env): string {
  if (purpose === 'assets') return 'public';
  if (purpose === 'logs' || purpose === 'artifacts') return 'internal';
  if (env === 'dev') return 'internal';
  if (['customer', 'kyc', 'accounts', 'auth'].includes(service) && ['data', 'uploads', 'exports', 'backups'].includes(purpose)) return 'restricted';
  if (['payments', 'ledger', 'billing', 'invoicing', 'refunds', 'payouts', 'reconciliation', 'fraud', 'warehouse', 'reporting', 'analytics'].includes(service)) return 'confidential';
  return env === 'prod' ? 'confidential' : 'internal';
}

export function buildWorkloadAccount(ctx: EstateContext, a: Account): AccountModel {
  const rng = ctx.root.fork(`account/${a.id}`);
  const b = new Builder(ctx, a, rng);
  const { plan, cast } = ctx;
  const env = a.env;
  const identityRoots = plan.identity.map((x) => accountRoot(x.id));
  const idPrincipal = identityRoots.length === 1 ? identityRoots[0] : identityRoots;
  const provider = `arn:aws:iam::${a.id}:oidc-provider/${OIDC_HOST}`;
  b.m.oidcProvider = provider;
  const region = a.regions[0];
  const gsuffix = a.envIndex > 0 ? `-${a.envIndex + 1}` : '';

  // --- people's access roles, org access, platform CI, service-linked roles ---
  const mfa = { Bool: { 'aws:MultiFactorAuthPresent': 'true' } };
  const humanTrust = doc({ Effect: 'Allow', Principal: { AWS: idPrincipal }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'], Condition: mfa });
  const engineer = b.role('EngineerAccess', '/', humanTrust, { purpose: 'access', maxSession: 43200, description: 'Engineers, from the identity account with MFA', created: b.ago(600, 1500) });
  if (env === 'prod') {
    const ops = b.policy('engineer-operations', doc(
      allow(['ecs:UpdateService', 'ecs:DescribeServices', 'ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:ExecuteCommand'], '*', 'ServiceOperations'),
      allow(['logs:StartQuery', 'logs:GetQueryResults', 'logs:FilterLogEvents', 'cloudwatch:GetMetricData', 'ssm:StartSession'], '*', 'Diagnostics'),
    ), '/', 'Day-to-day operations for engineers in production');
    engineer.attached.push(awsPolicyArn('ReadOnlyAccess'), ops.arn);
  } else {
    engineer.attached.push(awsPolicyArn('PowerUserAccess'));
  }
  b.role('ReadOnly', '/', humanTrust, { purpose: 'access', maxSession: 43200, attached: [awsPolicyArn('ReadOnlyAccess')], created: b.ago(600, 1500) });
  b.role('BreakGlassAdmin', '/', humanTrust, { purpose: 'access', attached: [awsPolicyArn('AdministratorAccess')], created: b.ago(600, 1500), lastUsed: { t: b.ago(40, 300), region } });
  b.role('OrganizationAccountAccessRole', '/', doc({ Effect: 'Allow', Principal: { AWS: accountRoot(plan.identity[0].id) }, Action: 'sts:AssumeRole' }), {
    purpose: 'organization', attached: [awsPolicyArn('AdministratorAccess')], created: b.ago(900, 2000),
  });
  const ci = b.role('github-actions-deploy', '/ci/', doc(
    {
      Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${OIDC_HOST}:sub`]: `repo:${ORG.github}/infrastructure:ref:refs/heads/main` } },
    },
    { Effect: 'Allow', Principal: { AWS: idPrincipal }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] },
  ), {
    purpose: 'ci', attached: [awsPolicyArn('AdministratorAccess')], description: 'Terraform from the infrastructure repository', created: b.ago(300, 900),
    tags: [envTag(rng, env), { Key: 'managed-by', Value: 'terraform' }, { Key: 'repository', Value: `${ORG.github}/infrastructure` }],
  });
  ci.lastUsed = { t: b.recent(), region };
  cast.ciRoles.set(a.id, ci);
  for (const slr of SERVICE_LINKED_ROLES) {
    b.role(slr.name, `/aws-service-role/${slr.service}/`, trustService(slr.service), {
      purpose: 'service-linked', attached: [awsPolicyArn(slr.policy)], created: b.ago(700, 2200), lastUsed: { t: b.recent(), region },
      description: `Allows ${slr.service.split('.')[0]} to call AWS services on your behalf.`,
    });
  }

  // --- third parties (first production account) ---
  if (env === 'prod' && a.envIndex === 0) {
    for (const v of VENDORS) {
      const vendorAccount = plan.vendorAccounts.get(v.name)!;
      const incident = v.name === cast.incidentVendor;
      const externalId = v.name === 'Backvault' ? null : rng.uuid();
      const trust = doc({
        Effect: 'Allow', Principal: { AWS: accountRoot(vendorAccount) }, Action: 'sts:AssumeRole',
        ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
      });
      const created = incident ? b.ago(8, 11) : b.ago(300, 1200);
      const role = b.role(`${v.name}IntegrationRole`, '/', trust, {
        purpose: 'vendor', attached: [awsPolicyArn(v.policy)], created, description: `${v.name} ${v.product}`,
        lastUsed: incident ? null : v.name === 'Backvault' ? { t: b.ago(150, 260), region } : { t: b.recent(), region },
        tags: v.name === 'Metricloud' ? ownerTags(rng, null, 'SRE') : v.name === 'Costlens' ? ownerTags(rng, ownerOf(ctx, rng, 'Finance'), null) : v.name === 'Backvault' ? ownerTags(rng, null, 'SRE') : [],
      });
      if (v.name === 'Costlens') role.attached.push(awsPolicyArn('Billing'));
      if (v.name === 'Stackwise') b.m.ownership.push({ match: role.arn, owner: ownerOf(ctx, rng, 'Security').email, team: 'Security', note: `${v.name} (${v.product})` });
      cast.vendorRoles.push({ vendor: v.name, vendorAccount, account: a.id, role, externalId });
    }
  }

  // --- services ---
  const shapes = servicesOfGroup(ctx, a.envIndex);
  const envShare = env === 'prod' ? 1 : env === 'staging' ? 0.6 : 0.85;
  let rolesLeft = a.target.roles;
  let slotsLeft = a.target.serviceUserSlots;
  const deployments = new Map<string, Deployment>();
  const modes = new Map<string, OwnershipMode>();
  const owners = new Map<string, Employee>();

  const deploymentOf = (s: ServiceShape): Deployment => {
    let d = deployments.get(s.name);
    if (d) return d;
    const r = rng.fork(`deploy/${s.name}`);
    const dRegion = a.regions.length > 1 && r.chance(0.25) ? a.regions[1] : region;
    d = {
      service: s.name, team: s.team, env, account: a.id, region: dRegion,
      buckets: s.bucketPurposes.map((p) => {
        const name = `${ORG.slug}-${s.name}-${p}-${env}${gsuffix}`;
        return { name, arn: `arn:aws:s3:::${name}`, classification: classify(s.name, p, env), region: dRegion, account: a.id };
      }),
      keyArn: `arn:aws:kms:${dRegion}:${a.id}:key/${r.uuid()}`,
      secretArn: `arn:aws:secretsmanager:${dRegion}:${a.id}:secret:${s.name}/${env}/database-${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 6)}`,
      paramPrefix: `/${s.name}/${env}/`,
      table: s.hasTable ? `${s.name}-${env}-state` : null,
      queue: s.hasQueue ? `${s.name}-${env}-events` : null,
      repo: s.name, cluster: `${s.name}-${env}`, roles: [], users: [],
    };
    deployments.set(s.name, d);
    b.m.deployments.push(d);
    // Ownership of everything the service has in this account.
    const forced = a.envIndex === 0 && (s.name === 'ledger' || s.name === 'customer') ? 'pattern' : null;
    const mode: OwnershipMode = forced ?? r.weighted([['pattern', 45], ['exact', 15], ['tags', 28], ['none', 12]]);
    modes.set(s.name, mode);
    const owner = ownerOf(ctx, r, s.team);
    owners.set(s.name, owner);
    if (mode === 'pattern') {
      b.m.ownership.push({ match: roleArn(a.id, '/', `${s.name}-*`), owner: owner.email, team: s.team, note: `${s.name} workloads (${a.alias})` });
      b.m.ownership.push({ match: `arn:aws:iam::${a.id}:user/*svc-${s.name}-*`, owner: owner.email, team: s.team, note: `${s.name} service users (${a.alias})` });
    }
    // Resources with their tags: classification on data stores.
    const common = (extra: Tag[] = []) => [envTag(r, env), { Key: 'service', Value: s.name }, ...(mode === 'none' ? [] : [{ Key: 'team', Value: s.team }]), ...extra];
    for (const bk of d.buckets) b.resource(bk.arn, common([{ Key: 'data-classification', Value: bk.classification }]));
    b.resource(d.keyArn, common());
    b.resource(d.secretArn, common());
    if (d.table) b.resource(`arn:aws:dynamodb:${dRegion}:${a.id}:table/${d.table}`, common([{ Key: 'data-classification', Value: classify(s.name, 'data', env) }]));
    if (d.queue) b.resource(`arn:aws:sqs:${dRegion}:${a.id}:${d.queue}`, common());
    if (s.hasDb) b.resource(`arn:aws:rds:${dRegion}:${a.id}:db:${s.name}-${env}${gsuffix}`, common([{ Key: 'data-classification', Value: classify(s.name, 'data', env) }]));
    b.resource(`arn:aws:ecr:${dRegion}:${a.id}:repository/${s.name}`, common());
    // The service's own managed policy: what its workloads need, nothing more.
    const stmts: Statement[] = [];
    if (d.buckets.length) {
      stmts.push(allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], d.buckets.map((x) => `${x.arn}/*`), 'Objects'));
      stmts.push(allow('s3:ListBucket', d.buckets.map((x) => x.arn), 'Buckets'));
    }
    stmts.push(allow(['kms:Decrypt', 'kms:GenerateDataKey'], d.keyArn, 'Keys'));
    stmts.push(allow('secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${dRegion}:${a.id}:secret:${s.name}/${env}/*`, 'Secrets'));
    stmts.push(allow(['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'], `arn:aws:ssm:${dRegion}:${a.id}:parameter/${s.name}/${env}/*`, 'Parameters'));
    if (d.table) stmts.push(allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable'], `arn:aws:dynamodb:${dRegion}:${a.id}:table/${d.table}`, 'Table'));
    if (d.queue) stmts.push(allow(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], `arn:aws:sqs:${dRegion}:${a.id}:${d.queue}`, 'Queue'));
    b.policy(`${s.name}-${env}-app`, doc(...stmts), '/app/', `Runtime permissions of ${s.name}`);
    return d;
  };

  const tagIdentity = (d: Deployment, kindTags: Tag[], r: Rng): { tags: Tag[] } => {
    const mode = modes.get(d.service)!;
    const owner = owners.get(d.service)!;
    const tags: Tag[] = [envTag(r, env), { Key: 'service', Value: d.service }, ...kindTags];
    if (mode === 'tags' && r.chance(0.9)) tags.push(...ownerTags(r, r.chance(0.75) ? owner : null, d.team));
    else if ((mode === 'pattern' || mode === 'exact') && r.chance(0.3)) tags.push(...ownerTags(r, owner, d.team));
    if (r.chance(0.7)) tags.push({ Key: 'managed-by', Value: 'terraform' });
    return { tags };
  };

  const addWorkloadRole = (s: ServiceShape, comp: { name: string; kind: WorkloadKind }, variant: string): Role | null => {
    const d = deploymentOf(s);
    const r = rng.fork(`role/${s.name}/${comp.name}${variant}`);
    let name = `${s.name}-${comp.name}${variant}`;
    let path = '/';
    if (comp.kind === 'lambda' && r.chance(0.2)) {
      path = '/service-role/';
      name = `${s.name}-${comp.name}${variant}-role-${r.chars(LOWER, 8)}`;
    }
    if (b.hasRole(name)) return null;
    const role = b.role(name, path, trustService(SERVICE_PRINCIPAL[comp.kind]), {
      workload: comp.kind, service: s.name, created: b.ago(15, 5 * 365), maxSession: 3600, ...tagIdentity(d, [], r),
      passable: comp.kind === 'ecs',
    });
    const appPolicy = `arn:aws:iam::${a.id}:policy/app/${s.name}-${env}-app`;
    role.attached.push(appPolicy);
    if (comp.kind === 'lambda') role.attached.push(awsPolicyArn('AWSLambdaBasicExecutionRole'));
    if (comp.kind === 'ec2') role.attached.push(awsPolicyArn('AmazonSSMManagedInstanceCore'), awsPolicyArn('CloudWatchAgentServerPolicy'));
    if (comp.kind === 'glue') role.attached.push(awsPolicyArn('AWSGlueServiceRole'));
    if (comp.kind === 'ecs' && r.chance(0.3)) role.attached.push(awsPolicyArn('AmazonECSTaskExecutionRolePolicy'));
    // Configuration noise: broad but not escalating grants, never on roles CI may pass.
    if (!role.passable) {
      if (env === 'dev' && r.chance(0.04)) role.attached.push(awsPolicyArn('PowerUserAccess'));
      else if (r.chance(0.03)) role.attached.push(awsPolicyArn('ReadOnlyAccess'));
      else if (r.chance(0.04)) role.attached.push(awsPolicyArn('AmazonS3ReadOnlyAccess'));
    }
    if (r.chance(0.22)) {
      role.inline.push({ PolicyName: `${comp.name}-extras`, PolicyDocument: doc(r.pick([
        allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
        allow(['cloudwatch:PutMetricData']),
        allow(['sns:Publish'], `arn:aws:sns:${d.region}:${a.id}:${s.name}-*`),
        allow(['s3:GetObject'], '*'),
        allow(['ec2:DescribeInstances', 'ec2:DescribeTags']),
        allow(['iam:GetRole', 'iam:ListRoles', 'iam:ListRolePolicies']),
      ])) });
    }
    if (comp.kind === 'ec2' || (comp.kind === 'batch' && r.chance(0.5))) {
      role.profile = { name, arn: `arn:aws:iam::${a.id}:instance-profile${path}${name}`, id: awsId(r, 'AIPA'), created: role.created };
      for (let i = r.int(1, 2); i > 0; i--) b.resource(`arn:aws:ec2:${d.region}:${a.id}:instance/i-0${r.hex(16)}`, [envTag(r, env), { Key: 'service', Value: s.name }, { Key: 'Name', Value: `${s.name}-${comp.name}` }]);
    }
    if (comp.kind === 'lambda') b.resource(`arn:aws:lambda:${d.region}:${a.id}:function:${s.name}-${comp.name}${variant}`, [envTag(r, env), { Key: 'service', Value: s.name }]);
    if (comp.kind === 'ecs') b.resource(`arn:aws:ecs:${d.region}:${a.id}:service/${d.cluster}/${s.name}-${comp.name}${variant}`, [envTag(r, env), { Key: 'service', Value: s.name }]);
    const active = r.chance(ctx.activeShare);
    if (active) {
      role.lastUsed = { t: b.recent(), region: d.region };
      b.m.weights.set(role, r.lognormal(0, 1.3));
    } else if (r.chance(0.7)) role.lastUsed = { t: b.ago(10, 700), region: d.region };
    d.roles.push(role);
    return role;
  };

  const addServiceUser = (s: ServiceShape, purpose: string, r: Rng, forced?: { name: string; path: string }): User | null => {
    const d = deploymentOf(s);
    let name = forced?.name ?? '';
    let path = forced?.path ?? (r.chance(0.5) ? '/service/' : '/');
    if (!forced) {
      const style = r.next();
      name = style < 0.75 ? `svc-${s.name}-${purpose}` : style < 0.92 ? `${s.name}-${purpose}` : `${s.name}-${purpose}-user`;
      if (name.startsWith(s.name)) path = '/';
    }
    if (b.hasUser(name)) return null;
    const kindTag: Tag[] = r.chance(0.5) ? [{ Key: IDENTITY_TYPE_TAG, Value: 'service' }] : [];
    const u = b.user(name, path, { service: s.name, env, created: b.ago(30, 6 * 365), ...tagIdentity(d, kindTag, r) });
    u.attached.push(`arn:aws:iam::${a.id}:policy/app/${s.name}-${env}-app`);
    if (r.chance(0.15)) u.inline.push({ PolicyName: `${purpose}-access`, PolicyDocument: doc(allow(['s3:ListAllMyBuckets', 's3:GetBucketLocation'])) });
    const active = r.chance(Math.min(0.9, ctx.activeShare * 1.3));
    b.keys(u, r.chance(0.3) ? 2 : 1, active, () => b.recent());
    if (r.chance(0.04)) u.password = { lastUsed: r.chance(0.5) ? b.ago(100, 900) : null, changed: b.ago(200, 1200) };
    if (active) b.m.weights.set(u, r.lognormal(0.3, 1.2));
    d.users.push(u);
    return u;
  };

  // Pinned pieces of the first account of each environment.
  const shapeOf = (n: string) => shapes.find((s) => s.name === n)!;
  if (a.envIndex === 0 && env === 'prod') {
    const customer = deploymentOf(shapeOf('customer'));
    cast.restrictedBucket = customer.buckets.find((x) => x.name.includes('-data-'))!;
    const ledger = deploymentOf(shapeOf('ledger'));
    cast.replicationBucket = ledger.buckets.find((x) => x.name.includes('-exports-'))!;
    const reporting = shapeOf('reporting');
    const r = rng.fork('interactive');
    const u = addServiceUser(reporting, 'export', r, { name: 'svc-reporting-export', path: '/service/' })!;
    u.tags = [envTag(r, env), { Key: 'service', Value: 'reporting' }, { Key: IDENTITY_TYPE_TAG, Value: 'service' }, ...ownerTags(r, owners.get('reporting')!, 'Data')];
    u.keys = [];
    b.keys(u, 1, true, () => b.recent());
    u.password = { lastUsed: null, changed: b.ago(300, 700) };
    u.inline = [{ PolicyName: 'export-access', PolicyDocument: doc(allow(['s3:ListAllMyBuckets', 's3:GetBucketLocation'])) }];
    b.m.weights.set(u, 3);
    cast.interactiveUser = { account: a.id, user: u, bucket: deploymentOf(reporting).buckets[0] ?? null };
    // A look-alike: another service user with a console password it never uses.
    const billing = shapes.find((s) => s.name === 'billing') ?? reporting;
    const lk = addServiceUser(billing, 'finance-export', rng.fork('lookalike-password'), { name: `svc-${billing.name}-finance-export`, path: '/service/' });
    if (lk) lk.password = { lastUsed: null, changed: b.ago(200, 600) };
  }
  if (a.envIndex === 0 && env === 'dev') {
    const r = rng.fork('dev-sync');
    const u = addServiceUser(shapeOf('ledger'), 'sync', r, { name: 'svc-ledger-sync', path: '/service/' })!;
    u.tags = [{ Key: 'environment', Value: 'dev' }, { Key: 'service', Value: 'ledger' }, { Key: IDENTITY_TYPE_TAG, Value: 'service' }, ...ownerTags(r, owners.get('ledger')!, 'Ledger')];
    u.keys = [];
    b.keys(u, 1, true, () => b.recent());
    b.m.weights.set(u, 1.5);
    cast.devUser = { account: a.id, user: u };
  }
  if (a.envIndex === 0 && (env === 'prod' || env === 'staging')) {
    // Read access for a data migration, trusted to the whole development account.
    const dev0 = plan.byEnv.dev[0];
    const led = deploymentOf(shapeOf('ledger'));
    const p = b.policy('ledger-replication-read', doc(
      allow(['s3:GetObject', 's3:ListBucket'], led.buckets.flatMap((x) => [x.arn, `${x.arn}/*`])),
      allow('kms:Decrypt', led.keyArn),
    ), '/app/', 'Replication of ledger exports');
    const role = b.role('ledger-replication', '/', doc({ Effect: 'Allow', Principal: { AWS: accountRoot(dev0.id) }, Action: 'sts:AssumeRole' }), {
      service: 'ledger', attached: [p.arn], created: b.ago(40, 90), purpose: 'replication', tags: [envTag(rng, env), { Key: 'service', Value: 'ledger' }],
    });
    led.roles.push(role);
    if (env === 'prod') cast.replicationRole = { account: a.id, role, keyArn: led.keyArn };
  }

  // Fill the account up to its targets, cycling through the group's services with name variants.
  const fixedRoles = b.m.roles.length;
  rolesLeft = Math.min(rolesLeft, 1000 - fixedRoles - 10);
  let profiles = 0;
  outer: for (let pass = 0; rolesLeft > 0 && pass < ROLE_VARIANTS.length; pass++) {
    for (const s of shapes) {
      const take = Math.ceil(s.components.length * envShare);
      for (const comp of s.components.slice(0, take)) {
        if (rolesLeft <= 0) break outer;
        const role = addWorkloadRole(s, comp, ROLE_VARIANTS[pass]);
        if (role) {
          rolesLeft--;
          if (role.profile) profiles++;
        }
      }
    }
  }
  // Top up instance profiles: roles created for EC2 by the console get one even when the workload is elsewhere.
  for (const role of b.m.roles) {
    if (profiles >= a.target.instanceProfiles) break;
    if (role.purpose === 'workload' && !role.profile && role.workload === 'batch') {
      role.profile = { name: role.name, arn: `arn:aws:iam::${a.id}:instance-profile${role.path}${role.name}`, id: awsId(rng, 'AIPA'), created: role.created };
      profiles++;
    }
  }
  slotsLeft -= b.m.users.reduce((s, u) => s + 1 + u.keys.length, 0);
  for (let i = 0; slotsLeft > 0 && i < 50_000; i++) {
    const s = shapes[i % shapes.length];
    const purpose = SERVICE_USER_PURPOSES[Math.floor(i / shapes.length) % SERVICE_USER_PURPOSES.length] + (i >= shapes.length * SERVICE_USER_PURPOSES.length ? `-${Math.floor(i / (shapes.length * SERVICE_USER_PURPOSES.length)) + 1}` : '');
    const u = addServiceUser(s, purpose, rng.fork(`user/${i}`));
    if (u) slotsLeft -= 1 + u.keys.length;
  }

  // Per-service CI roles for some services: most pinned to a branch or environment, some not.
  let loosenessBudget = env === 'dev' ? 2 : 1;
  for (const d of b.m.deployments) {
    const r = rng.fork(`ci/${d.service}`);
    if (!r.chance(0.3) || b.hasRole(`github-${d.service}`) || b.m.roles.length >= 990) continue;
    const repo = `${ORG.github}/${d.service}`;
    const cond: Record<string, Record<string, string>> = { StringEquals: { [`${OIDC_HOST}:aud`]: 'sts.amazonaws.com' } };
    const style = r.next();
    if (style < 0.55) cond.StringEquals[`${OIDC_HOST}:sub`] = `repo:${repo}:ref:refs/heads/main`;
    else if (style < 0.8) cond.StringEquals[`${OIDC_HOST}:sub`] = `repo:${repo}:environment:${env === 'prod' ? 'production' : env}`;
    else if (style < 0.93 || loosenessBudget <= 0) cond.StringLike = { [`${OIDC_HOST}:sub`]: `repo:${repo}:*` };
    else if (loosenessBudget-- === 2) cond.StringLike = { [`${OIDC_HOST}:sub`]: `repo:${ORG.github}/*` };
    // else: audience only, any repository on GitHub can assume it
    const passable = d.roles.filter((x) => x.passable).slice(0, 4).map((x) => x.arn);
    const stmts: Statement[] = [
      allow(['ecr:GetAuthorizationToken']),
      allow(['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'], `arn:aws:ecr:${d.region}:${a.id}:repository/${d.repo}`),
      allow(['ecs:UpdateService', 'ecs:DescribeServices', 'ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition'], '*'),
      allow(['lambda:UpdateFunctionCode', 'lambda:GetFunction'], `arn:aws:lambda:${d.region}:${a.id}:function:${d.service}-*`),
    ];
    if (passable.length) stmts.push({ Effect: 'Allow', Action: 'iam:PassRole', Resource: passable, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } });
    const role = b.role(`github-${d.service}`, '/ci/', doc({ Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: cond }), {
      purpose: 'ci', service: d.service, created: b.ago(30, 900), inline: [{ PolicyName: 'deploy', PolicyDocument: doc(...stmts) }],
      tags: [envTag(r, env), { Key: 'repository', Value: repo }],
    });
    if (r.chance(0.7)) {
      role.lastUsed = { t: b.recent(), region: d.region };
      b.m.weights.set(role, r.lognormal(0, 0.6));
    }
    d.roles.push(role);
  }

  // Exact ownership entries for services kept that way (a few identities missed, as maps go).
  for (const d of b.m.deployments) {
    if (modes.get(d.service) !== 'exact') continue;
    const owner = owners.get(d.service)!;
    const r = rng.fork(`exact/${d.service}`);
    for (const x of [...d.roles, ...d.users]) if (r.chance(0.9)) b.m.ownership.push({ match: x.arn, owner: owner.email, team: d.team });
  }

  if (env === 'prod' && a.envIndex === 0) {
    const customer = deployments.get('customer');
    const bucket = cast.restrictedBucket;
    const api = customer?.roles.find((r) => r.purpose === 'workload' && r.workload === 'ecs') ?? customer?.roles.find((r) => r.purpose === 'workload' && r.workload);
    if (customer && bucket && api) {
      b.m.weights.delete(api);
      api.lastUsed = { t: b.recent(), region: customer.region };
      cast.restrictedReaders.push({ account: a.id, role: api, deployment: customer, schedule: 'steady' });
      const warehouse = deployments.get('warehouse');
      const loader = warehouse?.roles.find((r) => r.purpose === 'workload' && (r.workload === 'glue' || r.workload === 'batch')) ?? warehouse?.roles.find((r) => r.purpose === 'workload' && r.workload);
      if (warehouse && loader) {
        loader.inline.push({ PolicyName: 'customer-data-read', PolicyDocument: doc(allow(['s3:GetObject', 's3:ListBucket'], [bucket.arn, `${bucket.arn}/*`]), allow('kms:Decrypt', customer.keyArn)) });
        b.m.weights.delete(loader);
        loader.lastUsed = { t: b.ago(0, 1), region: warehouse.region };
        cast.restrictedReaders.push({ account: a.id, role: loader, deployment: warehouse, schedule: 'night' });
      }
    }
  }

  plantPrivesc(ctx, b);
  finishOwnership(ctx, b);
  return b.m;
}

// ---------------------------------------------------------------------------------------------------
// Identity accounts: people's IAM users, their groups, a few service users.

export function buildIdentityAccount(ctx: EstateContext, a: Account): AccountModel {
  const rng = ctx.root.fork(`account/${a.id}`);
  const b = new Builder(ctx, a, rng);
  const { cast, t0 } = ctx;
  const region = a.regions[0];
  const wild = (name: string) => `arn:aws:iam::*:role/${name}`;

  const pol = (name: string, d: PolicyDoc, description: string) => b.policy(name, d, '/', description).arn;
  const assumeEng = pol('assume-engineer-roles', doc(allow(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'], [wild('EngineerAccess'), wild('ReadOnly')])), 'Switch into engineer and read-only roles');
  const assumeCi = pol('assume-ci-roles', doc(allow(['sts:AssumeRole', 'sts:SetSourceIdentity'], [wild('ci/*')])), 'Debug CI from a workstation');
  const assumeAdmin = pol('assume-breakglass', doc(allow(['sts:AssumeRole', 'sts:SetSourceIdentity'], [wild('BreakGlassAdmin'), wild('OrganizationAccountAccessRole')])), 'Break-glass administration');
  const selfService = pol('self-service-credentials', doc(
    allow(['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:UpdateAccessKey', 'iam:ListAccessKeys', 'iam:ChangePassword', 'iam:GetUser'], 'arn:aws:iam::*:user/${aws:username}', 'OwnCredentials'),
    allow(['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'], ['arn:aws:iam::*:mfa/${aws:username}', 'arn:aws:iam::*:user/${aws:username}'], 'OwnMfa'),
    allow(['iam:GetAccountPasswordPolicy', 'iam:ListVirtualMFADevices'], '*', 'Listing'),
  ), 'Manage your own password, keys and MFA');
  const billing = pol('billing-read', doc(allow(['aws-portal:ViewBilling', 'aws-portal:ViewUsage', 'ce:Get*', 'ce:Describe*', 'ce:List*', 'budgets:ViewBudget'])), 'Cost and usage reports');

  const engineers = b.group('engineers', [assumeEng, selfService]);
  const platform = b.group('platform-engineers', [assumeCi]);
  const admins = b.group('admins', [assumeAdmin, awsPolicyArn('IAMReadOnlyAccess')]);
  const readonly = b.group('readonly', [selfService, assumeEng]);
  const finance = b.group('finance', [billing, selfService, awsPolicyArn('Billing')]);
  const security = b.group('security', [awsPolicyArn('SecurityAudit'), assumeEng, selfService]);

  const leads = new Set(ctx.org.teams.map((t) => t.lead));
  for (const e of a.people) {
    const r = rng.fork(`person/${e.id}`);
    const workday = () => r.int(13 * 3600, 22 * 3600) * 1000; // a time during the working day (UTC)
    const created = Math.max(e.startDate + r.int(1, 20) * DAY, t0 - 8 * 365 * DAY) + workday();
    const u = b.user(e.username, '/', { human: e, created, mfa: r.chance(0.93), tags: [{ Key: 'email', Value: e.email }] });
    if (r.chance(0.4)) u.tags.push({ Key: IDENTITY_TYPE_TAG, Value: 'human' });
    const gone = e.status === 'terminated' ? e.endDate! : null;
    u.password = { lastUsed: gone ? gone - r.int(1, 20) * DAY + workday() : r.chance(0.85) ? t0 - r.int(1, 14 * 24) * HOUR : null, changed: created + r.int(0, 300) * DAY + workday() };
    if (u.password.changed > t0) u.password.changed = t0 - DAY;
    if (e.engineer) u.groups.push(engineers.name);
    else if (e.team === 'Finance') u.groups.push(finance.name);
    else u.groups.push(readonly.name);
    if (e.team === 'Platform' || e.team === 'SRE') u.groups.push(platform.name);
    if (e.team === 'Security') u.groups.push(security.name);
    if (leads.has(e) && (e.team === 'Platform' || e.team === 'SRE' || e.team === 'Security' || e.title === 'Chief Technology Officer')) u.groups.push(admins.name);
    if (e.team === 'IT' && leads.has(e)) u.attached.push(awsPolicyArn('AdministratorAccess'));
    if (e.keys > 0) {
      b.keys(u, e.keys, e.status !== 'terminated', () => b.recent());
      if (gone) {
        for (const k of u.keys) if (k.lastUsed === null || k.lastUsed > gone) k.lastUsed = Math.max(k.created + DAY, gone - r.int(3, 40) * DAY + workday());
      }
    }
    cast.humans.set(e, { account: a.id, user: u });
    b.m.weights.set(u, 1);
  }

  // The offboarding gap: a leaver's key, over a year old, last used before they left, still active.
  // Look-alikes: a leaver whose key is deactivated, and one whose active key simply stays unused.
  for (const e of a.people) {
    const u = cast.humans.get(e)!.user;
    const lookalike = cast.leaverLookalikes.indexOf(e);
    if (!u.keys.length || (e !== cast.leaver && lookalike < 0)) continue;
    const k = u.keys[u.keys.length - 1];
    k.lastUsedRegion = 'us-east-1';
    if (e === cast.leaver) {
      k.created = Math.min(k.created, t0 - rng.int(420, 700) * DAY);
      k.active = true;
      k.lastUsed = e.endDate! - rng.int(18, 35) * DAY + rng.int(13 * 3600, 22 * 3600) * 1000;
      k.lastUsedService = 's3';
      if (u.created > k.created) u.created = k.created - rng.int(10, 200) * DAY;
    } else {
      k.active = lookalike !== 0;
      k.lastUsed = e.endDate! - rng.int(5, 60) * DAY + rng.int(13 * 3600, 22 * 3600) * 1000;
      k.lastUsedService = 'sts';
    }
  }

  if (a.envIndex === 0) {
    const r = rng.fork('automation');
    const tf = b.user('terraform-ci', '/service/', { created: b.ago(900, 1800), tags: [{ Key: IDENTITY_TYPE_TAG, Value: 'service' }, { Key: 'managed-by', Value: 'terraform' }] });
    tf.attached.push(awsPolicyArn('AdministratorAccess'));
    b.keys(tf, 1, true, () => b.recent());
    b.m.weights.set(tf, 1);
    cast.terraformUser = { account: a.id, user: tf };
    const scim = b.user('svc-directory-sync', '/service/', { created: b.ago(500, 1500), tags: [{ Key: IDENTITY_TYPE_TAG, Value: 'service' }, ...ownerTags(r, ownerOf(ctx, r, 'IT'), 'IT')] });
    scim.attached.push(awsPolicyArn('IAMReadOnlyAccess'));
    b.keys(scim, 1, true, () => b.recent());
    b.m.weights.set(scim, 2);
    b.m.ownership.push({ match: tf.arn, owner: ctx.org.teams.find((t) => t.name === 'Platform')!.lead.email, team: 'Platform', note: 'Terraform for the account baseline' });

    for (const slr of [
      { name: 'AWSServiceRoleForSupport', service: 'support.amazonaws.com', policy: 'AWSSupportServiceRolePolicy' },
      { name: 'AWSServiceRoleForOrganizations', service: 'organizations.amazonaws.com', policy: 'AWSOrganizationsServiceTrustPolicy' },
      { name: 'AWSServiceRoleForTrustedAdvisor', service: 'trustedadvisor.amazonaws.com', policy: 'AWSTrustedAdvisorServiceRolePolicy' },
    ]) {
      b.role(slr.name, `/aws-service-role/${slr.service}/`, trustService(slr.service), { purpose: 'service-linked', attached: [awsPolicyArn(slr.policy)], created: b.ago(900, 2200), lastUsed: { t: b.recent(), region } });
    }
    for (const [name, cls] of [['terraform-state', 'confidential'], ['cloudtrail-logs', 'internal'], ['iam-reports', 'confidential']] as const) {
      b.resource(`arn:aws:s3:::${ORG.slug}-${name}`, [{ Key: 'environment', Value: 'prod' }, { Key: 'team', Value: 'Platform' }, { Key: 'data-classification', Value: cls }]);
    }
  }

  // Service users kept in the identity account (directory and tooling integrations).
  let slots = a.target.serviceUserSlots;
  for (let i = 0; slots > 0 && i < 10_000; i++) {
    const r = rng.fork(`tool/${i}`);
    const purpose = SERVICE_USER_PURPOSES[i % SERVICE_USER_PURPOSES.length];
    const name = `svc-${purpose}-${r.pick(['github', 'jira', 'okta', 'datadog', 'slack', 'jenkins', 'backup', 'sentry', 'vault', 'snowflake'])}${i >= SERVICE_USER_PURPOSES.length ? `-${Math.floor(i / SERVICE_USER_PURPOSES.length) + 1}` : ''}`;
    if (b.hasUser(name)) continue;
    const team = r.pick(['IT', 'Platform', 'Security', 'SRE']);
    const owned = r.next();
    const u = b.user(name, '/service/', { tags: owned < 0.55 ? [{ Key: IDENTITY_TYPE_TAG, Value: 'service' }, ...ownerTags(r, ownerOf(ctx, r, team), team)] : [] });
    u.attached.push(awsPolicyArn('IAMReadOnlyAccess'));
    b.keys(u, r.chance(0.3) ? 2 : 1, r.chance(0.5), () => b.recent());
    if (owned >= 0.55 && owned < 0.85) b.m.ownership.push({ match: u.arn, owner: ownerOf(ctx, r, team).email, team });
    if (u.keys.some((k) => k.lastUsed && k.lastUsed > t0 - DAY)) b.m.weights.set(u, r.lognormal(0, 1));
    slots -= 1 + u.keys.length;
  }

  plantPrivesc(ctx, b);
  finishOwnership(ctx, b);
  return b.m;
}

// ---------------------------------------------------------------------------------------------------

function isAdminLike(x: { attached: string[] }): boolean {
  return x.attached.some((p) => /\/(AdministratorAccess|PowerUserAccess)$/.test(p));
}

function plantPrivesc(ctx: EstateContext, b: Builder): void {
  const recipes = ctx.privescPlan.get(b.id) ?? [];
  const rng = b.rng.fork('privesc');
  const taken = new Set<string>();
  const reserved = new Set([ctx.cast.interactiveUser?.user.arn, ctx.cast.devUser?.user.arn, ctx.cast.replicationRole?.role.arn]);
  for (const recipe of recipes) {
    const spec = PRIVESC_STATEMENTS[recipe];
    if (spec.on === 'group') {
      const members = b.m.users.filter((u) => u.human && u.human.status === 'active' && !isAdminLike(u) && !u.groups.includes('admins') && u.human.team === 'IT');
      const chosen = members.length ? members : b.m.users.filter((u) => u.human && u.human.status === 'active' && !isAdminLike(u) && !u.groups.includes('admins')).slice(0, 2);
      if (!chosen.length) continue;
      const pol = b.policy(spec.name, doc(...spec.statements), '/', 'Helpdesk user administration');
      const g = b.group('helpdesk', [pol.arn]);
      for (const u of chosen.slice(0, 3)) {
        u.groups.push(g.name);
        b.m.privesc.push(u.arn);
      }
      continue;
    }
    const pool: (User | Role)[] = spec.on === 'user'
      ? b.m.users.filter((u) => !u.human && !isAdminLike(u) && !taken.has(u.arn) && !reserved.has(u.arn))
      : b.m.roles.filter((r) => r.purpose === 'workload' && !r.passable && !isAdminLike(r) && !taken.has(r.arn) && !reserved.has(r.arn));
    if (!pool.length) continue;
    const target = rng.pick(pool);
    taken.add(target.arn);
    target.inline.push({ PolicyName: spec.name, PolicyDocument: doc(...spec.statements) });
    b.m.privesc.push(target.arn);
    // Passing a role only escalates when a more privileged role that the service may use exists.
    const via = PASS_TARGETS[recipe];
    if (via && !b.hasRole(via.name)) {
      const r = b.role(via.name, '/', trustService(via.service), {
        attached: [awsPolicyArn('AdministratorAccess')], created: b.ago(200, 1500), tags: ownerTags(rng, null, 'Platform'),
        lastUsed: { t: b.ago(2, 90), region: b.a.regions[0] },
      });
      if (via.profile) r.profile = { name: r.name, arn: `arn:aws:iam::${b.id}:instance-profile/${r.name}`, id: awsId(rng, 'AIPA'), created: r.created };
    }
  }
}

const PASS_TARGETS: Partial<Record<PrivescRecipe, { service: string; name: string; profile?: boolean }>> = {
  'passrole-ec2': { service: 'ec2.amazonaws.com', name: 'platform-maintenance', profile: true },
  'passrole-lambda': { service: 'lambda.amazonaws.com', name: 'cleanup-automation' },
  'passrole-glue': { service: 'glue.amazonaws.com', name: 'data-catalog-admin' },
};

/** Which users and roles nobody answers for: no ownership entry matches them and no owner/team tag. */
function finishOwnership(ctx: EstateContext, b: Builder): void {
  const index = new OwnershipIndex();
  index.add(ctx.globalOwnership);
  index.add(b.m.ownership);
  const tagged = (tags: Tag[]) => tags.some((t) => /^(owner|team)$/i.test(t.Key));
  for (const u of b.m.users) if (!u.human && !tagged(u.tags) && !index.covers(u.arn)) b.m.orphaned.push(u.arn);
  for (const r of b.m.roles) if (!tagged(r.tags) && !index.covers(r.arn)) b.m.orphaned.push(r.arn);
}

/** Entries of the map that apply to every account: the platform's fixed roles. */
export function globalOwnershipEntries(org: Org): OwnerEntry[] {
  const lead = (team: string) => org.teams.find((t) => t.name === team)!.lead.email;
  return [
    { match: 'arn:aws:iam::*:role/EngineerAccess', owner: lead('Platform'), team: 'Platform', note: 'engineer access, every account' },
    { match: 'arn:aws:iam::*:role/ReadOnly', owner: lead('Security'), team: 'Security', note: 'read-only access, every account' },
    { match: 'arn:aws:iam::*:role/BreakGlassAdmin', owner: lead('Security'), team: 'Security', note: 'break-glass administration' },
    { match: 'arn:aws:iam::*:role/OrganizationAccountAccessRole', owner: lead('Platform'), team: 'Platform', note: 'created by AWS Organizations' },
    { match: 'arn:aws:iam::*:role/ci/*', owner: lead('Platform'), team: 'Platform', note: 'GitHub Actions deploy roles' },
    { match: 'arn:aws:iam::*:role/aws-service-role/*', team: 'Platform', note: 'service-linked roles, managed by AWS' },
  ];
}

export { AWS_MANAGED };
export type { Employee };
