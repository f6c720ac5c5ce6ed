import type { Db, Row } from '../../store/index.js';

/**
 * Many rows in one value: `json_agg` over the query, parsed once in Node. Embedded PostgreSQL (PGlite)
 * pays per value it hands over, so ten thousand rows of ten columns cost several times more as rows
 * than as one JSON text; a PostgreSQL server gains too. Columns come back as JSON types: timestamps as
 * ISO strings, jsonb as parsed values.
 */
export async function jsonRows<T extends Row = Row>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await db.query<{ j: string | null }>(`SELECT coalesce(json_agg(q), '[]')::text AS j FROM (${sql}) q`, params);
  return r?.j ? (JSON.parse(r.j) as T[]) : [];
}
