import { TriageIncident, type IncidentStatus, type Severity } from '../../model/index.js';
import type { Db } from '../../store/index.js';

/** Incidents as the last triage run stored them: what explain, the tools and the MCP server read. */
export interface StoredSummary {
  id: string;
  status: IncidentStatus;
  severity: Severity;
  score: number;
  title: string;
  rootIdentity: string;
  firstSeen: string | null;
  lastSeen: string | null;
  alerts: string[];
  events: string[];
  identities: string[];
  /** The full assessment when the incident was among those shown by a run. */
  assessment: TriageIncident | null;
}

function fromRow(r: Record<string, any>): StoredSummary {
  const j = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
  const parsed = r.assessment ? TriageIncident.safeParse(j(r.assessment)) : null;
  return {
    id: r.id, status: r.status, severity: r.severity, score: Number(r.score), title: r.title, rootIdentity: r.root_identity,
    firstSeen: r.first_seen ? new Date(r.first_seen).toISOString() : null, lastSeen: r.last_seen ? new Date(r.last_seen).toISOString() : null,
    alerts: j(r.alerts) ?? [], events: j(r.events) ?? [], identities: j(r.identities) ?? [],
    assessment: parsed?.success ? { ...parsed.data, status: r.status } : null,
  };
}

export async function getStoredIncident(db: Db, id: string): Promise<StoredSummary | null> {
  const [r] = await db.query('SELECT * FROM incidents WHERE id = $1', [id]);
  return r ? fromRow(r) : null;
}

export async function listStoredIncidents(db: Db, opts: { status?: IncidentStatus[]; limit?: number; identity?: string } = {}): Promise<StoredSummary[]> {
  const rows = await db.query(`SELECT * FROM incidents
    WHERE ($1::text[] IS NULL OR status = ANY($1::text[])) AND ($2::text IS NULL OR identities ? $2 OR root_identity = $2)
    ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, score DESC, last_seen DESC NULLS LAST, id LIMIT $3`,
    [opts.status ?? null, opts.identity ?? null, Math.min(opts.limit ?? 20, 100)]);
  return rows.map(fromRow);
}

/** Replace the stored assessment (a narrator's prose, once it passed the grounding guard). */
export async function saveAssessments(db: Db, incidents: TriageIncident[]): Promise<void> {
  if (!incidents.length) return;
  await db.query(`UPDATE incidents i SET assessment = x.a, updated_at = now()
    FROM json_to_recordset($1::json) AS x(id text, a jsonb) WHERE i.id = x.id`, [JSON.stringify(incidents.map((a) => ({ id: a.id, a })))]);
}
