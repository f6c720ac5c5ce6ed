import type { Db } from '../../store/index.js';

/**
 * What each subject has been seen doing (seen_values) and how fast (seen_rates), held in memory
 * while a run goes through events and written back at the end. Subjects are loaded from the store
 * the first time a run meets them, so an incremental run touches only the identities that acted.
 *
 * A dimension that grows past `maxValuesPerDim` distinct values is too varied to be a baseline (an
 * identity that reads thousands of buckets): it is marked saturated and its new values are no longer
 * news, which is what keeps such identities from raising an alert per value.
 */
export interface SeenEntry {
  count: number;
  first: number;
  last: number;
  dirty: boolean;
}

export interface RateState {
  events: number;
  activeHours: number;
  maxHourly: number;
  /** Start (epoch ms) of the hour being counted, and its count so far. */
  hour: number;
  hourCount: number;
  first: number;
  last: number;
  dirty: boolean;
}

export interface SubjectState {
  dims: Map<string, Map<string, SeenEntry>>;
  rate: RateState | null;
}

const HOUR = 3_600_000;
const FLUSH_ROWS = 5000;

export class SeenState {
  private readonly subjects = new Map<string, SubjectState>();

  /**
   * @param fresh the store holds no state worth reading (a full re-run cleared it): skip the lookups.
   */
  constructor(private readonly db: Db, private readonly fresh: boolean, readonly maxValuesPerDim = 2000) {}

  get size(): number {
    return this.subjects.size;
  }

  /** Bring these subjects' stored state into memory (one query per batch of unknown subjects). */
  async load(subjects: Iterable<string>): Promise<void> {
    const missing: string[] = [];
    for (const s of subjects) if (!this.subjects.has(s)) {
      this.subjects.set(s, { dims: new Map(), rate: null });
      missing.push(s);
    }
    if (this.fresh || missing.length === 0) return;
    const values = await this.db.query<{ subject: string; dim: string; value: string; count: number; first_seen: Date | string; last_seen: Date | string }>(
      'SELECT subject, dim, value, count, first_seen, last_seen FROM seen_values WHERE subject = ANY($1::text[])', [missing]);
    for (const r of values) {
      const st = this.subjects.get(r.subject)!;
      let dim = st.dims.get(r.dim);
      if (!dim) st.dims.set(r.dim, (dim = new Map()));
      dim.set(r.value, { count: r.count, first: ms(r.first_seen), last: ms(r.last_seen), dirty: false });
    }
    const rates = await this.db.query<{ subject: string; events: string | number; active_hours: number; max_hourly: number; hour: Date | string | null; hour_count: number; first_seen: Date | string; last_seen: Date | string }>(
      'SELECT * FROM seen_rates WHERE subject = ANY($1::text[])', [missing]);
    for (const r of rates) {
      this.subjects.get(r.subject)!.rate = {
        events: Number(r.events), activeHours: r.active_hours, maxHourly: r.max_hourly, hour: r.hour ? ms(r.hour) : 0, hourCount: r.hour_count,
        first: ms(r.first_seen), last: ms(r.last_seen), dirty: false,
      };
    }
  }

  subject(s: string): SubjectState {
    let st = this.subjects.get(s);
    if (!st) this.subjects.set(s, (st = { dims: new Map(), rate: null }));
    return st;
  }

  /** Whether the value is news for the subject: never seen, and the dimension is not saturated. */
  isNew(s: string, dim: string, value: string): boolean {
    const d = this.subject(s).dims.get(dim);
    if (!d) return true;
    return d.size < this.maxValuesPerDim && !d.has(value);
  }

  /** Values seen so far in one dimension (how varied it is). */
  distinct(s: string, dim: string): number {
    return this.subject(s).dims.get(dim)?.size ?? 0;
  }

  see(s: string, dim: string, value: string, at: number): void {
    const st = this.subject(s);
    let d = st.dims.get(dim);
    if (!d) st.dims.set(dim, (d = new Map()));
    const e = d.get(value);
    if (e) {
      e.count++;
      if (at > e.last) e.last = at;
      if (at < e.first) e.first = at;
      e.dirty = true;
    } else if (d.size < this.maxValuesPerDim) {
      d.set(value, { count: 1, first: at, last: at, dirty: true });
    }
    // else saturated: the dimension stays at its cap, and isNew() says no from now on.
  }

