/**
 * The one database port the engines and the ingest pipeline use. Two drivers implement it: embedded
 * PGlite (the default) and a PostgreSQL server through `pg`. Engines receive a `Db`, never a client.
 */
export type Row = Record<string, any>;

export interface DbCapabilities {
  /** pgvector is installed: similarity search uses `<=>`; otherwise an exact scan. */
  vector: boolean;
  /** COPY FROM STDIN is available for bulk load (a PostgreSQL server). */
  copy: boolean;
}

export interface Db {
  readonly driver: 'pglite' | 'pg';
  readonly capabilities: DbCapabilities;
  /** Human-readable location without credentials: a data directory or host:port/db. */
  readonly location: string;
  query<T extends Row = Row>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction on one connection; nested calls join the outer transaction. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** COPY rows (already encoded as COPY text lines) into a table; only where capabilities.copy. */
  copyIn?(table: string, columns: readonly string[], lines: string[]): Promise<void>;
  close(): Promise<void>;
}
