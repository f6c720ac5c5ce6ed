import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CopilotError } from '../lib/errors.js';
import {
  IDENTITY_PRIVESC, WORKLOAD_PRIVESC, buildIdentityAccount, buildWorkloadAccount, globalOwnershipEntries,
  type AccountModel, type Cast, type EstateContext, type PrivescRecipe,
} from './accounts.js';
import { TrailDelivery } from './cloudtrail/delivery.js';
import { People } from './cloudtrail/humans.js';
import type { TrailRecord } from './cloudtrail/records.js';
import { Background, budgetsFor } from './cloudtrail/traffic.js';
import { plantIncidents, plantRestrictedReaders } from './incidents.js';
import { writeAuthorizationDetails, writeCredentialReport, writeResources } from './inventory.js';
import { buildOrg, rosterLines, type Employee, type Org } from './org.js';
import { OutputStats, StreamedFile } from './output.js';
import { OwnershipWriter } from './ownership.js';
import { planEstate } from './plan.js';
import { Rng } from './rng.js';
import { EstateSummary, GenerateOptions, GroundTruth, type GenerateOptionsInput } from './schema.js';
import { DAY, HOUR, MINUTE } from './time.js';

export { EstateSummary, GenerateOptions, GroundTruth, GroundTruthIncident } from './schema.js';
export type { GenerateOptionsInput } from './schema.js';

/**
 * The demo estate: about 200 people and 9,000 machine identities in 7 AWS accounts, a week of
 * CloudTrail (about 43k events, under the ~60k an in-memory store loads in a few seconds).
 * `idcopilot demo` generates it and loads it.
 */
export const DEMO = {
  employees: 200,
  seed: 'identity-copilot-demo',
  ratio: 45,
  days: 7,
  eventsPerDay: 6000,
} as const satisfies Omit<GenerateOptionsInput, 'out'>;

/** Files and folders the generator owns in its output folder (removed before an overwrite). */
export const OUTPUT_ENTRIES = ['hr', 'ownership', 'aws', 'AWSLogs', 'ground-truth.json'] as const;

/**
 * Generate a synthetic organisation's identity estate in the vendors' real formats: an HR roster, an
 * ownership map, per AWS account the IAM authorization details, credential report and resource tags,
 * CloudTrail as delivered, and ground-truth.json with the planted incidents. Deterministic: the same
 * options give the same bytes. Everything is streamed; memory grows with the number of identities,
 * not with the number of events.
 */
