import type { Observation, RecordKind, ValidRecord } from '../model/index.js';
import type { Db } from './db.js';
import { TABLES, UNION_CAP, originRank, type Column, type TableSpec } from './tables.js';

type Row = unknown[];
type WritableKind = Exclude<RecordKind, 'observation'>;

/** Order of writes inside one flush; events go first so that observed hops count only new events. */
const WRITE_ORDER: WritableKind[] = ['identity', 'credential', 'resource', 'policy', 'entitlement', 'event', 'edge', 'alert', 'ownerClaim'];

export interface FlushResult {
  /** Canonical records written per kind (after de-duplication within the batch). */
  written: Partial<Record<RecordKind, number>>;
  /** Events that were new to the store (the rest were already there). */
  newEvents: number;
}

/**
 * Accumulates validated records and writes them in bulk: COPY into a staging table and one
 * INSERT ... ON CONFLICT per table on a PostgreSQL server; one multi-row INSERT from a JSON
 * parameter per table on PGlite (no COPY there). Records with the same key inside a batch are merged
 * in memory with the same rules the SQL applies, since one statement cannot update a row twice.
 */
export class BulkWriter {
  private readonly rows = new Map<WritableKind, Map<string, Row>>();
  private observations: Observation[] = [];
  private size = 0;

  constructor(private readonly db: Db) {
    for (const k of WRITE_ORDER) this.rows.set(k, new Map());
  }

  get pending(): number {
    return this.size;
  }

  add(record: ValidRecord): void {
    this.size++;
    if (record.kind === 'observation') {
      this.observations.push(record.value);
      return;
    }
    const spec = TABLES[record.kind] as TableSpec;
    const row = spec.columns.map((col) => col.get(record.value));
    const key = spec.keyOf(record.value as never);
    const map = this.rows.get(record.kind)!;
    const old = map.get(key);
    if (old === undefined) map.set(key, row);
    else if (spec.onConflict === 'update') map.set(key, mergeRows(spec, old, row));
  }

  /** Write everything pending. Runs in one transaction (joining the caller's if there is one). */
  async flush(): Promise<FlushResult> {
    const result: FlushResult = { written: {}, newEvents: 0 };
    if (this.size === 0) return result;
    const batches = new Map(this.rows);
    const observations = this.observations;
    for (const k of WRITE_ORDER) this.rows.set(k, new Map());
    this.observations = [];
    this.size = 0;

    let newIds: Set<string> | null = null;
    await this.db.transaction(async (tx) => {
      for (const kind of WRITE_ORDER) {
        const spec = TABLES[kind] as TableSpec;
        const map = batches.get(kind)!;
        if (kind === 'edge' && observations.length) {
          for (const [key, row] of observedEdges(observations, newIds)) {
            const old = map.get(key);
            map.set(key, old ? mergeRows(spec, old, row) : row);
          }
          result.written.observation = observations.length;
        }
        if (map.size === 0) continue;
        const rows = [...map.values()];
        if (kind === 'event') {
          newIds = await writeRows(tx, spec, rows, true);
          result.newEvents = newIds.size;
        } else {
          await writeRows(tx, spec, rows, false);
        }
        result.written[kind] = rows.length;
      }
    });
    return result;
  }
}

/**
 * Observed hops aggregate to edges: count = distinct new events, first/last seen, the first event ids
 * as evidence. Only events new to the store count, so a log ingested twice changes nothing. With no
 * events in the batch (observations about events stored earlier), nothing is counted.
 */
