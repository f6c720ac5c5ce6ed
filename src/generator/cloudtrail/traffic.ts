import type { AccountModel, Cast, Deployment } from '../accounts.js';
import type { Role, User } from '../iam.js';
import type { Account, Plan } from '../plan.js';
import { type Rng } from '../rng.js';
import { HOUR, MINUTE } from '../time.js';
import { HOSTING_OCTETS, GITHUB_RUNNER_OCTETS, ORG, SERVICE_PRINCIPAL, UA, VENDOR_UA, privateIp, publicIp } from '../vocab.js';
import {
  callerIdentity, ec2Read, ecrOp, ecsRegister, ecsUpdate, generic, iamRead, lambdaUpdate, pick, s3ListBuckets,
  serviceUserOps, cloudwatchMetrics, workloadOps, type Op, type WeightedOps,
} from './ops.js';
import {
  assumeRole, assumeRoleWithWebIdentity, assumedRoleIdentity, awsServiceIdentity, hostFor, iamUserIdentity, toRecord,
  type Session, type TrailRecord, type UserIdentity,
} from './records.js';
import { rhythm, type Shape } from './rhythm.js';

/** Egress of an account and region: NAT addresses and VPC endpoints. */
export interface Network { nat: string[]; vpce: Map<string, string> }

export interface RoleRef { accountId: string; name: string; arn: string; id: string }
export const roleRef = (account: string, r: Role): RoleRef => ({ accountId: account, name: r.name, arn: r.arn, id: r.id });

/** A principal that calls AWS on its own: a service user with a key, or a workload through its role. */
export interface Actor {
  account: string;
  region: string;
  /** Expected calls per day (before session renewals). */
  perDay: number;
  shape: Shape;
  ua: string;
  ip: (rng: Rng) => string;
  vpce: Network | null;
  ops: WeightedOps;
  /** Fixed identity (IAM users). */
  identity?: UserIdentity;
  /** Role workloads: the service that assumes the role and how its sessions are named and last. */
  role?: RoleRef;
  issuer?: string;
  sessionMs?: number;
  sessionName?: (rng: Rng) => string;
  session?: Session | null;
  ec2?: boolean;
  /** Service-linked roles: the service calls through the session. */
  invokedBy?: string;
  /** Budget group the rate is scaled in; null keeps the rate as set. */
  budget: 'auto' | 'slr' | null;
  /** From this time on, calls come from `laterIp` (an infrastructure move). */
  ipChange?: { at: number; ip: string };
  errors?: boolean;
}

/** Something that happens in bursts: a CI run, a vendor poll. `run` returns the burst's records. */
export interface Runner {
  perDay: number;
  shape: Shape;
  budget: 'ci' | 'vendor' | null;
  /** Records per run, for budgeting. */
  size: number;
  run: (rng: Rng, t: number) => TrailRecord[];
}

export interface Budgets { auto: number; slr: number; ci: number; vendor: number; human: number }

export function budgetsFor(eventsPerDay: number): Budgets {
  return { auto: 0.5 * eventsPerDay, slr: 0.06 * eventsPerDay, ci: 0.07 * eventsPerDay, vendor: 0.05 * eventsPerDay, human: 0.22 * eventsPerDay };
}

const LANG_UA = { java: UA.java, python: UA.python, node: UA.node, go: UA.go } as const;
const LOWER_HEX = '0123456789abcdef';

/**
 * Background traffic: the steady calls of automation, CI runs, vendor polls and AWS services. Built
 * account by account while the inventories are written (so that the account models can be dropped),
 * then scaled to the event budget and played hour by hour.
 */
export class Background {
  readonly actors: Actor[] = [];
  readonly runners: Runner[] = [];
  private readonly networks = new Map<string, Network>();
  readonly dcIps: string[];

  constructor(private readonly root: Rng, private readonly t0: number, readonly plan: Plan, readonly cast: Cast) {
    const r = root.fork('datacenter');
    this.dcIps = [publicIp(r), publicIp(r)];
  }