export async function generateEstate(input: GenerateOptionsInput): Promise<EstateSummary> {
  const parsed = GenerateOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CopilotError('E_USAGE', `generate: ${issue.path.join('.') || 'options'}: ${issue.message}`);
  }
  const o = parsed.data;
  const t0 = Date.parse(`${o.startDate}T00:00:00Z`);
  if (Number.isNaN(t0)) throw new CopilotError('E_USAGE', `generate: startDate ${o.startDate} is not a date`);
  await prepareOutput(o.out, o.overwrite);

  const root = new Rng(`identity-copilot-estate/${o.seed}`);
  const org = buildOrg(root.fork('org'), o.employees, t0);
  const plan = planEstate(root.fork('plan'), org, o.employees, o.ratio);
  const cast = chooseCast(root.fork('cast'), org, t0);
  const eventsPerDay = o.eventsPerDay ?? o.employees * 30;
  const budgets = budgetsFor(eventsPerDay);
  const principals = plan.accounts.reduce((s, a) => s + a.target.roles + a.target.serviceUserSlots / 2.3, 0);
  const ctx: EstateContext = {
    root, t0, org, plan, cast,
    privescPlan: privescPlan(plan, o.employees),
    globalOwnership: globalOwnershipEntries(org),
    activeShare: Math.min(0.62, Math.max(0.03, budgets.auto / 7 / Math.max(1, principals))),
  };

  const stats = new OutputStats();
  const roster = await StreamedFile.open(o.out, 'hr/roster.csv', 'hr-roster', stats);
  for (const line of rosterLines(org)) await roster.write(line);
  await roster.close();

  const ownership = await OwnershipWriter.open(o.out, stats);
  await ownership.add(ctx.globalOwnership);
  const background = new Background(root.fork('background'), t0, plan, cast);
  const people = new People(root.fork('people'), t0, o.days, org, plan, cast);
  const orphaned: string[] = [];
  const privesc: string[] = [];
  const accounts: EstateSummary['accounts'] = [];
  const byKind: Record<string, number> = { service_account: 0, role: 0, api_key: 0, workload: 0, oauth_app: 0 };
  const referenced = new Set<string>();
  let humanIamUsers = 0;

  for (const account of plan.accounts) {
    const m = account.kind === 'identity' ? buildIdentityAccount(ctx, account) : buildWorkloadAccount(ctx, account);
    checkQuotas(m);
    await writeAuthorizationDetails(o.out, m, stats);
    const accountCreated = Math.min(...m.roles.map((r) => r.created), ...m.users.map((u) => u.created), t0 - 400 * DAY) - 30 * DAY - 7_342_000;
    await writeCredentialReport(o.out, m, accountCreated, account.kind === 'identity' && account.envIndex === 0 ? t0 - 61 * DAY + 15 * HOUR + 1_234_000 : null, stats);
    await writeResources(o.out, m, stats);
    await ownership.add(m.ownership);
    orphaned.push(...m.orphaned);
    privesc.push(...m.privesc);
    const count = countAccount(m, referenced);
    accounts.push(count.summary);
    humanIamUsers += count.humans;
    for (const [k, n] of Object.entries(count.kinds)) byKind[k] = (byKind[k] ?? 0) + n;
    background.addAccount(m);
    if (account.kind === 'workload') {
      const role = (name: string) => m.roles.find((r) => r.name === name)!;
      people.addAccount({
        account, engineerRole: role('EngineerAccess'), readOnlyRole: role('ReadOnly'), ciRole: cast.ciRoles.get(account.id) ?? null,
        // People only need where things are, not the identities: drop those so the model can be freed.
        deployments: m.deployments.map((d) => ({ ...d, roles: [], users: [] })),
      });
    }
  }
  await ownership.close();
  for (const p of referenced) {
    const kind = p.startsWith('arn:aws:iam::') && p.includes(':oidc-provider/') ? 'oauth_app' : p.endsWith(':root') ? 'role' : p.startsWith('aws:service:') ? 'service_account' : 'group';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }

  // Log window: background traffic, people, the planted incidents, delivered as CloudTrail does.
  const hours = o.days * 24;
  const buckets = new Map<number, TrailRecord[]>();
  let current = 0;
  const schedule = (r: TrailRecord) => {
    const h = Math.max(current, Math.floor((r.t - t0) / HOUR));
    let list = buckets.get(h);
    if (!list) buckets.set(h, (list = []));
    list.push(r);
  };
  const incidentCtx = { root: root.fork('incidents'), t0, days: o.days, org, plan, cast, background, schedule };
  background.addVendors();
  plantRestrictedReaders(incidentCtx, eventsPerDay);
  const incidents = plantIncidents(incidentCtx);
  background.scale(budgets);
  people.scale(budgets.human);

  const streams = plan.accounts.reduce((n, a) => n + a.regions.length, 0);
  const minutes = o.deliveryMinutes === 'auto' ? deliveryWindow(eventsPerDay, streams) : o.deliveryMinutes;
  const trail = new TrailDelivery(o.out, stats, root.fork('delivery'), minutes * MINUTE);
  const traffic = root.fork('traffic');
  for (let h = 0; h < hours; h++) {
    current = h;
    const start = t0 + h * HOUR;
    if (h % 24 === 0) people.planDay(h / 24, schedule);
    background.hour(traffic, start, schedule);
    const list = buckets.get(h);
    if (list) {
      trail.addAll(list);
      buckets.delete(h);
    }
    await trail.flush(start + HOUR);
  }
  for (const h of [...buckets.keys()].sort((a, b) => a - b)) trail.addAll(buckets.get(h)!);
  await trail.close();

  const truth = GroundTruth.parse({ incidents, privesc: [...new Set(privesc)].sort(), orphaned: [...new Set(orphaned)].sort() });
  const gt = await StreamedFile.open(o.out, 'ground-truth.json', 'ground-truth', stats);
  await gt.write(JSON.stringify(truth, null, 2) + '\n');
  await gt.close();

  const machines = Object.values(byKind).reduce((s, n) => s + n, 0);
  return EstateSummary.parse({
    out: o.out, seed: o.seed, employees: org.employees.length, ratio: o.ratio, days: o.days,
    window: { start: new Date(t0).toISOString(), end: new Date(t0 + o.days * DAY).toISOString() },
    accounts,
    identities: { humans: org.employees.length, machines, ratio: Math.round((machines / org.employees.length) * 10) / 10, byKind, humanIamUsers },
    deliveryMinutes: minutes, events: trail.events, cloudtrailFiles: trail.files, files: stats.files, bytes: stats.bytes, byKind: stats.byKind,
    incidents: truth.incidents.length, privesc: truth.privesc.length, orphaned: truth.orphaned.length,
  });
}

/** The shortest CloudTrail-like window at which an average file holds at least ~30 records. */
export function deliveryWindow(eventsPerDay: number, streams: number): number {
  const perMinute = eventsPerDay / 1440 / Math.max(1, streams);
  return [5, 10, 15, 20, 30, 60].find((m) => m * perMinute >= 30) ?? 60;
}

/** Refuse to mix with other files; with overwrite, remove only what an earlier run wrote. */
async function prepareOutput(out: string, overwrite: boolean): Promise<void> {
  await fs.mkdir(out, { recursive: true });
  const entries = (await fs.readdir(out)).filter((n) => !n.startsWith('.'));
  if (!entries.length) return;
  const ours = entries.every((n) => (OUTPUT_ENTRIES as readonly string[]).includes(n));
  if (!overwrite || !ours) {
    throw new CopilotError('E_USAGE', `generate: ${out} is not empty${ours ? ' (an earlier estate; pass overwrite to replace it)' : ` (found ${entries.slice(0, 3).join(', ')}); choose an empty folder`}`);
  }
  for (const n of entries) await fs.rm(join(out, n), { recursive: true, force: true });
}

