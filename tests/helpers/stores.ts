import { inject, describe } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openStore, type Db } from '../../src/store/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

export type StoreKind = 'pglite' | 'pg';

/**
 * Run a describe block on both drivers: embedded PGlite and a real PostgreSQL server. Each call gets its
 * own fresh database. When no server is available the PostgreSQL block is skipped, saying why.
 */
export function describeStores(name: string, body: (open: () => Promise<Db>, kind: StoreKind) => void): void {
  describe(`${name} [pglite]`, () => body(() => openStore({ data: ':memory:' }), 'pglite'));
  const url = inject('pgUrl');
  if (!url) {
    describe.skip(`${name} [postgres] (skipped: no PostgreSQL server; set TEST_DATABASE_URL or install postgresql)`, () => body(async () => { throw new Error('unreachable'); }, 'pg'));
    return;
  }
  describe(`${name} [postgres]`, () => body(() => freshPgStore(url), 'pg'));
}

/** A new database on the test server, dropped when the store is closed. */
export async function freshPgStore(url: string): Promise<Db> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openStore({ databaseUrl: u.toString() });
  const close = db.close.bind(db);
  return Object.assign(db, {
    close: async () => {
      await close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  });
}

export function pgUrl(): string | null {
  return inject('pgUrl');
}
