import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { generateEstate, type GenerateOptionsInput } from '../../src/generator/index.js';
import type { EstateSummary, GroundTruth } from '../../src/generator/schema.js';

/** A small estate: enough for every planted piece, quick to generate. */
export const SMALL = { employees: 60, seed: 'tests', days: 3, eventsPerDay: 1500 } as const;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `idc-gen-${prefix}-`));
}

export async function generate(opts: Partial<GenerateOptionsInput> = {}): Promise<{ out: string; summary: EstateSummary }> {
  const out = tempDir('estate');
  const summary = await generateEstate({ ...SMALL, ...opts, out });
  return { out, summary };
}

export function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** sha256 over every file's relative path and bytes, in sorted order. */
export function treeHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of walk(dir)) {
    h.update(relative(dir, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

export type CtRecord = Record<string, any>;

/** Everything an estate holds, read back with the vendors' formats in mind. */
export class EstateFiles {
  readonly accounts: string[];
  readonly trailFiles: string[];
  private records: { file: string; record: CtRecord }[] | null = null;

  constructor(readonly out: string) {
    this.accounts = readdirSync(join(out, 'aws')).sort();
    this.trailFiles = [...walk(join(out, 'AWSLogs'))];
  }

  authz(account: string): { UserDetailList: any[]; GroupDetailList: any[]; RoleDetailList: any[]; Policies: any[] } {
    return JSON.parse(readFileSync(join(this.out, 'aws', account, 'authorization-details.json'), 'utf8'));
  }

  credentialReport(account: string): Record<string, string>[] {
    return parseCsv(readFileSync(join(this.out, 'aws', account, 'credential-report.csv')), { columns: true });
  }

  resources(account: string): { ResourceTagMappingList: { ResourceARN: string; Tags: { Key: string; Value: string }[] }[] } {
    return JSON.parse(readFileSync(join(this.out, 'aws', account, 'resources.json'), 'utf8'));
  }

  roster(): Record<string, string>[] {
    return parseCsv(readFileSync(join(this.out, 'hr', 'roster.csv')), { columns: true });
  }

  ownership(): { owners: { match: string; owner?: string; team?: string; note?: string }[] } {
    return parseYaml(readFileSync(join(this.out, 'ownership', 'ownership.yaml'), 'utf8'));
  }

  groundTruth(): GroundTruth {
    return JSON.parse(readFileSync(join(this.out, 'ground-truth.json'), 'utf8'));
  }

  trail(): { file: string; record: CtRecord }[] {
    if (!this.records) {
      this.records = [];
      for (const f of this.trailFiles) for (const record of JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')).Records) this.records.push({ file: f, record });
    }
    return this.records;
  }

  /** Every principal the IAM inventories list, by ARN. */
  principals(): Map<string, { account: string; kind: 'user' | 'role' | 'group'; entry: any }> {
    const out = new Map<string, { account: string; kind: 'user' | 'role' | 'group'; entry: any }>();
    for (const a of this.accounts) {
      const d = this.authz(a);
      for (const u of d.UserDetailList) out.set(u.Arn, { account: a, kind: 'user', entry: u });
      for (const r of d.RoleDetailList) out.set(r.Arn, { account: a, kind: 'role', entry: r });
      for (const g of d.GroupDetailList) out.set(g.Arn, { account: a, kind: 'group', entry: g });
    }
    return out;
  }
}

export const tag = (entry: { Tags?: { Key: string; Value: string }[] }, key: string): string | undefined =>
  entry.Tags?.find((t) => t.Key.toLowerCase() === key.toLowerCase())?.Value;