function observedEdges(observations: Observation[], newIds: Set<string> | null): Map<string, Row> {
  const spec = TABLES.edge;
  const agg = new Map<string, { from: string; to: string; kind: string; first: string; last: string; count: number; evidence: string[]; seen: Set<string> }>();
  for (const o of observations) {
    if (!newIds || !newIds.has(o.eventId)) continue;
    const key = `${o.from}\u0000${o.kind}\u0000${o.to}`;
    let a = agg.get(key);
    if (!a) agg.set(key, (a = { from: o.from, to: o.to, kind: o.kind, first: o.time, last: o.time, count: 0, evidence: [], seen: new Set() }));
    if (a.seen.has(o.eventId)) continue;
    a.seen.add(o.eventId);
    a.count++;
    if (o.time < a.first) a.first = o.time;
    if (o.time > a.last) a.last = o.time;
    if (a.evidence.length < 3) a.evidence.push(o.eventId);
  }
  const out = new Map<string, Row>();
  for (const [key, a] of agg) {
    const edge = { from: a.from, to: a.to, kind: a.kind, potential: false, observed: true, firstSeen: a.first, lastSeen: a.last, count: a.count, conditions: null, evidence: a.evidence, attributes: {} };
    out.set(key, spec.columns.map((col) => col.get(edge)));
  }
  return out;
}

// ---- merging (in memory, mirrors mergeSql) ----

function mergeRows(spec: TableSpec, old: Row, neu: Row): Row {
  const originIdx = spec.ranked ? spec.columns.findIndex((c) => c.name === 'origin') : -1;
  const stronger = originIdx === -1 || originRank(neu[originIdx]) >= originRank(old[originIdx]);
  return spec.columns.map((col, i) => mergeValue(col, old[i], neu[i], stronger));
}

/** A value that says something: not null, and not the column's placeholder for "unknown". */
function isKnown(col: Column, v: unknown): boolean {
  return v !== null && v !== undefined && v !== col.unknown;
}

function mergeValue(col: Column, old: unknown, neu: unknown, stronger: boolean): unknown {
  switch (col.merge) {
    case 'replace':
      return neu;
    case 'keep':
      return old;
    case 'stronger':
      if (stronger) return isKnown(col, neu) ? neu : isKnown(col, old) ? old : neu;
      return isKnown(col, old) ? old : isKnown(col, neu) ? neu : old;
    case 'greatest':
      return old == null ? neu : neu == null ? old : (neu as string) > (old as string) ? neu : old;
    case 'least':
      return old == null ? neu : neu == null ? old : (neu as string) < (old as string) ? neu : old;
    case 'or':
      return Boolean(old) || Boolean(neu);
    case 'sum':
      return Number(old ?? 0) + Number(neu ?? 0);
    case 'jsonMerge': {
      const a = (old ?? {}) as object;
      const b = (neu ?? {}) as object;
      return stronger ? { ...a, ...b } : { ...b, ...a };
    }
    case 'union': {
      const out: unknown[] = [];
      const seen = new Set<string>();
      for (const v of [...((old as unknown[]) ?? []), ...((neu as unknown[]) ?? [])]) {
        const k = typeof v === 'string' ? v : JSON.stringify(v);
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(v);
        if (out.length >= UNION_CAP) break;
      }
      return out;
    }
  }
}

// ---- SQL ----

const RANK = (alias: string) => `(CASE ${alias}.origin WHEN 'inventory' THEN 3 WHEN 'derived' THEN 2 WHEN 'log' THEN 1 ELSE 0 END)`;

function mergeSql(spec: TableSpec, col: Column): string | null {
  const t = `t.${col.name}`;
  const x = `excluded.${col.name}`;
  const stronger = spec.ranked ? `${RANK('excluded')} >= ${RANK('t')}` : 'true';
  const kn = (e: string) => (col.unknown ? `nullif(${e}, '${col.unknown}')` : e);
  switch (col.merge) {
    case 'replace':
      return x;
    case 'keep':
      return null;
    case 'stronger':
      return `CASE WHEN ${stronger} THEN coalesce(${kn(x)}, ${kn(t)}, ${x}) ELSE coalesce(${kn(t)}, ${kn(x)}, ${t}) END`;
    case 'greatest':
      return `greatest(${t}, ${x})`;
    case 'least':
      return `least(${t}, ${x})`;
    case 'or':
      return `(${t} OR ${x})`;
    case 'sum':
      return `(${t} + ${x})`;
    case 'jsonMerge':
      return spec.ranked
        ? `CASE WHEN ${stronger} THEN coalesce(${t}, '{}') || coalesce(${x}, '{}') ELSE coalesce(${x}, '{}') || coalesce(${t}, '{}') END`
        : `coalesce(${t}, '{}') || coalesce(${x}, '{}')`;
    case 'union':
      return `CASE WHEN ${x} <@ ${t} THEN ${t} ELSE (SELECT coalesce(jsonb_agg(v ORDER BY n), '[]'::jsonb) FROM (
        SELECT v, min(n) AS n FROM jsonb_array_elements(${t} || ${x}) WITH ORDINALITY AS e(v, n) GROUP BY v ORDER BY min(n) LIMIT ${UNION_CAP}) s) END`;
  }
}

