/**
 * npm run bench:engines [-- --store pg|pglite|both --identities N --queries Q]
 *
 * Bulk-loads a synthetic estate of canonical records (identities ~5 edges each, a hub role that 5,000
 * principals can assume), then measures: bounded trace latency (SQL, p50/p95/p99), the hub's blast radius
 * and exposure (compact in-memory graph), the graph build, a full risk re-score when the risk engine is
 * present, and peak RSS. Defaults: 1,000,000 identities on a PostgreSQL server (BENCH_DATABASE_URL, or a
 * throwaway local server), 100,000 on PGlite. Figures are printed, not asserted.
 */
import { parseArgs } from 'node:util';
import { GraphIndex, trace } from '../src/engines/delegation/index.js';
import { fingerprint } from '../src/lib/secrets.js';
import type { CanonicalRecord } from '../src/model/index.js';
import { RECORD_SCHEMAS } from '../src/model/index.js';
import { BulkWriter, openStore, type Db } from '../src/store/index.js';
import { benchPostgres } from './lib/local-pg.js';
import { ms, summary, withPeakRss } from './lib/stats.js';
import { mulberry32 as rng } from './lib/rng.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'both' },
    identities: { type: 'string' },
    queries: { type: 'string', default: '1000' },
    hub: { type: 'string', default: '5000' },
  },
});

const ACCOUNTS = 200;
const acct = (i: number) => String(100000000000 + (i % ACCOUNTS));
const idOf = {
  human: (i: number) => `hr:employee:E${i}`,
  sa: (i: number) => `arn:aws:iam::${acct(i)}:user/svc-${i}`,
  key: (i: number) => `aws:access-key:AKIA${String(i).padStart(16, '0')}`,
  role: (i: number) => `arn:aws:iam::${acct(i)}:role/app-${i}`,
  wl: (i: number) => `k8s:serviceaccount:c${i % 50}/ns${i % 20}/wl-${i}`,
  bucket: (i: number) => `arn:aws:s3:::data-${i}`,
};
export const HUB = `arn:aws:iam::${acct(0)}:role/hub-deploy`;

