import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db, Row } from './db.js';

// Timestamps come back as Date objects, as from PGlite; int8 (counts) as numbers.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** A PostgreSQL server through `pg` (DATABASE_URL). COPY is used for bulk load. */
export async function openPg(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 8, idleTimeoutMillis: 10_000 });
  pool.on('error', () => {
    /* an idle client lost its connection: the next query reconnects */
  });
  const probe = await pool.query<{ available: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available",
  );
  const vector = probe.rows[0].available;
  const u = new URL(url);
  const location = `postgresql://${u.hostname}:${u.port || 5432}${u.pathname}`;

  const make = (client: pg.Pool | pg.PoolClient, inTx: boolean): Db => ({
    driver: 'pg',
    capabilities: { vector, copy: true },
    location,
    async query<T extends Row>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as any[]);
      return r.rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(make(client, true));
      const c = await (client as pg.Pool).connect();
      try {
        await c.query('BEGIN');
        const out = await fn(make(c, true));
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        c.release();
      }
    },
    async copyIn(table: string, columns: readonly string[], lines: string[]) {
      const run = async (c: pg.PoolClient) => {
        const sink = c.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
        await pipeline(Readable.from(chunked(lines)), sink);
      };
      if (inTx) return run(client as pg.PoolClient);
      const c = await (client as pg.Pool).connect();
      try {
        await run(c);
      } finally {
        c.release();
      }
    },
    close: inTx ? async () => {} : () => pool.end(),
  });
  return make(pool, false);
}

function* chunked(lines: string[]): Generator<string> {
  const size = 2000;
  for (let i = 0; i < lines.length; i += size) yield lines.slice(i, i + size).join('');
}
