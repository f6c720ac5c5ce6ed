import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import type { IngestResult } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import type { EstateSummary, GroundTruth } from '../../src/generator/schema.js';
import { describeStores } from '../helpers/stores.js';
import { EstateFiles, generate } from './helpers.js';

/** A generated estate goes through the real connectors into both stores, and the ground truth is findable there. */
let out: string;
let summary: EstateSummary;
let gt: GroundTruth;

beforeAll(async () => {
  const g = await generate({ employees: 50, seed: 'ingest', days: 2, eventsPerDay: 600 });
  out = g.out;
  summary = g.summary;
  gt = new EstateFiles(out).groundTruth();
}, 120_000);

describeStores('generated estate through ingest', (open) => {
  let db: Db;
  let result: IngestResult;
  const rejects: unknown[] = [];

  beforeAll(async () => {
    db = await open();
    result = await ingestPaths(db, [out], { onReject: (r) => rejects.push(r), now: new Date('2026-11-03T00:00:00Z') });
  }, 600_000);
  afterAll(async () => {
    await db?.close();
  });

  it('reads every file with the connector for its format, without a failure or a reject', () => {
    const formats = new Map<string, number>();
    for (const f of result.files) {
      if (f.format) formats.set(f.format, (formats.get(f.format) ?? 0) + 1);
      expect(f.error, f.path).toBeNull();
    }
    const accounts = summary.accounts.length;
    expect(Object.fromEntries(formats)).toEqual({
      'aws-iam-authz': accounts, 'aws-credential-report': accounts, 'aws-resource-tags': accounts, 'hr-roster': 1, 'ownership-map': 1,
      'aws-cloudtrail': summary.cloudtrailFiles,
    });
    // ground-truth.json is not an input format: found while walking the folder, it is skipped.
    expect(result.files.filter((f) => f.skipped).map((f) => f.path.split('/').pop())).toEqual(['ground-truth.json']);
    expect(rejects).toEqual([]);
    expect(result.totals.counts.event).toBe(summary.events);
  });

  it('has every ground-truth root and chain identity, and the privilege-escalation and orphaned ones', async () => {
    const ids = [...new Set(gt.incidents.flatMap((i) => [i.rootIdentity, ...i.chain]))];
    const rows = await db.query<{ id: string; kind: string }>('SELECT id, kind FROM identities WHERE id = ANY($1)', [ids]);
    expect(rows.map((r) => r.id).sort()).toEqual(ids.sort());
    const kinds = Object.fromEntries(rows.map((r) => [r.id, r.kind]));
    for (const i of gt.incidents) for (const id of i.chain) if (id.startsWith('aws:access-key:')) expect(kinds[id]).toBe('api_key');
    const others = [...new Set([...gt.privesc, ...gt.orphaned])];
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM identities WHERE id = ANY($1)', [others]);
    expect(n).toBe(others.length);
  });

  it('shows the planted hops as observed edges: the engineer, the dev user and the vendor assumed their roles', async () => {
    const hop = (id: string) => gt.incidents.find((i) => i.id.startsWith(id))!.chain;
    const [engineer, , ciRole] = hop('gt-1');
    const [devUser, , prodRole] = hop('gt-4');
    const [vendorRoot, vendorRole] = hop('gt-5');
    for (const [from, to] of [[engineer, ciRole], [devUser, prodRole], [vendorRoot, vendorRole]]) {
      const [edge] = await db.query<{ observed: boolean; count: number }>("SELECT observed, count FROM edges WHERE from_id = $1 AND to_id = $2 AND kind = 'assumed'", [from, to]);
      expect(edge, `${from} assumed ${to}`).toMatchObject({ observed: true });
      expect(edge.count).toBeGreaterThanOrEqual(1);
    }
    // The vendor's trust is also there as configuration.
    const [trust] = await db.query("SELECT potential FROM edges WHERE from_id = $1 AND to_id = $2 AND kind = 'can_assume'", [vendorRoot, vendorRole]);
    expect(trust).toMatchObject({ potential: true });
  });

  it('keeps the people, owners and the restricted bucket the engines need', async () => {
    const [people] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM identities WHERE id LIKE 'hr:employee:%'");
    expect(people.n).toBe(summary.employees);
    const [claims] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM owner_claims WHERE source = 'ownership-map'");
    expect(claims.n).toBeGreaterThan(20);
    const [bucket] = await db.query("SELECT classification, environment FROM resources WHERE id = 'arn:aws:s3:::corvidlabs-customer-data-prod'");
    expect(bucket).toEqual({ classification: 'restricted', environment: 'prod' });
    const [reads] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE action = 'GetObject' AND resources @> '[\"arn:aws:s3:::corvidlabs-customer-data-prod\"]'::jsonb AND chain->>'sourceIdentity' IS NOT NULL");
    expect(reads.n).toBeGreaterThanOrEqual(140);
  });
});
