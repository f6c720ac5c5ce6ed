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

function wrap(pg: PGlite, location: string, close: () => Promise<void>): Db {
  const make = (q: PGlite | Transaction, inTx: boolean): Db => ({
    driver: 'pglite',
    capabilities: { vector: true, copy: false },
    location,
    async query<T extends Row>(sql: string, params?: unknown[]) {
      const r = await q.query<T>(sql, params as any[]);
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
