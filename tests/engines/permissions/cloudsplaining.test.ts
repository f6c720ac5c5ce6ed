import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connector as authz } from '../../../src/connectors/aws-iam-authz/index.js';
import { openSourceFile } from '../../../src/connectors/shared/source-file.js';
import { policyRisks, type PolicyRisks, type RiskCategory } from '../../../src/engines/permissions/index.js';
import { dataset, hasDatasets, SKIP_DATASETS } from '../../helpers/datasets.js';

/**
 * Risk categories per policy against cloudsplaining's expected results. The policies come from its
 * authorization-details test files (read by our connector); the expectations from
 * examples/files/iam-results-example.json and test/files/scanning/*. Agreement is per (policy,
 * category): both say the category applies, or both say it does not. Every disagreement is printed
 * with the reason we found for it; docs/engines.md lists them.
 */
const ROOT = dataset('cloudsplaining');
const CATEGORIES: RiskCategory[] = ['PrivilegeEscalation', 'ResourceExposure', 'DataExfiltration', 'CredentialsExposure', 'InfrastructureModification', 'ServiceWildcard'];

/** Why we differ, where we looked and understood it. Keyed `policy/category`. */
const EXPLAINED: Record<string, string> = {
  'AmazonEC2FullAccess/PrivilegeEscalation': 'ec2:* grants ModifyInstanceAttribute+Stop/StartInstances (user data) and launch-template versions: escalation methods of pathfinding.cloud that the catalogue used for this result predates',
  'AmazonEC2FullAccess/CredentialsExposure': 'ec2:GetPasswordData returns an instance\'s administrator password; cloudsplaining added it to its list after this result was generated',
  'SecurityAudit/ResourceExposure': 'today\'s AWS service reference files quicksight:Describe*Permissions under "Permissions management"; the 2020 catalogue did not',
  'SecurityAudit/InfrastructureModification': 'same quicksight reclassification, and iot:ListSubscriptions is now catalogued as a write',
  'AmazonS3ReadOnlyAccess/InfrastructureModification': 'cloudsplaining\'s default configuration reports s3:GetObject under infrastructure modification (include-actions); we count only writes there',
  'AmazonSESFullAccess/ResourceExposure': 'SES v2 identity-policy actions (ses:CreateEmailIdentityPolicy, ...) are "Permissions management" in today\'s catalogue',
  'EC2-IAM-example/ResourceExposure': 'iam:PassRole, iam:AddRoleToInstanceProfile and iam:CreateInstanceProfile are "Write" in today\'s catalogue, "Permissions management" in the 2020 one',
  'OverprivilegedEC2/ResourceExposure': 'iam:CreateAccessKey is "Write" in today\'s catalogue, "Permissions management" in the 2020 one',
};

interface Expected {
  name: string;
  source: string;
  categories: Partial<Record<RiskCategory, unknown[]>>;
  document?: unknown;
}

function expectations(): Expected[] {
  const out: Expected[] = [];
  const results = JSON.parse(readFileSync(join(ROOT, 'examples/files/iam-results-example.json'), 'utf8'));
  for (const section of ['aws_managed_policies', 'customer_managed_policies', 'inline_policies']) {
    for (const v of Object.values<Record<string, unknown>>(results[section])) {
      const versions = v.PolicyVersionList as Array<{ IsDefaultVersion: boolean; Document: unknown }> | undefined;
      out.push({
        name: v.PolicyName as string, source: `iam-results-example.json ${section}`,
        categories: Object.fromEntries(CATEGORIES.map((c) => [c, v[c] as unknown[]])),
        document: v.PolicyDocument ?? versions?.find((x) => x.IsDefaultVersion)?.Document,
      });
    }
  }
  const scanning = join(ROOT, 'test/files/scanning');
  for (const v of JSON.parse(readFileSync(join(scanning, 'test_authorization_file_details_missing_constraints_v2.json'), 'utf8'))) {
    out.push({ name: v.PolicyName, source: 'missing_constraints_v2', categories: { PrivilegeEscalation: v.PrivilegeEscalation, DataExfiltration: v.DataExfiltration, ResourceExposure: v.ResourceExposure }, document: v.PolicyDocument });
  }
  const inline = JSON.parse(readFileSync(join(scanning, 'test_inline_policy_results.json'), 'utf8'));
  out.push({
    name: inline.PolicyName, source: 'test_inline_policy_results', document: inline.PolicyDocument,
    categories: Object.fromEntries(CATEGORIES.filter((c) => inline[c]).map((c) => [c, inline[c].findings])),
  });
  return out;
}

