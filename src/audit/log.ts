import { randomBytes } from 'node:crypto';
import { classifySource } from '../lib/network.js';
import { redact, redactText } from '../lib/secrets.js';
import { EventChain } from '../model/index.js';
import type { Db } from '../store/index.js';
import { canonicalJson } from './canonical.js';
import { GENESIS, hashRecord, type AuditKey } from './chain.js';
import { agentId, auditEventId, principalId } from './ids.js';
import { AuditEntry, recordRef, type AuditEntryInput, type AuditRecord } from './record.js';

/** Arguments beyond this size are kept as a digest and a preview: a log row must stay small. */
const MAX_ARGS_CHARS = 8192;
const MAX_ERROR_CHARS = 500;
/** Observed `acts_for` counts are summed in memory and written at most this often. */
const EDGE_FLUSH_MS = 5000;
/** Records written by one INSERT at most, when calls arrive faster than the store takes them one by one. */
const MAX_BATCH = 256;

export interface AuditLogOptions {
  /** The copilot's name (config copilot.name): audit events are the agent's actions. */
  agentName: string;
  key?: AuditKey | null;
  /** Also write each record as a canonical event (provider 'copilot'). Default true. */
  mirrorEvents?: boolean;
  /** Told when the latest stored record does not match its hash at start. */
  onTailMismatch?: (ref: string) => void;
  clock?: () => Date;
}

interface PendingEdge {
  principal: string;
  count: number;
  first: string;
  last: string;
  evidence: string[];
}

interface Pending {
  record: AuditRecord;
  event: Record<string, unknown> | null;
  resolve(r: AuditRecord): void;
  reject(err: Error): void;
}

const AUDIT_COLUMNS = 'writer, n, prev_hash, hash, key_id, time, principal, transport, kind, name, args, client, result_digest, duration_ms, outcome, error';
const AUDIT_TYPES = `writer text, n integer, prev_hash text, hash text, key_id text, time timestamptz, principal text, transport text, kind text,
  name text, args text, client text, result_digest text, duration_ms double precision, outcome text, error text`;
const EVENT_COLUMNS = 'id, time, provider, service, action, outcome, error_code, actor_id, chain, target, resources, source_ip, source_kind, user_agent, detail';
const EVENT_TYPES = `id text, time timestamptz, provider text, service text, action text, outcome text, error_code text, actor_id text, chain jsonb,
  target text, resources jsonb, source_ip text, source_kind text, user_agent text, detail jsonb`;

const EMPTY_CHAIN = EventChain.parse({});

/** PostgreSQL text cannot hold NUL; an exception message or a client's user agent might. */
const clean = (s: string | null): string | null => (s !== null && s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);

/**
 * The append-only, hash-chained audit log as one process writes it. Each process is a writer with its
 * own sequence (n = 1, 2, ...) and the previous hash held in memory: an append hashes in call order
 * without reading the table, and is written by one INSERT (the audit row and its canonical event in
 * one statement). Calls that arrive while a write is under way go together in the next INSERT, so the
 * log never serialises the server. An append resolves only once its row is stored; if a write fails,
 * every record not yet stored fails with it and the writer starts a new chain from the last stored
 * record, so that the log never shows a gap that is not a deletion.
 */
export class AuditLog {
  private n = 0;
  private prev: string;
  private writerId: string;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private edges = new Map<string, PendingEdge>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly agent: string;

  private constructor(
    private readonly db: Db,
    anchor: string,
    private readonly opts: AuditLogOptions,
  ) {
    this.writerId = newWriterId();
    this.prev = anchor;
    this.agent = agentId(opts.agentName);
  }