  network(account: string, region: string): Network {
    const key = `${account}/${region}`;
    let n = this.networks.get(key);
    if (!n) {
      const r = this.root.fork(`net/${key}`);
      n = { nat: [publicIp(r, [3, 18, 34, 44, 52, 54]), publicIp(r, [3, 18, 34, 44, 52, 54])], vpce: new Map() };
      for (const svc of ['s3', 'kms', 'secretsmanager', 'ssm', 'sts', 'dynamodb', 'ecr', 'logs']) n.vpce.set(svc, `vpce-0${r.hex(16)}`);
      this.networks.set(key, n);
    }
    return n;
  }

  /** Actors and runners of one account, from the principals its model marks active. */
  addAccount(m: AccountModel): void {
    const a = m.account;
    const rng = this.root.fork(`actors/${a.id}`);
    const deploymentOf = new Map<User | Role, Deployment>();
    for (const d of m.deployments) {
      for (const r of d.roles) deploymentOf.set(r, d);
      for (const u of d.users) deploymentOf.set(u, d);
    }
    for (const [p, weight] of m.weights) {
      if (!weight) continue;
      if ('trust' in p) this.addRole(rng, a, p, deploymentOf.get(p) ?? null, weight);
      else if (!p.human) this.addUser(rng, a, p, deploymentOf.get(p) ?? null, weight);
    }
    if (a.kind === 'workload') {
      this.addServiceLinked(rng, a, m);
      const ci = this.cast.ciRoles.get(a.id);
      if (ci) this.addPlatformCi(rng, a, ci, m);
    }
  }

  private addUser(rng: Rng, a: Account, u: User, d: Deployment | null, weight: number): void {
    const r = rng.fork(`user/${u.name}`);
    const key = [...u.keys].reverse().find((k) => k.active);
    if (!key) return;
    const identity = iamUserIdentity({ accountId: a.id, arn: u.arn, userId: u.id, userName: u.name, keyId: key.id });
    const tf = this.cast.terraformUser?.user === u;
    let ops: WeightedOps;
    let ip: (rng: Rng) => string;
    let ua: string = LANG_UA[r.pick(['java', 'python', 'node', 'go'] as const)];
    if (tf) {
      ops = [[iamRead('GetRole', { roleName: 'EngineerAccess' }), 4], [iamRead('ListAttachedRolePolicies', { roleName: 'EngineerAccess' }), 3], [iamRead('GetPolicyVersion', null), 2], [iamRead('ListUsers'), 1], [callerIdentity, 1]];
      ip = (x) => publicIp(x, GITHUB_RUNNER_OCTETS);
      ua = UA.terraform;
    } else if (d) {
      ops = serviceUserOps(d);
      const mode = r.next();
      const fixed = mode < 0.6 ? r.pick(this.network(a.id, d.region).nat) : mode < 0.85 ? r.pick(this.dcIps) : publicIp(r, HOSTING_OCTETS);
      ip = () => fixed;
    } else {
      ops = [[iamRead('ListUsers'), 4], [iamRead('GetUser'), 3], [iamRead('ListGroupsForUser'), 2], [iamRead('ListAccessKeys'), 1], [callerIdentity, 1]];
      const fixed = publicIp(r, HOSTING_OCTETS);
      ip = () => fixed;
    }
    const actor: Actor = {
      account: a.id, region: d?.region ?? a.regions[0], perDay: weight, shape: tf ? 'business' : r.chance(0.15) ? 'night' : 'steady',
      ua, ip, vpce: null, ops, identity, budget: 'auto', errors: true,
    };
    if (this.cast.interactiveUser?.user === u) {
      // Its baseline: one network, one SDK, around the clock.
      const nat = this.network(a.id, actor.region).nat[0];
      Object.assign(actor, { perDay: 96, shape: 'flat', ua: UA.python, ip: () => nat, budget: null, errors: false });
    } else if (this.cast.devUser?.user === u) {
      const nat = this.network(a.id, actor.region).nat[0];
      Object.assign(actor, { perDay: 40, shape: 'steady', ua: UA.python, ip: () => nat, budget: null });
    } else if (d && r.chance(0.03)) {
      // A benign look-alike: a script whose host moved to a new network part-way through the window.
      actor.ipChange = { at: this.t0 + r.int(2, 5) * 24 * HOUR, ip: publicIp(r, [3, 18, 34, 44, 52, 54]) };
    }
    this.actors.push(actor);
  }