/** Policy documents of every authorization-details file, by name, as our connector reads them. */
async function authzPolicies(): Promise<Map<string, Array<{ file: string; id: string; document: unknown }>>> {
  const dir = join(ROOT, 'test/files');
  const out = new Map<string, Array<{ file: string; id: string; document: unknown }>>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const file = await openSourceFile(join(dir, name));
    if (authz.detect({ path: file.path, name, head: file.head }) === 0) continue;
    for await (const batch of authz.parse(file, { now: new Date('2024-01-01T00:00:00Z') })) {
      for (const item of batch) {
        for (const r of item.records ?? []) {
          if (r.kind !== 'policy' || (r.value.kind !== 'managed' && r.value.kind !== 'inline')) continue;
          const list = out.get(r.value.name) ?? [];
          list.push({ file: name, id: r.value.id, document: r.value.document });
          out.set(r.value.name, list);
        }
      }
    }
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe.skipIf(!hasDatasets)(`risk categories vs cloudsplaining ${hasDatasets ? '' : SKIP_DATASETS}`, () => {
  it('agrees on the categories of each policy, and explains every disagreement', async () => {
    const policies = await authzPolicies();
    let pairs = 0;
    let agree = 0;
    let fromAuthz = 0;
    const disagreements: string[] = [];
    const unexplained: string[] = [];
    for (const e of expectations()) {
      // Prefer the document our connector read from an authorization-details file (the same one
      // cloudsplaining scanned); three policies of the example results exist only in the results file.
      const candidates = policies.get(e.name) ?? [];
      const match = candidates.find((c) => same(c.document, e.document)) ?? (e.document === undefined ? candidates[0] : undefined);
      const document = match?.document ?? e.document;
      if (match) fromAuthz++;
      const mine: PolicyRisks = await policyRisks(match?.id ?? e.name, document);
      for (const c of CATEGORIES) {
        const expected = e.categories[c];
        if (expected === undefined) continue;
        pairs++;
        const theirs = expected.length > 0;
        const ours = mine[c].length > 0;
        if (theirs === ours) {
          agree++;
          continue;
        }
        const key = `${e.name}/${c}`;
        const line = `${key} (${e.source}): cloudsplaining ${theirs ? JSON.stringify(expected).slice(0, 120) : 'none'}, ours ${ours ? JSON.stringify(mine[c]).slice(0, 120) : 'none'} -- ${EXPLAINED[key] ?? 'UNEXPLAINED'}`;
        disagreements.push(line);
        if (!EXPLAINED[key]) unexplained.push(line);
      }
    }
    const rate = agree / pairs;
    console.log(`cloudsplaining agreement: ${agree}/${pairs} (policy, category) pairs = ${(rate * 100).toFixed(1)}%; ${fromAuthz} policies read from authorization-details files`);
    for (const d of disagreements) console.log(`  disagreement: ${d}`);
    expect(unexplained).toEqual([]);
    expect(pairs).toBe(197);
    expect(agree).toBe(189);
    expect(fromAuthz).toBe(32);
  });

  it('finds the escalation methods cloudsplaining names for the policies that have them', async () => {
    const results = JSON.parse(readFileSync(join(ROOT, 'examples/files/iam-results-example.json'), 'utf8'));
    const iamFull = Object.values<Record<string, unknown>>(results.aws_managed_policies).find((v) => v.PolicyName === 'IAMFullAccess')!;
    const doc = (iamFull.PolicyVersionList as Array<{ IsDefaultVersion: boolean; Document: unknown }>).find((x) => x.IsDefaultVersion)!.Document;
    const methods = (await policyRisks('IAMFullAccess', doc)).PrivilegeEscalation.map((m) => m.actions.map((a) => a.toLowerCase()).sort().join('+'));
    // Every single-action method cloudsplaining lists for IAMFullAccess is one of ours too.
    for (const m of iamFull.PrivilegeEscalation as Array<{ actions: string[] }>) expect(methods).toContain(m.actions.sort().join('+'));
  });
});
