import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Db } from '../store/index.js';
import { rowToRecord } from './log.js';
import { AuditRecord } from './record.js';

const PAGE = 5000;

/**
 * The audit log in time order, from `since` on, as records exactly as stored (args is the canonical JSON
 * text that was hashed), so that an export can be verified on its own (`audit verify --file`).
 */
export async function* exportAudit(db: Db, opts: { since?: Date | null } = {}): AsyncGenerator<AuditRecord> {
  let after: [string, string, number] | null = null;
  const since = opts.since ? opts.since.toISOString() : '-infinity';
  for (;;) {
    const page: Record<string, any>[] = after
      ? await db.query(
        `SELECT * FROM audit_log WHERE time >= $1::timestamptz AND (time, writer, n) > ($2::timestamptz, $3, $4) ORDER BY time, writer, n LIMIT ${PAGE}`,
        [since, ...after])
      : await db.query(`SELECT * FROM audit_log WHERE time >= $1::timestamptz ORDER BY time, writer, n LIMIT ${PAGE}`, [since]);
    for (const r of page) yield rowToRecord(r);
    if (page.length < PAGE) return;
    const last = page[page.length - 1];
    after = [new Date(last.time).toISOString(), last.writer, Number(last.n)];
  }
}

/**
 * Records from an NDJSON export, sorted into (writer, n) order for verifyRecords. A line that is not a
 * record is reported by number: an export is evidence, and a damaged one must say where.
 */
export async function readExport(path: string): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (!text.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`${path}:${line}: not JSON`);
    }
    const parsed = AuditRecord.safeParse(value);
    if (!parsed.success) throw new Error(`${path}:${line}: not an audit record (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`);
    out.push(parsed.data);
  }
  return out.sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : a.n - b.n));
}

/** A `--since` value: an ISO time, or a duration back from now (`90m`, `24h`, `7d`). */
export function parseSince(value: string, now = new Date()): Date {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(value.trim());
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(m[1]) * unit);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new Error(`--since: "${value}" is neither a time (ISO-8601) nor a duration (30m, 24h, 7d)`);
  return d;
}