  private addRole(rng: Rng, a: Account, role: Role, d: Deployment | null, weight: number): void {
    const r = rng.fork(`role/${role.name}`);
    if (role.purpose === 'ci' && d) {
      this.addServiceCi(a, role, d, weight);
      return;
    }
    if (role.purpose !== 'workload' || !role.workload || !d) return;
    const kind = role.workload;
    const net = this.network(a.id, d.region);
    const instanceId = `i-0${r.hex(16)}`;
    const lang = r.pick(['java', 'python', 'node', 'go'] as const);
    let ip: (x: Rng) => string;
    let vpce: Network | null = null;
    if (kind === 'lambda') ip = (x) => publicIp(x, [3, 18, 34, 44, 52, 54]);
    else if (r.chance(0.5)) {
      const own = privateIp(r);
      ip = () => own;
      vpce = net;
    } else {
      const nat = r.pick(net.nat);
      ip = () => nat;
    }
    const fn = `${role.name.replace(/-role-[a-z0-9]{8}$/, '')}`;
    const actor: Actor = {
      account: a.id, region: d.region, perDay: weight, shape: kind === 'glue' || kind === 'batch' ? 'night' : 'steady',
      ua: kind === 'lambda' ? (lang === 'python' ? UA.lambdaPython : UA.lambdaNode) : LANG_UA[lang],
      ip, vpce, ops: workloadOps(d, kind, instanceId), role: roleRef(a.id, role), issuer: SERVICE_PRINCIPAL[kind],
      sessionMs: (kind === 'ec2' || kind === 'ecs' ? 6 : kind === 'lambda' ? 4 : 1) * HOUR,
      sessionName: kind === 'ec2' ? () => instanceId : kind === 'lambda' ? () => fn : kind === 'glue' ? () => 'GlueJobRunnerSession' : (x) => x.chars(LOWER_HEX, 32),
      session: null, ec2: kind === 'ec2', budget: 'auto', errors: true,
    };
    // Readers of the restricted customer bucket other than the customer service: the warehouse's nightly load.
    this.actors.push(actor);
  }

  /** A role actor with fixed ops and rate (the planted and look-alike readers). */
  addFixedRole(a: { id: string }, role: Role, d: Deployment, kind: 'ecs' | 'glue' | 'batch' | 'lambda' | 'ec2' | 'states', perDay: number, shape: Shape, ops: WeightedOps): void {
    const r = this.root.fork(`fixed/${role.arn}`);
    const net = this.network(a.id, d.region);
    const own = privateIp(r);
    this.actors.push({
      account: a.id, region: d.region, perDay, shape, ua: UA.java, ip: () => own, vpce: net, ops, role: roleRef(a.id, role),
      issuer: SERVICE_PRINCIPAL[kind], sessionMs: 6 * HOUR, sessionName: (x) => x.chars(LOWER_HEX, 32), session: null, budget: null,
    });
  }

  private addServiceLinked(rng: Rng, a: Account, m: AccountModel): void {
    // A plain lookup, not a closure over `m`: the actors' closures below would keep the whole model alive.
    const byName = new Map(m.roles.filter((r) => r.purpose === 'service-linked').map((r) => [r.name, r]));
    const specs: [string, string, string, WeightedOps, number][] = [
      ['AWSServiceRoleForAutoScaling', 'autoscaling.amazonaws.com', 'AutoScaling', [[ec2Read('DescribeInstanceStatus'), 5], [ec2Read('DescribeInstances'), 2]], 2],
      ['AWSServiceRoleForConfig', 'config.amazonaws.com', 'AWSConfig-Describe', [
        [ec2Read('DescribeSecurityGroups'), 3], [ec2Read('DescribeSubnets'), 2], [ec2Read('DescribeVolumes'), 2], [iamRead('GetRole', null), 3],
        [iamRead('ListAttachedRolePolicies', null), 2], [generic('s3.amazonaws.com', 'GetBucketPolicy', true, null), 2],
      ], 3],
      ['AWSServiceRoleForECS', 'ecs.amazonaws.com', 'ecs-service-scheduler', [[ec2Read('DescribeNetworkInterfaces'), 3], [generic('elasticloadbalancing.amazonaws.com', 'RegisterTargets', false, null), 1], [generic('elasticloadbalancing.amazonaws.com', 'DeregisterTargets', false, null), 1]], 2],
      ['AWSServiceRoleForElasticLoadBalancing', 'elasticloadbalancing.amazonaws.com', 'ElasticLoadBalancing', [[ec2Read('DescribeNetworkInterfaces'), 3], [ec2Read('DescribeSubnets'), 1]], 1],
    ];
    for (const [name, service, session, ops, weight] of specs) {
      const role = byName.get(name);
      if (!role) continue;
      this.actors.push({
        account: a.id, region: a.regions[0], perDay: weight * rng.lognormal(0, 0.3), shape: 'steady', ua: service, ip: () => service, vpce: null, ops,
        role: roleRef(a.id, role), issuer: service, sessionMs: HOUR, sessionName: () => session, session: null, invokedBy: service, budget: 'slr',
      });
    }
  }

