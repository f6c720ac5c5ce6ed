import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned SQL migrations (src/store/migrations/NNN_name.sql), applied in order on open, each in its
 * own transaction. A file may come in two variants, `.vector.sql` and `.novector.sql`: the one that
 * matches the server's pgvector availability is applied.
 */
export function listMigrations(vector: boolean): Migration[] {
  const byVersion = new Map<number, Migration>();
  for (const file of readdirSync(DIR).sort()) {
    const m = /^(\d{3})_([a-z0-9_]+)(?:\.(vector|novector))?\.sql$/.exec(file);
    if (!m) continue;
    if (m[3] === 'vector' && !vector) continue;
    if (m[3] === 'novector' && vector) continue;
    const version = Number(m[1]);
    if (byVersion.has(version)) throw new Error(`two migrations with version ${m[1]}: ${byVersion.get(version)!.name} and ${m[2]}`);
    byVersion.set(version, { version, name: m[2], sql: readFileSync(DIR + file, 'utf8') });
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

export async function migrate(db: Db): Promise<{ applied: string[] }> {
  // A database user that may not create tables (the analysis role on a server) still opens a migrated store.
  const [known] = await db.query<{ ok: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  if (!known.ok) {
    await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  }
  const applied: string[] = [];
  const run = async () => {
    const done = new Set((await db.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    for (const m of listMigrations(db.capabilities.vector)) {
      if (done.has(m.version)) continue;
      await db.transaction(async (tx) => {
        await tx.exec(m.sql);
        await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      });
      applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
    }
  };
  if (db.driver === 'pg') {
    // Two processes opening a fresh server database at once must not both migrate it.
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7418811)');
      const inner: Db = { ...tx, transaction: (fn) => fn(tx) };
      const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
      for (const m of listMigrations(db.capabilities.vector)) {
        if (done.has(m.version)) continue;
        await inner.exec(m.sql);
        await inner.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
      }
    });
  } else {
    await run();
  }
  return { applied };
}
