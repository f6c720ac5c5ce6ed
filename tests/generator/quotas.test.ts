import { beforeAll, describe, expect, it } from 'vitest';
import { QUOTAS } from '../../src/generator/plan.js';
import type { EstateSummary } from '../../src/generator/schema.js';
import { EstateFiles, generate } from './helpers.js';

/** 1,000 people at 45:1 is about 45,000 machine identities: more than one AWS account's quotas allow. */
let files: EstateFiles;
let summary: EstateSummary;

beforeAll(async () => {
  // One day of light traffic: this test is about the inventories.
  const g = await generate({ employees: 1000, seed: 'quotas', days: 1, eventsPerDay: 2000 });
  files = new EstateFiles(g.out);
  summary = g.summary;
}, 600_000);

describe('estate generator: AWS quotas at 1,000 employees', () => {
  it('spreads the estate over accounts, each within the default IAM quotas (counted from the files)', () => {
    expect(summary.accounts.length).toBeGreaterThanOrEqual(10);
    let roles = 0;
    for (const a of files.accounts) {
      const d = files.authz(a);
      const profiles = new Set(d.RoleDetailList.flatMap((r) => r.InstanceProfileList.map((p: any) => p.Arn)));
      const customer = d.Policies.filter((p) => !p.Arn.startsWith('arn:aws:iam::aws:'));
      expect(d.RoleDetailList.length, a).toBeLessThanOrEqual(QUOTAS.roles);
      expect(d.UserDetailList.length, a).toBeLessThanOrEqual(QUOTAS.users);
      expect(customer.length, a).toBeLessThanOrEqual(QUOTAS.managedPolicies);
      expect(profiles.size, a).toBeLessThanOrEqual(QUOTAS.instanceProfiles);
      expect(d.GroupDetailList.length, a).toBeLessThanOrEqual(QUOTAS.groups);
      for (const u of d.UserDetailList) expect(u.GroupList.length).toBeLessThanOrEqual(10);
      const report = files.credentialReport(a);
      for (const r of report) expect(['true', 'false']).toContain(r.access_key_2_active); // never a third key
      const s = summary.accounts.find((x) => x.id === a)!;
      expect({ roles: s.roles, users: s.users, profiles: s.instanceProfiles }).toEqual({ roles: d.RoleDetailList.length, users: d.UserDetailList.length, profiles: profiles.size });
      roles += d.RoleDetailList.length;
    }
    expect(roles).toBeGreaterThan(15_000); // too many for one account: the split is needed
    const envs = summary.accounts.filter((a) => a.kind === 'workload').map((a) => a.env);
    for (const e of ['prod', 'staging', 'dev'] as const) expect(envs.filter((x) => x === e).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps the machine:human ratio at about 45 and grows privilege escalation and orphans with the estate', () => {
    expect(summary.identities.humans).toBe(1000);
    expect(summary.identities.ratio).toBeGreaterThan(42);
    expect(summary.identities.ratio).toBeLessThan(48);
    expect(summary.identities.byKind.role).toBeGreaterThan(15_000);
    expect(summary.identities.byKind.api_key).toBeGreaterThan(8_000);
    expect(summary.privesc).toBeGreaterThanOrEqual(10);
    expect(summary.orphaned).toBeGreaterThan(2_000);
    expect(files.groundTruth().incidents).toHaveLength(5);
  });
});