  /** Terraform from the infrastructure repository: plans on weekdays, many reads each. */
  private addPlatformCi(rng: Rng, a: Account, role: Role, m: AccountModel): void {
    const provider = m.oidcProvider!;
    const ref = roleRef(a.id, role);
    const region = a.regions[0];
    const reads: Op[] = [
      ec2Read('DescribeInstances'), ec2Read('DescribeSecurityGroups'), ec2Read('DescribeSubnets'), iamRead('GetRole', { roleName: 'EngineerAccess' }),
      iamRead('ListRolePolicies', { roleName: 'EngineerAccess' }), iamRead('GetPolicy', null), generic('s3.amazonaws.com', 'GetBucketPolicy', true, null),
      generic('kms.amazonaws.com', 'DescribeKey', true, null), generic('ecs.amazonaws.com', 'DescribeClusters', true, null),
      generic('rds.amazonaws.com', 'DescribeDBInstances', true, null), generic('route53.amazonaws.com', 'ListHostedZones', true, null),
    ];
    const size = 14;
    this.runners.push({
      perDay: 2 + rng.next() * 2, shape: 'business', budget: 'ci', size,
      run: (x, t) => {
        const ip = publicIp(x, GITHUB_RUNNER_OCTETS);
        const { records, session } = assumeRoleWithWebIdentity(x, {
          t, region, providerArn: provider, subject: `repo:${ORG.github}/infrastructure:ref:refs/heads/main`, role: ref, sessionName: 'GitHubActions', ip, ua: UA.ghaAction,
        });
        let tt = t;
        for (let i = 1; i < size; i++) {
          tt += x.int(1, 20) * 1000;
          const op = x.pick(reads)(x, tt);
          records.push(toRecord(x, { ...op, t: tt, identity: assumedRoleIdentity(session), ip, ua: UA.terraform, account: a.id, region, host: op.host ?? hostFor(op.source, region) }));
        }
        return records;
      },
    });
  }

