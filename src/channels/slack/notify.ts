import { createHash } from 'node:crypto';
import { SEVERITY_RANK, type Severity, type TriageIncident, type TriageResult } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { joinUrl, type LinkSigner } from '../links.js';
import { digestMessage, incidentCard, type Announcement } from './blocks.js';
import type { SlackMessage } from './limits.js';
import { enqueue, knownKeys, type OutboxItem } from './outbox.js';

/**
 * Which incidents to announce: an open incident at or above the minimum severity that was never
 * announced (new), that is now more severe than when it was (escalated), or that was reopened since.
 * Anything else was said already. Plus a digest of what is open, when that differs from the last one.
 */
export interface PlanOptions {
  minSeverity: Severity;
  /** 'webhook' or the channel: recorded with each message. */
  destination: string;
  /** Signs web-view links; with webUrl, cards carry a link to the incident. */
  signer?: LinkSigner | null;
  webUrl?: string | null;
  linkTtlMs?: number;
  digest?: boolean;
  now?: number;
}

export interface PlannedMessage {
  kind: 'incident' | 'digest';
  incidentId: string | null;
  announcement: Announcement | 'digest';
  severity: Severity | null;
  previousSeverity: Severity | null;
  generation: number;
  score: number | null;
  dedupeKey: string;
  message: SlackMessage;
}

interface Notified {
  severity: Severity;
  generation: number;
}

async function notifiedState(db: Db, ids: string[]): Promise<Map<string, Notified>> {
  if (!ids.length) return new Map();
  const rows = await db.query<{ incident_id: string; severity: Severity; generation: number }>(
    'SELECT incident_id, severity, generation FROM slack_notified WHERE incident_id = ANY($1::text[])', [ids]);
  return new Map(rows.map((r) => [r.incident_id, { severity: r.severity, generation: r.generation }]));
}

/** How many times each incident was reopened (by newer alerts, or by an analyst). */
async function generations(db: Db, ids: string[]): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  const rows = await db.query<{ incident_id: string; n: number }>(`
    SELECT incident_id, count(*)::int AS n FROM incident_history WHERE incident_id = ANY($1::text[]) AND action IN ('reopened', 'reopen')
    GROUP BY incident_id`, [ids]);
  return new Map(rows.map((r) => [r.incident_id, r.n]));
}

export function incidentLink(o: PlanOptions, id: string): string | null {
  if (!o.signer || !o.webUrl) return null;
  return joinUrl(o.webUrl, o.signer.signedPath(`/incidents/${encodeURIComponent(id)}`, o.linkTtlMs, o.now));
}

export async function planNotifications(db: Db, triage: TriageResult, o: PlanOptions): Promise<PlannedMessage[]> {
  const min = SEVERITY_RANK[o.minSeverity];
  // Acknowledged incidents stay eligible for one announcement: escalation. Someone is on it, but new
  // evidence that raises the severity is exactly what on-call must hear about.
  const eligible = triage.incidents.filter((i) => (i.status === 'open' || i.status === 'acknowledged') && SEVERITY_RANK[i.severity] >= min);
  const ids = eligible.map((i) => i.id);
  const [seen, gens] = await Promise.all([notifiedState(db, ids), generations(db, ids)]);
  const planned: PlannedMessage[] = [];
  for (const inc of eligible) {
    const before = seen.get(inc.id);
    const gen = gens.get(inc.id) ?? 0;
    let announcement: Announcement | null = null;
    if (!before) announcement = 'new';
    else if (gen > before.generation) announcement = 'reopened';
    else if (SEVERITY_RANK[inc.severity] > SEVERITY_RANK[before.severity]) announcement = 'escalated';
    if (!announcement || (inc.status === 'acknowledged' && announcement !== 'escalated')) continue;
    planned.push({
      kind: 'incident', incidentId: inc.id, announcement, severity: inc.severity, previousSeverity: before?.severity ?? null, generation: gen, score: inc.score,
      dedupeKey: `incident:${inc.id}:${inc.severity}:g${gen}`,
      message: incidentCard(inc, { announcement, previousSeverity: before?.severity ?? null, link: incidentLink(o, inc.id), asOf: triage.asOf }),
    });
  }
  if (o.digest !== false) {
    const shown = triage.incidents.filter((i) => (i.status === 'open' || i.status === 'acknowledged') && SEVERITY_RANK[i.severity] >= min);
    const key = `digest:${digestKey(shown)}`;
    if (!(await knownKeys(db, [key])).has(key)) {
      const links = new Map(shown.map((i) => [i.id, incidentLink(o, i.id)] as const).filter((x): x is [string, string] => x[1] !== null));
      const listLink = o.signer && o.webUrl ? joinUrl(o.webUrl, o.signer.signedPath('/', o.linkTtlMs, o.now)) : null;
      planned.push({
        kind: 'digest', incidentId: null, announcement: 'digest', severity: null, previousSeverity: null, generation: 0, score: null, dedupeKey: key,
        message: digestMessage(shown, { asOf: triage.asOf, links, fresh: new Set(planned.map((p) => p.incidentId!)), listLink,
          more: Math.max(0, triage.totals.incidents - triage.incidents.length) }),
      });
    }
  }
  return planned;
}

/** The digest is worth posting again only when what it lists changed (ids, severities, statuses). */
function digestKey(incidents: TriageIncident[]): string {
  const state = incidents.map((i) => `${i.id}:${i.severity}:${i.status}`).sort().join('|');
  return createHash('sha256').update(state || 'empty').digest('hex').slice(0, 24);
}

/** Queue the plan and record what each incident was announced as, in one transaction. */
export async function queuePlanned(db: Db, planned: PlannedMessage[], destination: string): Promise<{ queued: number; alreadyQueued: number }> {
  if (!planned.length) return { queued: 0, alreadyQueued: 0 };
  return db.transaction(async (tx) => {
    const items: OutboxItem[] = planned.map((p) => ({ dedupeKey: p.dedupeKey, kind: p.kind, incidentId: p.incidentId, severity: p.severity, destination, message: p.message }));
    const ids = await enqueue(tx, items);
    const incidents = planned.filter((p) => p.kind === 'incident');
    if (incidents.length) {
      await tx.query(`
        INSERT INTO slack_notified (incident_id, severity, status, score, generation, outbox_id, notified_at)
        SELECT x.id, x.sev, 'open', x.score, x.gen, x.outbox, now() FROM jsonb_to_recordset($1::jsonb) AS x(id text, sev text, score real, gen int, outbox bigint)
        ON CONFLICT (incident_id) DO UPDATE SET severity = excluded.severity, status = excluded.status, score = excluded.score,
          generation = excluded.generation, outbox_id = coalesce(excluded.outbox_id, slack_notified.outbox_id), notified_at = now()`,
      [JSON.stringify(incidents.map((p) => ({ id: p.incidentId, sev: p.severity, score: p.score, gen: p.generation, outbox: ids.get(p.dedupeKey) ?? null })))]);
    }
    return { queued: ids.size, alreadyQueued: planned.length - ids.size };
  });
}
