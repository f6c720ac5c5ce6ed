import type { Employee, Org } from './org.js';
import type { Rng } from './rng.js';
import { ORG, REGIONS, VENDORS } from './vocab.js';

export type Env = 'prod' | 'staging' | 'dev';

/** AWS IAM default quotas per account, and the share of them the generator leaves as headroom. */
export const QUOTAS = { roles: 1000, users: 5000, managedPolicies: 1500, instanceProfiles: 1000, groups: 300 } as const;
const BULK_ROLES_PER_ACCOUNT = 850;
const USERS_PER_IDENTITY_ACCOUNT = 4500;

export interface Account {
  id: string;
  alias: string;
  kind: 'identity' | 'workload';
  env: Env;
  /** Position among the accounts of its environment (0 holds the fixed estate pieces). */
  envIndex: number;
  regions: string[];
  /** Bulk identities to create here (the fixed ones come on top, within quota). */
  target: { roles: number; instanceProfiles: number; serviceUserSlots: number };
  /** People whose IAM users live here (identity accounts). */
  people: Employee[];
}

export interface Plan {
  accounts: Account[];
  identity: Account[];
  byEnv: Record<Env, Account[]>;
  /** Third parties' own AWS accounts, by vendor name. */
  vendorAccounts: Map<string, string>;
  machineTarget: number;
}

/**
 * How many identities of each kind and where. The machine target (employees x ratio) is split into
 * roles (42%), instance profiles (10%) and service users with their access keys (48%: a user and
 * 1-2 keys each), after the people's own access keys. Roles go 45/20/35 to prod/staging/dev; each
 * environment gets as many accounts as the busiest one needs to stay under the role quota.
 */
export function planEstate(rng: Rng, org: Org, employees: number, ratio: number): Plan {
  decideHumanAccess(rng, org);
  const humanUsers = org.employees.filter((e) => e.iamUser);
  const humanKeys = humanUsers.reduce((s, e) => s + e.keys, 0);
  const machineTarget = Math.round(employees * ratio);

  const usedIds = new Set<string>();
  const accountId = () => {
    for (;;) {
      const id = String(rng.int(1, 9)) + rng.chars('0123456789', 11);
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };

  // Fixed identities per workload account (access, CI, service-linked roles, OIDC provider): ~20.
  const estimateGroups = (bulkRoles: number) => Math.max(1, Math.ceil((0.45 * bulkRoles) / BULK_ROLES_PER_ACCOUNT));
  let bulk = Math.max(0, machineTarget - humanKeys - 30);
  let groups = estimateGroups(0.42 * bulk);
  bulk = Math.max(0, machineTarget - humanKeys - 30 - groups * 3 * 20 - 5 * VENDORS.length);
  groups = estimateGroups(0.42 * bulk);
  const roles = Math.round(0.42 * bulk);
  const profiles = Math.round(0.1 * bulk);
  const serviceUserSlots = bulk - roles - profiles;

  const identityCount = Math.max(1, Math.ceil(humanUsers.length / USERS_PER_IDENTITY_ACCOUNT));
  const identity: Account[] = [];
  for (let i = 0; i < identityCount; i++) {
    identity.push({
      id: accountId(), alias: `${ORG.slug}-identity${i ? `-${i + 1}` : ''}`, kind: 'identity', env: 'prod', envIndex: i,
      regions: [REGIONS.primary], target: { roles: 0, instanceProfiles: 0, serviceUserSlots: 0 }, people: [],
    });
  }
  humanUsers.forEach((e, i) => identity[i % identityCount].people.push(e));
  identity[0].target.serviceUserSlots = Math.round(serviceUserSlots * 0.02);

  const share: Record<Env, number> = { prod: 0.45, staging: 0.2, dev: 0.35 };
  const byEnv: Record<Env, Account[]> = { prod: [], staging: [], dev: [] };
  const workloadSlots = serviceUserSlots - identity[0].target.serviceUserSlots;
  for (let g = 0; g < groups; g++) {
    for (const env of ['prod', 'staging', 'dev'] as Env[]) {
      const regions: string[] = [REGIONS.primary];
      if (rng.chance(0.4)) regions.push(rng.pick(REGIONS.secondary));
      byEnv[env].push({
        id: accountId(), alias: `${ORG.slug}-${env}${groups > 1 ? `-${g + 1}` : ''}`, kind: 'workload', env, envIndex: g, regions,
        target: {
          roles: Math.round((roles * share[env]) / groups),
          instanceProfiles: Math.round((profiles * share[env]) / groups),
          serviceUserSlots: Math.round((workloadSlots * share[env]) / groups),
        },
        people: [],
      });
    }
  }
  const vendorAccounts = new Map<string, string>();
  for (const v of VENDORS) vendorAccounts.set(v.name, accountId());
  return {
    accounts: [...identity, ...byEnv.prod, ...byEnv.staging, ...byEnv.dev],
    identity, byEnv, vendorAccounts, machineTarget,
  };
}

/**
 * Who has an IAM user and how many access keys: most engineers (including some who have left: the
 * offboarding gap), a few finance and operations people for billing, nobody else.
 */
function decideHumanAccess(rng: Rng, org: Org): void {
  for (const e of org.employees) {
    if (e.engineer) e.iamUser = e.status === 'terminated' ? rng.chance(0.65) : rng.chance(0.92);
    else if (e.team === 'Finance') e.iamUser = rng.chance(0.4);
    else e.iamUser = rng.chance(0.04);
    e.keys = e.iamUser && e.engineer ? (rng.chance(0.72) ? (rng.chance(0.12) ? 2 : 1) : 0) : 0;
  }
  // The offboarding gap needs leavers who still have users and keys.
  const leavers = org.employees.filter((e) => e.engineer && e.status === 'terminated');
  for (const e of leavers.slice(0, 3)) {
    e.iamUser = true;
    if (e.keys === 0) e.keys = 1;
  }
  // Platform and SRE people run the CI tooling; at least two of them have keys.
  const platform = org.employees.filter((e) => (e.team === 'Platform' || e.team === 'SRE') && e.status === 'active');
  for (const e of platform.slice(0, 2)) {
    e.iamUser = true;
    if (e.keys === 0) e.keys = 1;
  }
}