  /** A service's deploy workflow: build, push, roll out. */
  private addServiceCi(a: Account, role: Role, d: Deployment, weight: number): void {
    // Closures keep strings only: a deployment object would keep its account's identities alive.
    const { service, region, repo, cluster } = d;
    const trust = role.trust.Statement[0];
    const cond = (trust.Condition ?? {}) as Record<string, Record<string, string>>;
    const strict = cond.StringEquals?.['token.actions.githubusercontent.com:sub'];
    const like = cond.StringLike?.['token.actions.githubusercontent.com:sub'];
    const subject = (x: Rng) => {
      if (strict) return strict;
      if (like && like.endsWith('/*')) return `repo:${ORG.github}/${x.pick([service, service, 'web', 'infrastructure', 'scripts'])}:ref:refs/heads/main`;
      if (like) return x.chance(0.7) ? `repo:${ORG.github}/${service}:ref:refs/heads/main` : `repo:${ORG.github}/${service}:pull_request`;
      return `repo:${ORG.github}/${service}:ref:refs/heads/main`;
    };
    const provider = `arn:aws:iam::${a.id}:oidc-provider/token.actions.githubusercontent.com`;
    const ref = roleRef(a.id, role);
    const task = d.roles.find((r) => r.passable)?.arn ?? null;
    const fn = d.roles.find((r) => r.workload === 'lambda');
    const steps: Op[] = [
      ecrOp(a.id, region, repo, 'GetAuthorizationToken'), ecrOp(a.id, region, repo, 'BatchCheckLayerAvailability'),
      ecrOp(a.id, region, repo, 'InitiateLayerUpload'), ecrOp(a.id, region, repo, 'PutImage'),
      ecsRegister(`${service}-api`, task), ecsUpdate(cluster, `${service}-api`),
    ];
    if (fn) steps.push(lambdaUpdate(a.id, region, fn.name.replace(/-role-[a-z0-9]{8}$/, '')));
    this.runners.push({
      perDay: weight, shape: 'business', budget: 'ci', size: steps.length + 1,
      run: (x, t) => {
        const ip = publicIp(x, GITHUB_RUNNER_OCTETS);
        const { records, session } = assumeRoleWithWebIdentity(x, { t, region, providerArn: provider, subject: subject(x), role: ref, sessionName: 'GitHubActions', ip, ua: UA.ghaAction });
        let tt = t;
        for (const step of steps) {
          tt += x.int(2, 40) * 1000;
          const op = step(x, tt);
          records.push(toRecord(x, { ...op, t: tt, identity: assumedRoleIdentity(session), ip, ua: UA.ghaCli, account: a.id, region, host: op.host ?? hostFor(op.source, region) }));
        }
        return records;
      },
    });
  }