  /**
   * Start a writer. Its first record chains from the latest stored record, whose hash is recomputed
   * first: a mismatch is reported (onTailMismatch) and recorded in the chain, never silently adopted.
   */
  static async open(db: Db, opts: AuditLogOptions): Promise<AuditLog> {
    const [tail] = await db.query(`SELECT * FROM audit_log ORDER BY time DESC, writer DESC, n DESC LIMIT 1`);
    const log = new AuditLog(db, tail ? tail.hash : GENESIS, opts);
    if (tail) {
      const rec = rowToRecord(tail);
      const key = rec.keyId ? (opts.key?.id === rec.keyId ? opts.key : null) : null;
      const checkable = !rec.keyId || key !== null;
      if (checkable && hashRecord(rec, key) !== rec.hash) {
        opts.onTailMismatch?.(recordRef(rec));
        await log.append({
          principal: 'copilot', transport: 'internal', kind: 'audit', name: 'tail-mismatch',
          args: { record: recordRef(rec) }, durationMs: 0, outcome: 'error',
          error: `the latest record ${recordRef(rec)} does not match its hash: run idcopilot audit verify`,
        });
      }
    }
    return log;
  }

  /** This process's chain (it changes only after a failed write). */
  get writer(): string {
    return this.writerId;
  }

  get sequence(): number {
    return this.n;
  }

  get head(): string {
    return this.prev;
  }

