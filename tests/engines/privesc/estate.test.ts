import { mkdtempSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privesc, type PrivescResult } from '../../../src/engines/privesc/index.js';
import { generateEstate, GroundTruth } from '../../../src/generator/index.js';
import { openStore, type Db } from '../../../src/store/index.js';
import { ingest } from './fixtures.js';

/**
 * A generated estate plants escalation paths (ground-truth.json `privesc`: IAM users and roles without
 * admin rights whose own permissions let them make themselves admin). The engine's principals that
 * escalate without any unknown fact must be those. Conditional escalations (code in a function or
 * instance that may run as an admin role) are reported apart: the generator plants none on purpose.
 */
const IAM = /^arn:aws:iam::\d{12}:(user|role)\//;

describe('privilege escalation on a generated estate', () => {
  let db: Db;
  let truth: GroundTruth;
  let r: PrivescResult;
  let principals: number;
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'idc-estate-privesc-'));
    await generateEstate({ employees: 100, seed: 7, out, days: 1, eventsPerDay: 100 });
    truth = GroundTruth.parse(JSON.parse(readFileSync(join(out, 'ground-truth.json'), 'utf8')));
    db = await openStore({ data: ':memory:' });
    await ingest(db, readdirSync(join(out, 'aws')).map((a) => join(out, 'aws', a, 'authorization-details.json')));
    r = await privesc(db, { all: true });
    principals = r.principals.filter((p) => IAM.test(p.id)).length;
  });
  afterAll(async () => {
    await db?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('finds the planted escalations with full precision and recall', () => {
    const planted = new Set(truth.privesc);
    const definite = r.principals.filter((p) => IAM.test(p.id) && p.escalation === 'definite').map((p) => p.id);
    const tp = definite.filter((id) => planted.has(id)).length;
    const precision = tp / definite.length;
    const recall = tp / planted.size;
    const conditional = r.principals.filter((p) => IAM.test(p.id) && p.escalation === 'conditional');
    console.log(`generated estate (seed 7, 100 employees): ${principals} IAM users and roles, ${planted.size} planted escalations; `
      + `definite: ${definite.length} found, precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}; `
      + `conditional only: ${conditional.length} (precision if counted: ${(tp / (definite.length + conditional.length)).toFixed(3)})`);
    expect(planted.size).toBeGreaterThanOrEqual(6);
    expect(recall).toBe(1);
    expect(precision).toBe(1);
    // Each planted principal is reached in one step of its own (no help from others).
    for (const id of planted) {
      const p = r.principals.find((x) => x.id === id)!;
      expect(p).toMatchObject({ isAdmin: false, reachesAdmin: true, steps: 1 });
    }
  });

  it('names the method the generator planted', () => {
    const vias = new Set(truth.privesc.map((id) => r.principals.find((p) => p.id === id)!.paths.find((x) => x.steps.every((s) => !s.conditional))!.steps[0].via));
    for (const v of vias) expect(v).toMatch(/^aws-(create-policy-version|passrole-ec2|passrole-lambda-invoke|passrole-glue-dev-endpoint|attach-user-policy|put-role-policy|update-trust-policy|create-login-profile|attach-role-policy|add-user-to-group)$/);
  });
});
