import { CopilotError } from '../../lib/errors.js';
import { shortHash } from '../../lib/secrets.js';
import type { IncidentHistoryEntry, IncidentStatus, TriageIncident } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { jsonRows } from './rows.js';
import type { Story } from './grouping.js';

/**
 * Incidents survive re-runs: a new grouping takes the id of the stored incident of the same story key
 * that shares the most alerts with it, or, sharing none, one still open whose time span touches its
 * own. Otherwise it is new, with an id derived from the story key and its first alert, so that the
 * same data gives the same ids on a fresh store too. Closed incidents (resolved, false positive) stay
 * closed unless alerts newer than the decision arrive.
 */
export interface StoredIncident {
  id: string;
  storyKey: string;
  status: IncidentStatus;
  statusAtMs: number | null;
  alerts: Set<string>;
  firstMs: number;
  lastMs: number;
  severity: string;
  score: number;
}

export interface Assignment {
  id: string;
  status: IncidentStatus;
  isNew: boolean;
  reopened: boolean;
  /** Closed, and nothing newer than the decision: counted, not shown. */
  closed: boolean;
  stored?: StoredIncident;
}

const CLOSED: IncidentStatus[] = ['resolved', 'false_positive', 'suppressed'];

export async function loadStored(db: Db, keys: string[]): Promise<Map<string, StoredIncident[]>> {
  const out = new Map<string, StoredIncident[]>();
  if (!keys.length) return out;
  const rows = await jsonRows(db, `SELECT id, story_key, status, status_at, alerts, first_seen, last_seen, severity, score FROM incidents WHERE story_key = ANY($1::text[])`, [keys]);
  for (const r of rows) {
    const s: StoredIncident = {
      id: r.id, storyKey: r.story_key, status: r.status, statusAtMs: r.status_at ? new Date(r.status_at).getTime() : null,
      alerts: new Set(typeof r.alerts === 'string' ? JSON.parse(r.alerts) : r.alerts), firstMs: r.first_seen ? new Date(r.first_seen).getTime() : 0, lastMs: r.last_seen ? new Date(r.last_seen).getTime() : 0,
      severity: r.severity, score: Number(r.score),
    };
    const list = out.get(s.storyKey);
    if (list) list.push(s);
    else out.set(s.storyKey, [s]);
  }
  return out;
}

export function assignIds(stories: Story[], stored: Map<string, StoredIncident[]>, gapMs: number): Map<Story, Assignment> {
  const out = new Map<Story, Assignment>();
  const taken = new Set<string>();
  // Stories with the most evidence choose first, so that a split hands the old id to the larger part.
  const order = [...stories].sort((a, b) => b.alerts.length - a.alerts.length || a.firstMs - b.firstMs || (a.key < b.key ? -1 : 1));
  for (const s of order) {
    const candidates = (stored.get(s.key) ?? []).filter((c) => !taken.has(c.id));
    let best: StoredIncident | null = null;
    let shared = 0;
    for (const c of candidates) {
      let n = 0;
      for (const a of s.alerts) if (c.alerts.has(a.id)) n++;
      if (n > shared) {
        best = c;
        shared = n;
      }
    }
    if (!best) {
      best = candidates.find((c) => !CLOSED.includes(c.status) && c.lastMs >= s.firstMs - gapMs && c.firstMs <= s.lastMs + gapMs) ?? null;
    }
    if (best) {
      taken.add(best.id);
      const newer = s.alerts.some((a) => best!.statusAtMs === null || a.ms > best!.statusAtMs);
      const closed = CLOSED.includes(best.status) && !newer;
      const reopened = CLOSED.includes(best.status) && newer;
      out.set(s, { id: best.id, status: reopened ? 'open' : best.status, isNew: false, reopened, closed, stored: best });
      continue;
    }
    let id = newIncidentId(s);
    for (let i = 2; taken.has(id); i++) id = newIncidentId(s, i);
    taken.add(id);
    out.set(s, { id, status: 'open', isNew: true, reopened: false, closed: false });
  }
  return out;
}

export function newIncidentId(s: Story, salt = 1): string {
  return `inc-${shortHash(`${s.key}|${s.alerts[0].id}${salt > 1 ? `|${salt}` : ''}`, 10)}`;
}

export interface IncidentRow {
  story: Story;
  assignment: Assignment;
  severity: string;
  score: number;
  title: string;
  firstMs: number;
  lastMs: number;
  identities: string[];
  assessment: TriageIncident | null;
}