  append(input: AuditEntryInput): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed'));
    const entry = AuditEntry.parse(input);
    const time = (entry.time ?? this.opts.clock?.() ?? new Date()).toISOString();
    const key = this.opts.key ?? null;
    const base = {
      writer: this.writerId,
      n: this.n + 1,
      prevHash: this.prev,
      keyId: key?.id ?? null,
      time,
      principal: clean(entry.principal)!,
      transport: entry.transport,
      kind: entry.kind,
      name: clean(entry.name)!,
      args: boundedArgs(entry.args),
      client: canonicalJson(redact(entry.client)),
      resultDigest: entry.resultDigest,
      durationMs: Math.round(entry.durationMs * 1000) / 1000,
      outcome: entry.outcome,
      error: entry.error === null ? null : clean(redactText(entry.error).slice(0, MAX_ERROR_CHARS)),
    };
    const record: AuditRecord = { ...base, hash: hashRecord(base, key) };
    this.n = record.n;
    this.prev = record.hash;
    const mirror = this.opts.mirrorEvents !== false && entry.principal !== 'anonymous' && entry.principal !== 'copilot';
    const event = mirror ? this.eventOf(entry, record) : null;
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ record, event, resolve, reject });
      if (!this.flushing) this.flushing = this.flush();
    });
  }

  private eventOf(entry: AuditEntry, record: AuditRecord): Record<string, unknown> {
    const ua = entry.client.userAgent ? clean(redactText(entry.client.userAgent).slice(0, 512)) : null;
    return {
      id: auditEventId(record.writer, record.n),
      time: record.time,
      provider: 'copilot',
      service: 'identity-copilot',
      action: `${entry.kind}:${record.name}`,
      outcome: entry.outcome === 'ok' ? 'success' : 'failure',
      error_code: entry.outcome === 'ok' ? null : entry.outcome,
      actor_id: this.agent,
      chain: { ...EMPTY_CHAIN, onBehalfOf: principalId(record.principal) },
      target: entry.target ? clean(entry.target) : null,
      resources: entry.target ? [clean(entry.target)] : [],
      source_ip: entry.client.ip ?? null,
      source_kind: classifySource(entry.client.ip),
      user_agent: ua,
      detail: { audit: recordRef(record), transport: entry.transport, kind: entry.kind, args: JSON.parse(record.args), resultDigest: record.resultDigest, durationMs: record.durationMs },
    };
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          await this.write(batch);
        } catch (err) {
          // Everything chained after the failed rows fails too, and a new chain starts from what is stored.
          const rest = this.pending.splice(0);
          const stored = batch[0].record.prevHash;
          this.writerId = newWriterId();
          this.n = 0;
          this.prev = stored;
          for (const p of [...batch, ...rest]) p.reject(err as Error);
          continue;
        }
        for (const p of batch) {
          p.resolve(p.record);
          if (p.event) this.observe(p.record);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const rows = batch.map(({ record: r }) => ({
      writer: r.writer, n: r.n, prev_hash: r.prevHash, hash: r.hash, key_id: r.keyId, time: r.time, principal: r.principal,
      transport: r.transport, kind: r.kind, name: r.name, args: r.args, client: r.client, result_digest: r.resultDigest,
      duration_ms: r.durationMs, outcome: r.outcome, error: r.error,
    }));
    const events = batch.flatMap((p) => (p.event ? [p.event] : []));
    const insertAudit = `INSERT INTO audit_log (${AUDIT_COLUMNS}) SELECT ${AUDIT_COLUMNS} FROM json_to_recordset($1::json) AS x(${AUDIT_TYPES})`;
    if (events.length === 0) {
      await this.db.query(insertAudit, [JSON.stringify(rows)]);
      return;
    }
    await this.db.query(
      `WITH a AS (${insertAudit} RETURNING 1)
       INSERT INTO events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM json_to_recordset($2::json) AS y(${EVENT_TYPES})
       WHERE EXISTS (SELECT 1 FROM a) ON CONFLICT (id) DO NOTHING`,
      [JSON.stringify(rows), JSON.stringify(events)],
    );
  }

  /** The agent acted for this principal: an observed `acts_for` hop, counted off the critical path. */
  private observe(record: AuditRecord): void {
    const p = this.edges.get(record.principal);
    const ev = auditEventId(record.writer, record.n);
    if (!p) this.edges.set(record.principal, { principal: record.principal, count: 1, first: record.time, last: record.time, evidence: [ev] });
    else {
      p.count++;
      if (record.time > p.last) p.last = record.time;
      if (record.time < p.first) p.first = record.time;
      if (p.evidence.length < 3) p.evidence.push(ev);
    }
    if (!this.timer && !this.closed) {
      this.timer = setTimeout(() => void this.flushEdges().catch(() => undefined), EDGE_FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Write the pending observed-edge counts (also on close). */
  async flushEdges(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const pending = [...this.edges.values()];
    this.edges.clear();
    for (const p of pending) {
      await this.db.query(
        `INSERT INTO edges (from_id, kind, to_id, potential, observed, first_seen, last_seen, count, evidence, attributes)
         VALUES ($1, 'acts_for', $2, false, true, $3, $4, $5, $6::jsonb, '{"source": "copilot-audit"}'::jsonb)
         ON CONFLICT (from_id, kind, to_id) DO UPDATE SET observed = true, count = edges.count + excluded.count,
           first_seen = least(edges.first_seen, excluded.first_seen), last_seen = greatest(edges.last_seen, excluded.last_seen),
           evidence = CASE WHEN jsonb_array_length(edges.evidence) >= 20 THEN edges.evidence ELSE edges.evidence || excluded.evidence END`,
        [this.agent, principalId(p.principal), p.first, p.last, p.count, JSON.stringify(p.evidence)],
      );
    }
  }

  /** Wait for pending appends, write pending edge counts; further appends are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.flushEdges().catch(() => undefined);
  }
}

function newWriterId(): string {
  // Sortable by start time, unique across processes and hosts without naming either.
  return `w${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

function boundedArgs(args: unknown): string {
  const text = canonicalJson(redact(args ?? {}));
  if (text.length <= MAX_ARGS_CHARS) return text;
  return canonicalJson({ truncated: true, chars: text.length, preview: text.slice(0, 1024) });
}

export function rowToRecord(r: Record<string, any>): AuditRecord {
  return {
    writer: r.writer,
    n: Number(r.n),
    prevHash: r.prev_hash,
    hash: r.hash,
    keyId: r.key_id ?? null,
    time: new Date(r.time).toISOString(),
    principal: r.principal,
    transport: r.transport,
    kind: r.kind,
    name: r.name,
    args: r.args,
    client: r.client ?? '{}',
    resultDigest: r.result_digest ?? null,
    durationMs: Number(r.duration_ms),
    outcome: r.outcome,
    error: r.error ?? null,
  };
}