  /** Vendors that poll through their integration roles (the planted one is scripted elsewhere). */
  addVendors(): void {
    for (const v of this.cast.vendorRoles) {
      if (v.vendor === this.cast.incidentVendor || v.vendor === 'Backvault') continue;
      const r = this.root.fork(`vendor/${v.vendor}`);
      const ips = [publicIp(r, HOSTING_OCTETS), publicIp(r, HOSTING_OCTETS), publicIp(r, HOSTING_OCTETS)];
      const ua = r.pick(VENDOR_UA);
      const ref = roleRef(v.account, v.role);
      const vendorRoleId = `AROA${r.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 17)}`;
      const reads: Op[] = v.vendor === 'Costlens'
        ? [generic('ce.amazonaws.com', 'GetCostAndUsage', true, { granularity: 'DAILY', metrics: ['UnblendedCost'] }), generic('ce.amazonaws.com', 'GetCostForecast', true, null), ec2Read('DescribeInstances')]
        : v.vendor === 'Metricloud'
          ? [cloudwatchMetrics(), generic('monitoring.amazonaws.com', 'ListMetrics', true, null), ec2Read('DescribeInstances'), generic('tag.amazonaws.com', 'GetResources', true, null)]
          : [iamRead('GetAccountAuthorizationDetails', { filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'] }), iamRead('GetAccountPasswordPolicy'), ec2Read('DescribeSecurityGroups'), s3ListBuckets, generic('cloudtrail.amazonaws.com', 'DescribeTrails', true, null), generic('config.amazonaws.com', 'DescribeConfigurationRecorders', true, null)];
      const size = v.vendor === 'Costlens' ? 4 : 6;
      this.runners.push({
        perDay: v.vendor === 'Costlens' ? 1 : v.vendor === 'Metricloud' ? 48 : 24, shape: v.vendor === 'Costlens' ? 'night' : 'flat', budget: 'vendor', size,
        run: (x, t) => {
          const ip = x.pick(ips);
          const session = `${v.vendor.toLowerCase()}-${x.hex(12)}`;
          const res = assumeRole(x, {
            t, region: 'us-east-1', caller: { type: 'AssumedRole', principalId: `${vendorRoleId}:worker` }, callerAccount: v.vendorAccount, callerPrincipalId: `${vendorRoleId}:worker`,
            role: ref, sessionName: session, ip, ua, externalId: v.externalId ?? undefined, recordCaller: false,
          });
          const records = res.records;
          let tt = t;
          for (let i = 1; i < size; i++) {
            tt += x.int(1, 15) * 1000;
            const op = x.pick(reads)(x, tt);
            records.push(toRecord(x, { ...op, t: tt, identity: assumedRoleIdentity(res.session!), ip, ua, account: v.account, region: 'us-east-1', host: op.host ?? hostFor(op.source, 'us-east-1') }));
          }
          return records;
        },
      });
    }
  }

  /** Scale rates so the window carries about the requested number of events per day. */
  scale(b: Budgets): void {
    const sum = (g: Actor['budget']) => this.actors.filter((x) => x.budget === g).reduce((s, x) => s + x.perDay, 0);
    const auto = sum('auto');
    const slr = sum('slr');
    const fixed = this.actors.filter((x) => x.budget === null).reduce((s, x) => s + x.perDay, 0);
    for (const x of this.actors) {
      if (x.budget === 'auto' && auto > 0) x.perDay = (x.perDay / auto) * Math.max(0, b.auto - fixed);
      else if (x.budget === 'slr' && slr > 0) x.perDay = (x.perDay / slr) * b.slr;
    }
    for (const g of ['ci', 'vendor'] as const) {
      const runs = this.runners.filter((x) => x.budget === g);
      const events = runs.reduce((s, x) => s + x.perDay * x.size, 0);
      if (events > 0) for (const x of runs) x.perDay *= b[g] / events;
    }
  }

  /** Calls of the hour that starts at `start`. */
  hour(rng: Rng, start: number, emit: (r: TrailRecord) => void): void {
    for (const actor of this.actors) {
      const n = rng.poisson((actor.perDay / 24) * rhythm(actor.shape, start));
      if (!n) continue;
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(start + Math.floor(rng.next() * HOUR));
      times.sort((x, y) => x - y);
      for (const t of times) this.call(rng, actor, t, start, emit);
    }
    for (const runner of this.runners) {
      const n = rng.poisson((runner.perDay / 24) * rhythm(runner.shape, start));
      for (let i = 0; i < n; i++) for (const r of runner.run(rng, start + Math.floor(rng.next() * HOUR))) emit(r);
    }
  }

  private call(rng: Rng, actor: Actor, t: number, hourStart: number, emit: (r: TrailRecord) => void): void {
    let identity = actor.identity;
    if (actor.role) {
      if (!actor.session || t >= actor.session.expires - 5 * MINUTE) {
        const at = Math.max(hourStart, t - rng.int(1, 20) * 1000);
        const { records, session } = assumeRole(rng, {
          t: at, region: actor.region, caller: awsServiceIdentity(actor.issuer!), callerAccount: actor.account, role: actor.role,
          sessionName: actor.sessionName!(rng), ip: actor.issuer!, ua: actor.issuer!, durationSeconds: Math.round(actor.sessionMs! / 1000), ec2: actor.ec2,
        });
        for (const r of records) emit(r);
        actor.session = session;
      }
      identity = assumedRoleIdentity(actor.session!);
      if (actor.invokedBy) identity = { ...identity, invokedBy: actor.invokedBy };
    }
    const op = pick(rng, actor.ops)(rng, t);
    const service = op.source.slice(0, op.source.indexOf('.'));
    const vpce = actor.vpce?.vpce.get(service);
    const ip = actor.ipChange && t >= actor.ipChange.at ? actor.ipChange.ip : actor.ip(rng);
    let errorCode: string | undefined;
    let errorMessage: string | undefined;
    if (actor.errors && rng.chance(0.01)) {
      if (op.readOnly && rng.chance(0.4) && op.management !== false) {
        errorCode = 'ThrottlingException';
        errorMessage = 'Rate exceeded';
      } else {
        errorCode = 'AccessDenied';
        errorMessage = op.source === 's3.amazonaws.com' ? 'Access Denied' : `User: ${String(identity!.arn)} is not authorized to perform: ${service}:${op.name} because no identity-based policy allows the ${service}:${op.name} action`;
      }
    }
    emit(toRecord(rng, {
      ...op, t, identity: identity!, ip, ua: actor.ua, account: actor.account, region: actor.region,
      host: actor.invokedBy ? undefined : op.host ?? hostFor(op.source, actor.region), vpcEndpointId: vpce, errorCode, errorMessage,
      response: errorCode ? null : op.response,
    }));
  }
}

