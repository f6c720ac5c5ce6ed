import type { Cast, Deployment } from '../accounts.js';
import type { Role, User } from '../iam.js';
import type { Employee, Org } from '../org.js';
import type { Account, Plan } from '../plan.js';
import type { Rng } from '../rng.js';
import { DAY, HOUR, MINUTE, localClock } from '../time.js';
import { AI_UA, UA, publicIp } from '../vocab.js';
import { engineerOps, generic, iamRead, pick, s3ListBuckets, type WeightedOps } from './ops.js';
import {
  assumeRole, assumedRoleIdentity, consoleLogin, hostFor, iamUserIdentity, rootIdentity, toRecord, type TrailRecord,
} from './records.js';
import { awsId } from '../rng.js';

/** What people need to know about an account to work in it: its access roles and a few services. */
export interface AccountView {
  account: Account;
  engineerRole: Role;
  readOnlyRole: Role;
  ciRole: Role | null;
  deployments: Deployment[];
}

/**
 * People at work: engineers assume roles in workload accounts from the CLI (MFA, sourceIdentity = their
 * email) during their office hours, some through an AI coding assistant; others sign in to the console.
 * Sessions are planned a day at a time.
 */
export class People {
  private readonly views: AccountView[] = [];
  private callsPerSession = 12;
  private cli: Employee[] = [];
  private console: Employee[] = [];
  private readonly rootDay: number;

  constructor(private readonly root: Rng, private readonly t0: number, days: number, private readonly org: Org, private readonly plan: Plan, private readonly cast: Cast) {
    this.rootDay = Math.min(days - 1, 2);
  }

  addAccount(view: AccountView): void {
    this.views.push(view);
  }

  /** Who works how (CLI or console), and calls per session so that people's share of the day's events is about `budget`. */
  scale(budget: number): void {
    // People's IAM users exist once the identity accounts are built.
    const withUser = [...this.cast.humans.keys()].filter((e) => e.status === 'active');
    this.cli = withUser.filter((e) => this.cast.humans.get(e)!.user.keys.some((k) => k.active));
    this.console = withUser.filter((e) => !this.cli.includes(e));
    const sessions = this.cli.length * (5 / 7) * 0.7 * 1.8 + this.console.length * (5 / 7) * 0.3;
    this.callsPerSession = Math.max(4, Math.min(80, Math.round((budget - sessions * 3) / Math.max(1, sessions))));
  }

  planDay(day: number, schedule: (r: TrailRecord) => void): void {
    const rng = this.root.fork(`people/${day}`);
    const dayStart = this.t0 + day * DAY;
    for (const e of this.cli) {
      const weekday = localClock(dayStart + 12 * HOUR, e.office.utcOffset).weekday;
      const workday = weekday !== 0 && weekday !== 6;
      if (!rng.chance(workday ? 0.7 : 0.06)) continue;
      const sessions = 1 + Math.min(3, rng.poisson(0.8));
      for (let s = 0; s < sessions; s++) this.cliSession(rng, e, dayStart, schedule);
      if (rng.chance(0.12)) this.consoleSession(rng, e, dayStart, schedule);
    }
    for (const e of this.console) {
      const weekday = localClock(dayStart + 12 * HOUR, e.office.utcOffset).weekday;
      if (weekday !== 0 && weekday !== 6 && rng.chance(0.3)) this.consoleSession(rng, e, dayStart, schedule);
    }
    if (day === this.rootDay) this.rootSession(rng, dayStart, schedule);
  }

  /** A time during the person's working day (local 9:00-18:00) on the day that starts at dayStart (UTC). */
  private workTime(rng: Rng, e: Employee, dayStart: number): number {
    const localHour = rng.int(9, 17);
    return dayStart + (localHour - e.office.utcOffset) * HOUR + rng.int(0, 59) * MINUTE + rng.int(0, 59) * 1000;
  }

  private ipOf(rng: Rng, e: Employee): string {
    const office = this.org.officeIps.get(e.office.name) ?? [];
    if (rng.chance(0.02)) return publicIp(rng); // travelling: a network never seen for them, nothing else unusual
    if (office.length && rng.chance(0.6)) return rng.pick(office);
    return e.homeIp;
  }