/** The people the planted incidents and their look-alikes are about. */
function chooseCast(rng: Rng, org: Org, t0: number): Cast {
  const leads = new Set(org.teams.map((t) => t.lead));
  const withKeys = (e: Employee) => e.iamUser && e.keys > 0;
  const active = org.employees.filter((e) => e.status === 'active' && e.engineer && withKeys(e));
  const platform = active.filter((e) => (e.team === 'Platform' || e.team === 'SRE') && !leads.has(e) && !e.contractor);
  const aiEngineer = platform[0] ?? active.find((e) => e.team === 'Platform' || e.team === 'SRE') ?? active[0];
  const leavers = org.employees.filter((e) => e.status === 'terminated' && e.engineer && withKeys(e));
  const leaver = leavers.find((e) => e.team !== 'Platform' && e.team !== 'SRE') ?? leavers[0];
  if (!aiEngineer || !leaver) throw new CopilotError('E_USAGE', 'generate: the organisation is too small to plant the incidents (use more employees)');
  // Left 3-4 months ago, had been there for years.
  leaver.endDate = t0 - rng.int(95, 130) * DAY;
  leaver.startDate = Math.min(leaver.startDate, t0 - rng.int(900, 2000) * DAY);
  const data = org.employees.filter((e) => e.status === 'active' && e.team === 'Data' && e.engineer);
  const candidatesAi = active.filter((e) => e !== aiEngineer);
  const aiUsers = new Set<Employee>([aiEngineer]);
  for (const e of candidatesAi) if (rng.chance(0.15)) aiUsers.add(e);
  return {
    aiEngineer, leaver, leaverLookalikes: leavers.filter((e) => e !== leaver).slice(0, 2),
    consoleHuman: data[0] ?? active[0], humans: new Map(), ciRoles: new Map(), vendorRoles: [], incidentVendor: 'Opsbridge',
    restrictedReaders: [], aiUsers,
  };
}

/** Where the privilege-escalation paths go: two in the identity account, the rest across workload accounts. */
function privescPlan(plan: ReturnType<typeof planEstate>, employees: number): Map<string, PrivescRecipe[]> {
  const out = new Map<string, PrivescRecipe[]>();
  out.set(plan.identity[0].id, [...IDENTITY_PRIVESC]);
  const workloads = [...plan.byEnv.prod, ...plan.byEnv.staging, ...plan.byEnv.dev];
  const n = Math.min(18, 5 + Math.floor(employees / 250));
  for (let i = 0; i < n; i++) {
    const a = workloads[(i * 5 + 1) % workloads.length];
    const list = out.get(a.id) ?? [];
    list.push(WORKLOAD_PRIVESC[i % WORKLOAD_PRIVESC.length]);
    out.set(a.id, list);
  }
  return out;
}

/** Default AWS quotas: a generated estate must be one AWS would let exist. */
function checkQuotas(m: AccountModel): void {
  const profiles = m.roles.filter((r) => r.profile).length;
  const problems = [
    m.roles.length > 1000 && `${m.roles.length} roles`,
    m.users.length > 5000 && `${m.users.length} users`,
    m.policies.length > 1500 && `${m.policies.length} managed policies`,
    profiles > 1000 && `${profiles} instance profiles`,
    m.groups.length > 300 && `${m.groups.length} groups`,
    m.users.some((u) => u.keys.length > 2) && 'a user with more than 2 access keys',
    m.users.some((u) => u.groups.length > 10) && 'a user in more than 10 groups',
    [...m.users, ...m.roles, ...m.groups].some((x) => x.attached.length > 10) && 'more than 10 managed policies attached to one principal',
  ].filter(Boolean);
  if (problems.length) throw new Error(`account ${m.account.id} exceeds AWS quotas: ${problems.join(', ')}`);
}

/** Per-account counts, and the identities the connectors will create for them (by canonical kind). */
function countAccount(m: AccountModel, referenced: Set<string>): { summary: EstateSummary['accounts'][number]; kinds: Record<string, number>; humans: number } {
  const humans = m.users.filter((u) => u.human).length;
  const keys = m.users.reduce((s, u) => s + u.keys.length, 0);
  const profiles = m.roles.filter((r) => r.profile).length;
  for (const r of m.roles) {
    for (const st of r.trust.Statement) {
      const p = st.Principal as Record<string, string | string[]> | undefined;
      if (!p) continue;
      for (const [type, v] of Object.entries(p)) {
        for (const x of Array.isArray(v) ? v : [v]) referenced.add(type === 'Service' ? `aws:service:${x}` : x);
      }
    }
  }
  return {
    humans,
    kinds: { service_account: m.users.length - humans, role: m.roles.length, api_key: keys, workload: profiles },
    summary: {
      id: m.account.id, alias: m.account.alias, kind: m.account.kind, env: m.account.env, users: m.users.length, roles: m.roles.length,
      groups: m.groups.length, managedPolicies: m.policies.length, instanceProfiles: profiles, accessKeys: keys, resources: m.resources.length,
    },
  };
}
