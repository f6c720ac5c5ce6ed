import type { Db } from '../../store/index.js';
import type { SlackClient } from './client.js';
import { asPlainText, type SlackMessage } from './limits.js';

/**
 * The outbox: messages are written to the store first and posted after, so that a Slack outage loses
 * nothing (the next run posts what is pending) and a state queued once is never queued again (the
 * dedupe key is unique). Delivery claims one message at a time for a while, so that two runs on one
 * PostgreSQL server never post the same message both.
 *
 * The one window left: Slack accepted a message and the process died before marking it sent. The next
 * run posts it again; a webhook offers no idempotency key to prevent that.
 */
export interface OutboxItem {
  dedupeKey: string;
  kind: 'incident' | 'digest';
  incidentId: string | null;
  severity: string | null;
  destination: string;
  message: SlackMessage;
}

export interface OutboxRow {
  id: number;
  dedupeKey: string;
  kind: string;
  incidentId: string | null;
  status: 'pending' | 'sent' | 'rejected';
  attempts: number;
  lastError: string | null;
  fallback: string | null;
  message: SlackMessage;
  createdAt: string;
  sentAt: string | null;
}

const CLAIM_MS = 10 * 60_000;

function toRow(r: Record<string, any>): OutboxRow {
  const payload = typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
  return {
    id: Number(r.id), dedupeKey: r.dedupe_key, kind: r.kind, incidentId: r.incident_id ?? null, status: r.status, attempts: r.attempts,
    lastError: r.last_error ?? null, fallback: r.fallback ?? null, message: payload,
    createdAt: new Date(r.created_at).toISOString(), sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
  };
}

/** Queue items whose dedupe key is new; returns the ids of the rows written (an item already queued gives none). */
export async function enqueue(db: Db, items: OutboxItem[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!items.length) return out;
  const rows = await db.query<{ id: string; dedupe_key: string }>(`
    INSERT INTO slack_outbox (dedupe_key, kind, incident_id, severity, destination, payload)
    SELECT x.k, x.kind, x.inc, x.sev, x.dest, x.payload FROM jsonb_to_recordset($1::jsonb) AS x(k text, kind text, inc text, sev text, dest text, payload jsonb)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, dedupe_key`,
  [JSON.stringify(items.map((i) => ({ k: i.dedupeKey, kind: i.kind, inc: i.incidentId, sev: i.severity, dest: i.destination, payload: i.message })))]);
  for (const r of rows) out.set(r.dedupe_key, Number(r.id));
  return out;
}

export async function knownKeys(db: Db, keys: string[]): Promise<Set<string>> {
  if (!keys.length) return new Set();
  const rows = await db.query<{ dedupe_key: string }>('SELECT dedupe_key FROM slack_outbox WHERE dedupe_key = ANY($1::text[])', [keys]);
  return new Set(rows.map((r) => r.dedupe_key));
}

export async function listOutbox(db: Db, opts: { status?: OutboxRow['status'][]; limit?: number } = {}): Promise<OutboxRow[]> {
  const rows = await db.query(`SELECT * FROM slack_outbox WHERE ($1::text[] IS NULL OR status = ANY($1::text[])) ORDER BY id LIMIT $2`,
    [opts.status ?? null, Math.min(opts.limit ?? 1000, 10_000)]);
  return rows.map(toRow);
}

export async function outboxCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM slack_outbox GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Take the oldest pending message nobody else holds, for CLAIM_MS. */
async function claim(db: Db, after: number): Promise<OutboxRow | null> {
  const [r] = await db.query(`
    UPDATE slack_outbox SET claimed_until = now() + $1::interval, attempts = attempts + 1
    WHERE id = (SELECT id FROM slack_outbox WHERE status = 'pending' AND id > $2 AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING *`, [`${CLAIM_MS / 1000} seconds`, after]);
  return r ? toRow(r) : null;
}

export interface DeliveryReport {
  sent: number;
  /** Sent as plain text after Slack refused the blocks. */
  plainText: number;
  /** Refused even as plain text: recorded, not retried. */
  rejected: number;
  /** Left for the next run. */
  pending: number;
  /** Why delivery stopped early (Slack unavailable, or a refused token or channel). */
  stopped: string | null;
  errors: { id: number; dedupeKey: string; error: string }[];
}

/**
 * Post pending messages oldest first. Slack unavailable after the client's retries, or refusing the
 * token or channel: stop, leaving the rest pending (the next run delivers them). Refused for its
 * blocks: once more as plain text, and the outcome recorded either way.
 */
export async function deliver(db: Db, client: SlackClient, opts: { max?: number } = {}): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, plainText: 0, rejected: 0, pending: 0, stopped: null, errors: [] };
  let after = 0;
  for (let n = 0; n < (opts.max ?? 1000); n++) {
    const row = await claim(db, after);
    if (!row) break;
    after = row.id;
    let r = await client.post(row.message);
    let fallback: string | null = null;
    if (!r.ok && r.reason === 'content') {
      const first = r.error;
      fallback = 'plain_text';
      r = await client.post(asPlainText(row.message));
      if (!r.ok && r.reason === 'content') {
        await db.query(`UPDATE slack_outbox SET status = 'rejected', claimed_until = NULL, fallback = $2, last_error = $3 WHERE id = $1`,
          [row.id, fallback, `${first}; as plain text: ${r.error}`]);
        report.rejected++;
        report.errors.push({ id: row.id, dedupeKey: row.dedupeKey, error: `${first}; as plain text: ${r.error}` });
        continue;
      }
    }
    if (r.ok) {
      await db.query(`UPDATE slack_outbox SET status = 'sent', claimed_until = NULL, sent_at = now(), slack_ts = $2, slack_channel = $3, fallback = $4,
        last_error = CASE WHEN $4::text IS NULL THEN last_error ELSE 'blocks refused; sent as plain text' END WHERE id = $1`,
      [row.id, r.ts, r.channel, fallback]);
      report.sent++;
      if (fallback) report.plainText++;
      continue;
    }
    await db.query(`UPDATE slack_outbox SET claimed_until = NULL, last_error = $2 WHERE id = $1`, [row.id, r.error]);
    report.errors.push({ id: row.id, dedupeKey: row.dedupeKey, error: r.error });
    report.stopped = r.reason === 'config'
      ? `Slack refused the ${client.target.kind === 'webhook' ? 'webhook' : 'token or channel'} (${r.error}): fix it and run again; messages stay queued`
      : `Slack is unavailable (${r.error} after ${r.attempts} attempt(s)): messages stay queued for the next run`;
    break;
  }
  const [p] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM slack_outbox WHERE status = 'pending'`);
  report.pending = p.n;
  return report;
}
