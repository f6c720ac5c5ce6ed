import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Db, Row } from './db.js';
import { acquireStoreLock, type StoreLock } from './lock.js';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) with pgvector. One process at a time may open a data
 * directory: a lock file says who holds it, and a second opener fails at once instead of hanging.
 */
export async function openPglite(dataDir: string, command: string): Promise<Db> {
  const memory = dataDir === ':memory:';
  let lock: StoreLock | null = null;
  if (!memory) {
    mkdirSync(dataDir, { recursive: true });
    lock = acquireStoreLock(dataDir, command);
  }
  let pg: PGlite;
  try {
    pg = await PGlite.create({ dataDir: memory ? undefined : resolve(dataDir), extensions: { vector } });
  } catch (err) {
    lock?.release();
    throw err;
  }
  return wrap(pg, memory ? ':memory:' : resolve(dataDir), async () => {
    await pg.close();
    lock?.release();
  });
}

/** IDCOPILOT_SQL_TIMINGS=1 prints time per statement shape at exit (for profiling ingest and engines). */
const timings = process.env.IDCOPILOT_SQL_TIMINGS === '1' ? new Map<string, { ms: number; n: number }>() : null;
function record(sql: string, ms: number): void {
  const key = sql.replace(/\s+/g, ' ').trim().slice(0, 90);
  const t = timings!.get(key) ?? { ms: 0, n: 0 };
  t.ms += ms;
  t.n++;
  timings!.set(key, t);
}
if (timings) {
  process.once('exit', () => {
    for (const [k, v] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) process.stderr.write(`${Math.round(v.ms)} ms  ${v.n}x  ${k}\n`);
  });
}

function wrap(pg: PGlite, location: string, close: () => Promise<void>): Db {
  const make = (q: PGlite | Transaction, inTx: boolean): Db => ({
    driver: 'pglite',
    capabilities: { vector: true, copy: false },
    location,
    async query<T extends Row>(sql: string, params?: unknown[]) {
      const started = timings ? performance.now() : 0;
      const r = await q.query<T>(sql, params as any[]);
      if (timings) record(sql, performance.now() - started);
      return r.rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(make(q, true));
      return (q as PGlite).transaction((tx) => fn(make(tx, true)));
    },
    close: inTx ? async () => {} : close,
  });
  return make(pg, false);
}