/** Write the run's incidents in one statement, and history for the new and the reopened. */
export async function saveIncidents(db: Db, rows: IncidentRow[], asOf: Date): Promise<void> {
  if (!rows.length) return;
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 2000) {
      const chunk = rows.slice(i, i + 2000);
      await tx.query(`
        INSERT INTO incidents (id, story_key, root_identity, status, severity, score, title, first_seen, last_seen, alerts, events, identities, chain, assessment, as_of, status_at)
        SELECT x.id, x.key, x.root, x.status, x.severity, x.score, x.title, x.first, x.last, x.alerts, x.events, x.identities, x.chain, x.assessment, $2,
               CASE WHEN x.reopened THEN $2::timestamptz ELSE NULL END
        FROM json_to_recordset($1::json) AS x(id text, key text, root text, status text, severity text, score real, title text, first timestamptz, last timestamptz,
             alerts jsonb, events jsonb, identities jsonb, chain jsonb, assessment jsonb, reopened boolean)
        ON CONFLICT (id) DO UPDATE SET story_key = excluded.story_key, root_identity = excluded.root_identity, severity = excluded.severity,
          score = excluded.score, title = excluded.title, first_seen = least(incidents.first_seen, excluded.first_seen),
          last_seen = greatest(incidents.last_seen, excluded.last_seen), alerts = excluded.alerts, events = excluded.events,
          identities = excluded.identities, chain = excluded.chain, assessment = coalesce(excluded.assessment, incidents.assessment),
          as_of = excluded.as_of, updated_at = now(),
          status = CASE WHEN excluded.status = 'open' AND incidents.status IN ('resolved', 'false_positive', 'suppressed') THEN 'open' ELSE incidents.status END,
          status_at = coalesce(excluded.status_at, incidents.status_at)`,
        [JSON.stringify(chunk.map((r) => ({
          id: r.assignment.id, key: r.story.key, root: r.story.root, status: r.assignment.reopened ? 'open' : r.assignment.status,
          severity: r.severity, score: r.score, title: r.title, first: new Date(r.firstMs).toISOString(), last: new Date(r.lastMs).toISOString(),
          alerts: r.story.alerts.map((a) => a.id), events: r.story.events, identities: r.identities, chain: r.story.chain, assessment: r.assessment,
          reopened: r.assignment.reopened,
        }))), asOf]);
    }
    const history = rows.filter((r) => r.assignment.isNew || r.assignment.reopened);
    if (history.length) {
      await tx.query(`
        INSERT INTO incident_history (incident_id, at, action, actor, reason, detail)
        SELECT x.id, now(), x.action, 'copilot', x.reason, x.detail FROM json_to_recordset($1::json) AS x(id text, action text, reason text, detail jsonb)`,
        [JSON.stringify(history.map((r) => ({
          id: r.assignment.id,
          action: r.assignment.isNew ? 'opened' : 'reopened',
          reason: r.assignment.isNew ? `${r.story.alerts.length} alert(s) on ${r.story.root}` : 'new alerts after it was closed',
          detail: { severity: r.severity, score: r.score, asOf: asOf.toISOString(), alerts: r.story.alerts.slice(0, 20).map((a) => a.id) },
        })))]);
    }
  });
}

export const STATUS_VERBS = { ack: 'acknowledged', resolve: 'resolved', 'false-positive': 'false_positive', reopen: 'open' } as const;
export type StatusVerb = keyof typeof STATUS_VERBS;

/**
 * An analyst's decision on an incident: the status changes, the history keeps who, when, why. The
 * decision is dated in data time (the latest event in the store), which is what "newer alerts reopen
 * it" compares against.
 */
export async function setIncidentStatus(db: Db, id: string, verb: StatusVerb, opts: { actor: string; reason: string }): Promise<{ id: string; from: IncidentStatus; to: IncidentStatus }> {
  if (!opts.reason.trim()) throw new CopilotError('E_USAGE', 'a reason is required (--reason TEXT): the history keeps why');
  const to = STATUS_VERBS[verb];
  return db.transaction(async (tx) => {
    const [row] = await tx.query('SELECT status FROM incidents WHERE id = $1 FOR UPDATE', [id]);
    if (!row) throw new CopilotError('E_NOT_FOUND', `no incident ${id} in the store (run idcopilot triage first; ids look like inc-0123456789)`);
    const [t] = await tx.query(`SELECT max(time) AS t FROM events WHERE provider <> 'copilot'`);
    const dataTime = t?.t ? new Date(t.t) : new Date();
    await tx.query('UPDATE incidents SET status = $2, status_at = $3, updated_at = now() WHERE id = $1', [id, to, dataTime]);
    await tx.query(`INSERT INTO incident_history (incident_id, action, actor, reason, detail) VALUES ($1, $2, $3, $4, $5)`,
      [id, verb, opts.actor, opts.reason, JSON.stringify({ from: row.status, to, dataTime: dataTime.toISOString() })]);
    return { id, from: row.status as IncidentStatus, to };
  });
}

export async function incidentHistory(db: Db, id: string): Promise<IncidentHistoryEntry[]> {
  const rows = await db.query('SELECT at, action, actor, reason, detail FROM incident_history WHERE incident_id = $1 ORDER BY id', [id]);
  return rows.map((r) => ({ at: new Date(r.at).toISOString(), action: r.action, actor: r.actor, reason: r.reason ?? null, detail: r.detail ?? {} }));
}