  /** Count one event in the subject's hourly rate; returns the rate state after counting it. */
  count(s: string, at: number): RateState {
    const st = this.subject(s);
    const hour = Math.floor(at / HOUR) * HOUR;
    let r = st.rate;
    if (!r) {
      r = st.rate = { events: 0, activeHours: 0, maxHourly: 0, hour, hourCount: 0, first: at, last: at, dirty: true };
    }
    if (hour > r.hour) {
      if (r.hourCount > 0) {
        r.activeHours++;
        if (r.hourCount > r.maxHourly) r.maxHourly = r.hourCount;
      }
      r.hour = hour;
      r.hourCount = 0;
    }
    r.hourCount++;
    r.events++;
    if (at > r.last) r.last = at;
    if (at < r.first) r.first = at;
    r.dirty = true;
    return r;
  }

  rate(s: string): RateState | null {
    return this.subjects.get(s)?.rate ?? null;
  }

  /** Write every changed value and rate back (absolute values: a re-read of them is exact). */
  async flush(db: Db = this.db): Promise<{ values: number; rates: number }> {
    let values = 0;
    let rates = 0;
    let batch: [string, string, string, number, string, string][] = [];
    const writeValues = async () => {
      if (!batch.length) return;
      await db.query(`
        INSERT INTO seen_values (subject, dim, value, count, first_seen, last_seen)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[])
        ON CONFLICT (subject, dim, value) DO UPDATE SET count = excluded.count,
          first_seen = least(seen_values.first_seen, excluded.first_seen), last_seen = greatest(seen_values.last_seen, excluded.last_seen)`,
        columns(batch, 6));
      values += batch.length;
      batch = [];
    };
    let rateBatch: [string, number, number, number, string | null, number, string, string][] = [];
    const writeRates = async () => {
      if (!rateBatch.length) return;
      await db.query(`
        INSERT INTO seen_rates (subject, events, active_hours, max_hourly, hour, hour_count, first_seen, last_seen)
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::int[], $5::timestamptz[], $6::int[], $7::timestamptz[], $8::timestamptz[])
        ON CONFLICT (subject) DO UPDATE SET events = excluded.events, active_hours = excluded.active_hours, max_hourly = excluded.max_hourly,
          hour = excluded.hour, hour_count = excluded.hour_count, first_seen = least(seen_rates.first_seen, excluded.first_seen),
          last_seen = greatest(seen_rates.last_seen, excluded.last_seen)`,
        columns(rateBatch, 8));
      rates += rateBatch.length;
      rateBatch = [];
    };
    for (const [subject, st] of this.subjects) {
      for (const [dim, m] of st.dims) {
        for (const [value, e] of m) {
          if (!e.dirty) continue;
          batch.push([subject, dim, value, e.count, iso(e.first), iso(e.last)]);
          e.dirty = false;
          if (batch.length >= FLUSH_ROWS) await writeValues();
        }
      }
      const r = st.rate;
      if (r?.dirty) {
        rateBatch.push([subject, r.events, r.activeHours, r.maxHourly, r.hour ? iso(r.hour) : null, r.hourCount, iso(r.first), iso(r.last)]);
        r.dirty = false;
        if (rateBatch.length >= FLUSH_ROWS) await writeRates();
      }
    }
    await writeValues();
    await writeRates();
    return { values, rates };
  }
}

function ms(v: Date | string): number {
  return v instanceof Date ? v.getTime() : Date.parse(v);
}

function iso(n: number): string {
  return new Date(n).toISOString();
}

/** Rows to one array per column, for `unnest`. */
function columns<T extends unknown[]>(rows: T[], n: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: n }, () => []);
  for (const r of rows) for (let i = 0; i < n; i++) out[i].push(r[i]);
  return out;
}

/** Mean events per active hour before the hour in progress; null until one full hour is known. */
export function meanHourly(r: RateState): number | null {
  const done = r.events - r.hourCount;
  return r.activeHours > 0 ? done / r.activeHours : null;
}