/** Records in chunks, so that a million identities never sit in memory at once. */
function* syntheticEstate(n: number, hubPrincipals: number): Generator<CanonicalRecord[]> {
  const r = rng(42);
  const humans = Math.max(10, Math.floor(n * 0.02));
  const sas = Math.floor(n * 0.2);
  const keys = Math.floor(n * 0.36);
  const roles = Math.floor(n * 0.3);
  const wls = n - humans - sas - keys - roles;
  const buckets = Math.max(100, Math.floor(n / 50));
  const pick = (m: number) => Math.floor(r() * m);
  let chunk: CanonicalRecord[] = [];
  const push = (x: CanonicalRecord) => {
    chunk.push(x);
  };
  const t = '2026-11-01T00:00:00Z';
  for (let i = 0; i < buckets; i++) push({ kind: 'resource', value: { id: idOf.bucket(i), provider: 'aws', type: 's3:bucket', name: `data-${i}`, account: acct(i), classification: i % 10 === 0 ? 'restricted' : 'internal' } });
  push({ kind: 'identity', value: { id: HUB, kind: 'role', provider: 'aws', name: 'hub-deploy', account: acct(0) } });
  push({ kind: 'entitlement', value: { id: 'ent:hub', identityId: HUB, effect: 'Allow', actions: ['s3:*'], resources: ['*'], privilege: 'write', sourcePolicy: 'p:hub' } });
  for (let k = 0; k < 3; k++) push({ kind: 'edge', value: { from: HUB, to: idOf.role(k), kind: 'can_assume' } });
  yield chunk;
  chunk = [];
  const total = humans + sas + keys + roles + wls;
  for (let g = 0; g < total; g++) {
    if (g < humans) {
      push({ kind: 'identity', value: { id: idOf.human(g), kind: 'human', provider: 'hr', name: `person ${g}`, email: `p${g}@example.com`, status: g % 40 === 0 ? 'terminated' : 'active' } });
      push({ kind: 'edge', value: { from: idOf.human(g), to: `hr:team:t${g % 50}`, kind: 'member_of' } });
    } else if (g < humans + sas) {
      const i = g - humans;
      push({ kind: 'identity', value: { id: idOf.sa(i), kind: 'service_account', provider: 'aws', name: `svc-${i}`, account: acct(i), environment: i % 3 ? 'prod' : 'dev' } });
      push({ kind: 'edge', value: { from: idOf.human(pick(humans)), to: idOf.sa(i), kind: 'owns' } });
      for (let k = 0; k < 4; k++) push({ kind: 'edge', value: { from: idOf.sa(i), to: idOf.role(pick(roles)), kind: 'can_assume' } });
      push({ kind: 'edge', value: { from: idOf.sa(i), to: `arn:aws:iam::${acct(i)}:group/g${i % 40}`, kind: 'member_of' } });
      if (i < hubPrincipals) push({ kind: 'edge', value: { from: idOf.sa(i), to: HUB, kind: 'can_assume' } });
    } else if (g < humans + sas + keys) {
      const i = g - humans - sas;
      const owner = idOf.sa(i % sas);
      push({ kind: 'identity', value: { id: idOf.key(i), kind: 'api_key', provider: 'aws', name: `key-${i}`, account: acct(i % sas) } });
      push({ kind: 'credential', value: { id: idOf.key(i), identityId: owner, type: 'access_key', fingerprint: fingerprint(idOf.key(i)), createdAt: `20${20 + (i % 6)}-0${1 + (i % 9)}-01T00:00:00Z`, status: 'active' } });
      push({ kind: 'edge', value: { from: owner, to: idOf.key(i), kind: 'owns_credential' } });
      push({ kind: 'edge', value: { from: idOf.key(i), to: owner, kind: 'authenticates_as' } });
    } else if (g < humans + sas + keys + roles) {
      const i = g - humans - sas - keys;
      push({ kind: 'identity', value: { id: idOf.role(i), kind: 'role', provider: 'aws', name: `app-${i}`, account: acct(i) } });
      push({ kind: 'entitlement', value: { id: `ent:r${i}`, identityId: idOf.role(i), effect: 'Allow', actions: i % 100 === 0 ? ['*'] : ['s3:GetObject'], resources: [i % 100 === 0 ? '*' : `${idOf.bucket(pick(buckets))}/*`], privilege: i % 100 === 0 ? 'admin' : 'read', sourcePolicy: `p:${i % 500}` } });
      for (let k = 0; k < 7; k++) push({ kind: 'edge', value: { from: idOf.role(i), to: idOf.bucket(pick(buckets)), kind: 'can_access', potential: true } });
      if (r() < 0.5) push({ kind: 'edge', value: { from: idOf.role(i), to: idOf.role(pick(roles)), kind: 'can_assume' } });
      if (r() < 0.2) {
        // Some hops were seen in logs: observed edges as the store aggregates them.
        push({ kind: 'edge', value: { from: idOf.sa(pick(sas)), to: idOf.role(i), kind: 'assumed', potential: false, observed: true, firstSeen: t, lastSeen: t, count: 1 + pick(50) } });
      }
    } else {
      const i = g - humans - sas - keys - roles;
      push({ kind: 'identity', value: { id: idOf.wl(i), kind: 'workload', provider: 'k8s', name: `wl-${i}` } });
      push({ kind: 'edge', value: { from: idOf.wl(i), to: idOf.sa(pick(sas)), kind: 'runs_as' } });
      push({ kind: 'edge', value: { from: idOf.wl(i), to: idOf.role(pick(roles)), kind: 'federates_to' } });
      push({ kind: 'edge', value: { from: idOf.wl(i), to: idOf.sa(pick(sas)), kind: 'can_assume' } });
      for (let k = 0; k < 2; k++) push({ kind: 'edge', value: { from: idOf.wl(i), to: idOf.bucket(pick(buckets)), kind: 'can_access', potential: true } });
    }
    if (chunk.length >= 50_000) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

async function load(db: Db, n: number, hub: number): Promise<{ identities: number; edges: number; seconds: number }> {
  const t0 = performance.now();
  for (const chunk of syntheticEstate(n, hub)) {
    await db.transaction(async (tx) => {
      const w = new BulkWriter(tx);
      for (const rec of chunk) w.add({ kind: rec.kind, value: (RECORD_SCHEMAS[rec.kind] as any).parse(rec.value) } as never);
      await w.flush();
    });
  }
  await db.exec('ANALYZE');
  const [c] = await db.query<{ i: number; e: number }>('SELECT (SELECT count(*) FROM identities)::int AS i, (SELECT count(*) FROM edges)::int AS e');
  return { identities: c.i, edges: c.e, seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

async function measure(db: Db, label: string, n: number) {
  const hubSize = Number(args.hub);
  process.stderr.write(`[${label}] loading ${n} identities ...\n`);
  const loaded = await load(db, n, hubSize);
  process.stderr.write(`[${label}] loaded ${loaded.identities} identities, ${loaded.edges} edges in ${loaded.seconds} s\n`);
  const ids = (await db.query<{ id: string }>(`SELECT id FROM identities TABLESAMPLE SYSTEM (5) LIMIT ${Number(args.queries)}`)).map((r) => r.id);
  // Warm the caches once, as a long-running server would be.
  for (const id of ids.slice(0, 20)) await trace(db, id, { depth: 6 });
  const lat: number[] = [];
  for (const id of ids) {
    const s = performance.now();
    await trace(db, id, { depth: 6, fanout: 50, maxPaths: 100 });
    lat.push(performance.now() - s);
  }
  const t1 = performance.now();
  const graph = await GraphIndex.build(db);
  const graphBuildS = Math.round((performance.now() - t1) / 100) / 10;
  const hubRuns: Record<string, number[]> = { exposure: [], reach: [], traceUp: [], traceSqlDown: [] };
  let exposureSize = 0;
  for (let k = 0; k < 5; k++) {
    let s = performance.now();
    exposureSize = graph.closure(HUB, 'up').reached.length;
    hubRuns.exposure.push(ms(s));
    s = performance.now();
    graph.closure(HUB, 'down');
    hubRuns.reach.push(ms(s));
    s = performance.now();
    await trace(db, HUB, { direction: 'up', depth: 6, fanout: 500, maxNodes: 50_000, maxPaths: 100 }, graph);
    hubRuns.traceUp.push(ms(s));
    s = performance.now();
    await trace(db, HUB, { direction: 'down', depth: 6, fanout: 500, maxPaths: 100 });
    hubRuns.traceSqlDown.push(ms(s));
  }
  // Twice: the first scoring writes every finding and score; a re-score (the steady state, after new
  // data) recomputes every factor but writes only what changed.
  let riskS: { first: number; again: number } | null = null;
  try {
    const risk = await import('../src/engines/risk/index.js' as string);
    if (typeof risk.scoreAll === 'function') {
      const runs: number[] = [];
      for (let k = 0; k < 2; k++) {
        const s = performance.now();
        const r = await risk.scoreAll(db);
        runs.push(Math.round((performance.now() - s) / 100) / 10);
        // Where the time went: the slowest steps (ms), so that a regression names its statement.
        const slowest = Object.entries(r.timings as Record<string, number>).sort((a, b) => b[1] - a[1]).slice(0, 8);
        process.stderr.write(`[${label}] risk scoring ${k ? 'again' : 'first'}: ${runs[k]} s; slowest steps ${slowest.map(([n, t]) => `${n} ${t} ms`).join(', ')}\n`);
      }
      riskS = { first: runs[0], again: runs[1] };
    }
  } catch (err) {
    process.stderr.write(`[${label}] risk re-score skipped: ${(err as Error).message.split('\n')[0]}\n`);
  }
  return {
    store: label,
    identities: loaded.identities,
    edges: loaded.edges,
    loadSeconds: loaded.seconds,
    boundedTraceMs: summary(lat),
    graph: { nodes: graph.nodes, edges: graph.edges, buildSeconds: graphBuildS },
    hub: { principals: hubSize, exposure: exposureSize, ms: Object.fromEntries(Object.entries(hubRuns).map(([k, v]) => [k, summary(v).p50])) },
    riskRescoreSeconds: riskS,
  };
}

async function main() {
  const results = [];
  if (args.store === 'pg' || args.store === 'both') {
    const server = benchPostgres();
    if (server) {
      const db = await openStore({ databaseUrl: server.url });
      try {
        const { value, peakRssMb } = await withPeakRss(() => measure(db, 'postgresql', Number(args.identities ?? 1_000_000)));
        results.push({ ...value, peakRssMb });
      } finally {
        await db.close();
        server.stop();
      }
    }
  }
  if (args.store === 'pglite' || args.store === 'both') {
    const db = await openStore({ data: ':memory:' });
    try {
      const { value, peakRssMb } = await withPeakRss(() => measure(db, 'pglite', Number(args.identities ?? 100_000)));
      results.push({ ...value, peakRssMb });
    } finally {
      await db.close();
    }
  }
  console.log(JSON.stringify(results, null, 2));
}

await main();