  private cliSession(rng: Rng, e: Employee, dayStart: number, schedule: (r: TrailRecord) => void): void {
    const { account: idAccount, user } = this.cast.humans.get(e)!;
    const key = [...user.keys].reverse().find((k) => k.active)!;
    const platform = e.team === 'Platform' || e.team === 'SRE';
    const envPick = rng.weighted([['dev', 50], ['staging', 25], ['prod', 25]] as const);
    const candidates = this.views.filter((v) => v.account.env === envPick);
    if (!candidates.length) return;
    const view = rng.pick(candidates);
    let role = rng.chance(0.8) ? view.engineerRole : view.readOnlyRole;
    if (platform && envPick !== 'prod' && view.ciRole && rng.chance(0.1)) role = view.ciRole;
    const ai = this.cast.aiUsers.has(e) && envPick !== 'prod' && rng.chance(0.6);
    const ua = ai ? rng.pick(AI_UA) : e.office.name === 'Berlin' || rng.chance(0.7) ? UA.cliMac : UA.cliLinux;
    const t = this.workTime(rng, e, dayStart);
    const ip = this.ipOf(rng, e);
    const caller = iamUserIdentity({ accountId: idAccount, arn: user.arn, userId: user.id, userName: user.name, keyId: key.id });
    const region = view.account.regions[0];
    const { records, session } = assumeRole(rng, {
      t, region, caller, callerAccount: idAccount, callerPrincipalId: user.id,
      role: { accountId: view.account.id, name: role.name, arn: role.arn, id: role.id }, sessionName: e.username,
      ip, ua, durationSeconds: 3600, sourceIdentity: e.email, mfaSerial: `arn:aws:iam::${idAccount}:mfa/${user.name}`,
    });
    for (const r of records) schedule(r);
    const mine = view.deployments.filter((d) => d.team === e.team);
    const d = mine.length ? rng.pick(mine) : view.deployments.length ? rng.pick(view.deployments) : undefined;
    const ops: WeightedOps = engineerOps(d);
    const calls = Math.max(1, Math.round(this.callsPerSession * (0.3 + rng.next() * 1.4)));
    const span = rng.int(5, 55) * MINUTE;
    const identity = assumedRoleIdentity(session!);
    for (let i = 0; i < calls; i++) {
      const tt = t + 2000 + Math.floor((span * (i + rng.next())) / calls);
      const op = pick(rng, ops)(rng, tt);
      schedule(toRecord(rng, { ...op, t: tt, identity, ip, ua, account: view.account.id, region, host: op.host ?? hostFor(op.source, region) }));
    }
  }

  private consoleSession(rng: Rng, e: Employee, dayStart: number, schedule: (r: TrailRecord) => void): void {
    const { account, user } = this.cast.humans.get(e)!;
    const t = this.workTime(rng, e, dayStart);
    const ip = this.ipOf(rng, e);
    const ua = rng.pick([UA.chromeMac, UA.chromeMac, UA.chromeWin, UA.firefox]);
    schedule(consoleLogin(rng, { t, identity: iamUserIdentity({ accountId: account, arn: user.arn, userId: user.id, userName: user.name }), account, ip, ua, mfa: user.mfa }));
    const identity = iamUserIdentity({ accountId: account, arn: user.arn, userId: user.id, userName: user.name, keyId: awsId(rng, 'ASIA'), consoleSession: { created: t, mfa: user.mfa } });
    const ops: WeightedOps = e.team === 'Finance'
      ? [[generic('ce.amazonaws.com', 'GetCostAndUsage', true, { granularity: 'MONTHLY', metrics: ['BlendedCost'] }), 5], [generic('ce.amazonaws.com', 'GetDimensionValues', true, null), 2], [generic('budgets.amazonaws.com', 'DescribeBudgets', true, null), 1]]
      : [[iamRead('GetAccountSummary'), 2], [iamRead('ListMFADevices', { userName: user.name }), 2], [s3ListBuckets, 1], [generic('health.amazonaws.com', 'DescribeEventAggregates', true, null), 1]];
    const calls = rng.int(2, 8);
    for (let i = 0; i < calls; i++) {
      const tt = t + (i + 1) * rng.int(10, 120) * 1000;
      const op = pick(rng, ops)(rng, tt);
      schedule(toRecord(rng, { ...op, t: tt, identity, ip, ua, account, region: 'us-east-1', host: op.host ?? hostFor(op.source, 'us-east-1'), consoleSession: true }));
    }
  }

  /** The root user, once: billing settings, with MFA, from the office. */
  private rootSession(rng: Rng, dayStart: number, schedule: (r: TrailRecord) => void): void {
    const account = this.plan.identity[0].id;
    const cfo = this.org.employees.find((e) => e.title === 'Chief Financial Officer')!;
    const t = this.workTime(rng, cfo, dayStart);
    const ip = (this.org.officeIps.get(cfo.office.name) ?? [cfo.homeIp])[0] ?? cfo.homeIp;
    schedule(consoleLogin(rng, { t, identity: rootIdentity(account), account, ip, ua: UA.chromeMac, mfa: true }));
    const identity = rootIdentity(account, awsId(rng, 'ASIA'), { created: t, mfa: true });
    for (const [i, op] of [generic('account.amazonaws.com', 'GetContactInformation', true, null), generic('billingconsole.amazonaws.com', 'GetBillingPreferences', true, null), iamRead('GetAccountSummary')].entries()) {
      const tt = t + (i + 1) * 40_000;
      const o = op(rng, tt);
      schedule(toRecord(rng, { ...o, t: tt, identity, ip, ua: UA.chromeMac, account, region: 'us-east-1', host: o.host ?? hostFor(o.source, 'us-east-1'), consoleSession: true }));
    }
  }
}

export type { User };
