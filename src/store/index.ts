import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { openPg } from './pg-driver.js';
import { openPglite } from './pglite-driver.js';

export type { Db, Row, DbCapabilities } from './db.js';
export { BulkWriter } from './bulk.js';

export interface StoreOptions {
  /** Embedded data directory, or `:memory:`. Default `./.idcopilot`. Ignored when databaseUrl is set. */
  data?: string;
  /** A PostgreSQL server (DATABASE_URL). */
  databaseUrl?: string;
  /** The command opening the store, shown to a second process that finds it locked. */
  command?: string;
}

export const DEFAULT_DATA_DIR = './.idcopilot';

/** Open the store and bring its schema up to date. */
export async function openStore(opts: StoreOptions = {}): Promise<Db> {
  const db = opts.databaseUrl
    ? await openPg(opts.databaseUrl)
    : await openPglite(opts.data ?? DEFAULT_DATA_DIR, opts.command ?? 'unknown');
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
