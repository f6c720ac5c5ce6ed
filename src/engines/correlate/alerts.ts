import { SEVERITY_RANK, type Severity } from '../../model/index.js';
import type { Db, Row } from '../../store/index.js';

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

/** Alerts in the triage window (data time), oldest first. */
export async function loadAlerts(db: Db, window: { since: Date | null; asOf: Date }): Promise<AlertLite[]> {
  const rows = await db.query(`${ALERT_SQL} WHERE time <= $1 AND ($2::timestamptz IS NULL OR time >= $2) ORDER BY time, id`, [window.asOf, window.since]);
  return rows.map(alertFromRow);
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
