import { SEVERITY_RANK, type Severity } from '../../model/index.js';
import type { Db, Row } from '../../store/index.js';
import { jsonRows } from './rows.js';

/** An alert as correlation reads it. */
export interface AlertLite {
  id: string;
  time: string;
  ms: number;
  source: string;
  severity: Severity;
  title: string;
  rule: string | null;
  identities: string[];
  credentials: string[];
  events: string[];
  confidence: number;
  description: string;
  mitre: string[];
  /** Only the first cited event was read (loadAlerts); completeAlerts reads the rest. */
  partial?: boolean;
}

const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

function alertFromRow(r: Row): AlertLite {
  const time = r.time instanceof Date ? r.time : new Date(r.time);
  return {
    id: r.id,
    time: time.toISOString(),
    ms: time.getTime(),
    source: r.source,
    severity: (r.severity in SEVERITY_RANK ? r.severity : 'medium') as Severity,
    title: r.title,
    rule: r.rule ?? null,
    identities: json(r.identities) ?? [],
    credentials: json(r.credentials) ?? [],
    events: json(r.events) ?? [],
    confidence: Number(r.confidence ?? 0.7),
    description: r.description ?? '',
    mitre: json(r.mitre) ?? [],
  };
}

const ALERT_SQL = `SELECT id, time, source, severity, title, rule, identities::text AS identities, credentials::text AS credentials,
  events::text AS events, confidence, description, mitre::text AS mitre FROM alerts`;

/** The same columns as JSON values, for jsonRows (one aggregated value instead of ten thousand rows). */
const ALERT_JSON_SQL = `SELECT id, time, source, severity, title, rule, identities, credentials, events, confidence, mitre FROM alerts`;

/** Alerts in the triage window (data time), oldest first. */
export async function loadAlerts(db: Db, window: { since: Date | null; asOf: Date }): Promise<AlertLite[]> {
  // Sorted here rather than in SQL: the store then streams rows in storage order, which is cheaper.
  const rows = await jsonRows(db, `${ALERT_JSON_SQL} WHERE time <= $1 AND ($2::timestamptz IS NULL OR time >= $2)`, [window.asOf, window.since]);
  return rows.map(alertFromRow).sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function alertsById(db: Db, ids: string[]): Promise<AlertLite[]> {
  if (!ids.length) return [];
  return (await db.query(`${ALERT_SQL} WHERE id = ANY($1::text[]) ORDER BY time, id`, [ids])).map(alertFromRow);
}

/** Severity as a number in 0..1 for scoring. */
export const SEVERITY_VALUE: Record<Severity, number> = { info: 0.05, low: 0.25, medium: 0.5, high: 0.8, critical: 1 };

export function maxSeverity(list: { severity: Severity }[]): Severity {
  let best: Severity = 'info';
  for (const a of list) if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[best]) best = a.severity;
  return best;
}

/** What detected it, for "corroborated by": a vendor, a rule, or a kind of behavioural deviation. */
export function detectorOf(a: AlertLite): string {
  return a.rule ? `${a.source}/${a.rule}` : `${a.source}/${a.title}`;
}

/** Read the full event lists of alerts that were loaded light, in place. */
export async function completeAlerts(db: Db, alerts: AlertLite[]): Promise<void> {
  const want = alerts.filter((a) => a.partial);
  if (!want.length) return;
  const rows = await db.query(`SELECT id, events::text AS events, description FROM alerts WHERE id = ANY($1::text[])`, [want.map((a) => a.id)]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const a of want) {
    const r = byId.get(a.id);
    if (r) {
      a.events = json(r.events) ?? a.events;
      a.description = r.description ?? '';
    }
    a.partial = false;
  }
}
