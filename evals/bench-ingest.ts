/**
 * npm run bench:ingest [-- --employees 1000 --seed 1 --runs 3 --store both|pg|pglite]
 *
 * Generates an estate (cached under .tmp/ by employees and seed), then for each store ingests, on a fresh
 * store each run: the inventories (IAM authorization details, credential reports, resource tags, HR roster,
 * ownership map) and then the CloudTrail folder, as `idcopilot ingest` does. Prints identities/s, CloudTrail
 * events/s, the seconds the 45,000 identities with their edges took, the post-ingest derivations, and
 * peak RSS; medians over the runs. The PostgreSQL run uses BENCH_DATABASE_URL or a throwaway local server.
 */
import { existsSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deriveAfterIngest } from '../src/engines/derive.js';
import { generateEstate } from '../src/generator/index.js';
import { ingestPaths } from '../src/ingest/pipeline.js';
import { openStore, type Db } from '../src/store/index.js';
import { benchPostgres } from './lib/local-pg.js';
import { median, withPeakRss } from './lib/stats.js';

const { values: args } = parseArgs({
  options: {
    employees: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    store: { type: 'string', default: 'both' },
    derive: { type: 'boolean', default: true },
  },
});

async function estate(): Promise<string> {
  const dir = join('.tmp', `bench-estate-${args.employees}-${args.seed}`);
  if (existsSync(join(dir, 'ground-truth.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`generating a ${args.employees}-employee estate in ${dir} ...\n`);
  const t = performance.now();
  await generateEstate({ employees: Number(args.employees), seed: Number(args.seed), out: dir });
  process.stderr.write(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return dir;
}

async function runOnce(open: () => Promise<Db>, dir: string) {
  const db = await open();
  try {
    const inventories = readdirSync(dir).filter((n) => n !== 'AWSLogs' && n !== 'ground-truth.json').map((n) => join(dir, n));
    let t = performance.now();
    const inv = await ingestPaths(db, inventories);
    const invS = (performance.now() - t) / 1000;
    const [{ n: identities }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM identities');
    const [{ n: edges }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM edges');
    t = performance.now();
    const ct = await ingestPaths(db, [join(dir, 'AWSLogs')]);
    const ctS = (performance.now() - t) / 1000;
    let deriveS = NaN;
    if (args.derive) {
      t = performance.now();
      await deriveAfterIngest(db);
      deriveS = (performance.now() - t) / 1000;
    }
    if (inv.totals.failed || ct.totals.failed) throw new Error(`ingest failures: ${JSON.stringify([inv.totals, ct.totals])}`);
    return { identities, edges, inventoryRecords: inv.totals.records, inventorySeconds: invS, events: ct.totals.records, cloudtrailSeconds: ctS, deriveSeconds: deriveS };
  } finally {
    await db.close();
  }
}

async function measure(label: string, open: () => Promise<Db>, dir: string) {
  const runs: (Awaited<ReturnType<typeof runOnce>> & { peakRssMb: number })[] = [];
  for (let i = 0; i < Number(args.runs); i++) {
    const { value, peakRssMb } = await withPeakRss(() => runOnce(open, dir));
    runs.push({ ...value, peakRssMb });
    process.stderr.write(`[${label}] run ${i + 1}: ${JSON.stringify(value)} peak ${peakRssMb} MB\n`);
  }
  const m = (f: (r: (typeof runs)[0]) => number) => Math.round(median(runs.map(f)) * 100) / 100;
  return {
    store: label,
    runs: runs.length,
    identities: runs[0].identities,
    edges: runs[0].edges,
    events: runs[0].events,
    identitiesWithEdgesSeconds: m((r) => r.inventorySeconds),
    identitiesPerSecond: m((r) => r.identities / r.inventorySeconds),
    cloudtrailEventsPerSecond: m((r) => r.events / r.cloudtrailSeconds),
    deriveSeconds: m((r) => r.deriveSeconds),
    peakRssMb: m((r) => r.peakRssMb),
  };
}

const dir = await estate();
const results = [];
if (args.store === 'both' || args.store === 'pg') {
  const server = benchPostgres();
  if (server) {
    const base = server.url;
    let n = 0;
    const pg = (await import('pg')).default;
    const open = async () => {
      const name = `bench_${process.pid}_${n++}`;
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const u = new URL(base);
      u.pathname = `/${name}`;
      return openStore({ databaseUrl: u.toString() });
    };
    try {
      results.push(await measure('postgresql', open, dir));
    } finally {
      server.stop();
    }
  }
}
if (args.store === 'both' || args.store === 'pglite') {
  // On disk in a temporary folder, as `idcopilot` uses it (the in-memory filesystem grows slower).
  const open = () => openStore({ data: mkdtempSync(join(tmpdir(), 'bench-pglite-')), command: 'bench' });
  results.push(await measure('pglite', open, dir));
}
console.log(JSON.stringify(results, null, 2));