const conflictCache = new Map<string, string>();
function conflictClause(spec: TableSpec): string {
  let sql = conflictCache.get(spec.table);
  if (sql === undefined) {
    if (spec.onConflict === 'nothing') sql = `ON CONFLICT (${spec.key.join(', ')}) DO NOTHING`;
    else {
      const sets = spec.columns.flatMap((col) => {
        const e = mergeSql(spec, col);
        return e === null ? [] : [`${col.name} = ${e}`];
      });
      sql = `ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${sets.join(', ')}`;
    }
    conflictCache.set(spec.table, sql);
  }
  return sql;
}

/** Returns the keys (first key column) of rows that were inserted rather than already present. */
async function writeRows(db: Db, spec: TableSpec, rows: Row[], returning: boolean): Promise<Set<string>> {
  const cols = spec.columns.map((c) => c.name);
  const ret = returning ? ` RETURNING ${spec.key[0]}` : '';
  let inserted: { [k: string]: string }[];
  if (db.capabilities.copy && db.copyIn) {
    const stage = `stage_${spec.table}`;
    await db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${spec.table} INCLUDING DEFAULTS) ON COMMIT DROP`);
    await db.copyIn(stage, cols, rows.map((r) => copyLine(spec.columns, r)));
    inserted = await db.query(`INSERT INTO ${spec.table} AS t (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${stage} ${conflictClause(spec)}${ret}`);
    await db.exec(`TRUNCATE ${stage}`);
  } else {
    const defs = spec.columns.map((c) => `${c.name} ${c.type === 'int' ? 'integer' : c.type}`).join(', ');
    const json = JSON.stringify(rows.map((r) => jsonRow(spec.columns, r)));
    inserted = await db.query(
      `INSERT INTO ${spec.table} AS t (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM json_to_recordset($1::json) AS x(${defs}) ${conflictClause(spec)}${ret}`,
      [json],
    );
  }
  return new Set(returning ? inserted.map((r) => r[spec.key[0]]) : []);
}

function jsonRow(columns: Column[], row: Row): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const v = row[i];
    o[columns[i].name] = typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '') : columns[i].type === 'jsonb' ? withoutNul(v) : v;
  }
  return o;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function copyLine(columns: Column[], row: Row): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i) line += '\t';
    const v = row[i];
    if (v === null || v === undefined) {
      line += '\\N';
      continue;
    }
    let s: string;
    switch (columns[i].type) {
      case 'bool':
        line += v ? 't' : 'f';
        continue;
      case 'int':
      case 'real':
        line += String(v);
        continue;
      case 'jsonb':
        // One serialisation in the common case; NUL (escaped as \u0000 in JSON) is rare.
        s = JSON.stringify(v);
        if (s.includes('\\u0000')) s = JSON.stringify(withoutNul(v));
        break;
      default:
        s = String(v);
        if (s.includes('\u0000')) s = s.replaceAll('\u0000', '');
    }
    line += COPY_SPECIAL.test(s) ? s.replace(/[\\\n\r\t]/g, (m) => COPY_ESCAPES[m]) : s;
  }
  return line + '\n';
}

/** PostgreSQL text and jsonb cannot hold NUL; vendors occasionally send it. Strip it, only when present. */
function withoutNul(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '') : v;
  const s = JSON.stringify(v);
  if (!s.includes('\\u0000')) return v;
  return JSON.parse(s.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1'));
}
