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

/**
 * The append-only, hash-chained audit log as one process writes it. Each process is a writer with its
 * own sequence (n = 1, 2, ...) and the previous hash held in memory, so that an append is one INSERT
 * (the audit row and its canonical event in one statement) without reading the table. Appends are
 * serialised: n and the chain advance only when the row is stored, so a failed write leaves no gap.
 */
export class AuditLog {
  private n = 0;
  private prev: string;
  private queue: Promise<unknown> = Promise.resolve();
  private edges = new Map<string, PendingEdge>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly agent: string;

  private constructor(
    private readonly db: Db,
    readonly writer: string,
    anchor: string,
    private readonly opts: AuditLogOptions,
  ) {
    this.prev = anchor;
    this.agent = agentId(opts.agentName);
  }

  /**
   * Start a writer. Its first record chains from the latest stored record, whose hash is recomputed
   * first: a mismatch is reported (onTailMismatch) and recorded in the chain, never silently adopted.
   */
  static async open(db: Db, opts: AuditLogOptions): Promise<AuditLog> {
    const writer = newWriterId();
    const [tail] = await db.query(
      `SELECT * FROM audit_log ORDER BY time DESC, writer DESC, n DESC LIMIT 1`);
    const log = new AuditLog(db, writer, tail ? tail.hash : GENESIS, opts);
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
    const run = () => this.write(entry, time);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(entry: AuditEntry, time: string): Promise<AuditRecord> {
    const key = this.opts.key ?? null;
    const base = {
      writer: this.writer,
      n: this.n + 1,
      prevHash: this.prev,
      keyId: key?.id ?? null,
      time,
      principal: entry.principal,
      transport: entry.transport,
      kind: entry.kind,
      name: entry.name,
      args: boundedArgs(entry.args),
      client: canonicalJson(entry.client),
      resultDigest: entry.resultDigest,
      durationMs: Math.round(entry.durationMs * 1000) / 1000,
      outcome: entry.outcome,
      error: entry.error === null ? null : redactText(entry.error).slice(0, MAX_ERROR_CHARS),
    };
    const record: AuditRecord = { ...base, hash: hashRecord(base, key) };
    const mirror = this.opts.mirrorEvents !== false && entry.principal !== 'anonymous' && entry.principal !== 'copilot';
    const row = [
      record.writer, record.n, record.prevHash, record.hash, record.keyId, record.time, record.principal, record.transport,
      record.kind, record.name, record.args, record.client, record.resultDigest, record.durationMs, record.outcome, record.error,
    ];
    if (mirror) {
      const chain = EventChain.parse({ onBehalfOf: principalId(entry.principal) });
      const detail = { audit: recordRef(record), transport: entry.transport, kind: entry.kind, args: JSON.parse(record.args), resultDigest: record.resultDigest, durationMs: record.durationMs };
      await this.db.query(
        `WITH a AS (
           INSERT INTO audit_log (writer, n, prev_hash, hash, key_id, time, principal, transport, kind, name, args, client, result_digest, duration_ms, outcome, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING time)
         INSERT INTO events (id, time, provider, service, action, outcome, error_code, actor_id, chain, target, resources, source_ip, source_kind, user_agent, detail)
         SELECT $17, a.time, 'copilot', 'identity-copilot', $18, $19, $20, $21, $22::jsonb, $23, $24::jsonb, $25, $26, $27, $28::jsonb FROM a
         ON CONFLICT (id) DO NOTHING`,
        [
          ...row,
          auditEventId(record.writer, record.n), `${entry.kind}:${entry.name}`, entry.outcome === 'ok' ? 'success' : 'failure',
          entry.outcome === 'ok' ? null : entry.outcome, this.agent, JSON.stringify(chain), entry.target,
          JSON.stringify(entry.target ? [entry.target] : []), entry.client.ip ?? null, classifySource(entry.client.ip),
          entry.client.userAgent ? redactText(entry.client.userAgent).slice(0, 512) : null, JSON.stringify(detail),
        ],
      );
      this.observe(entry.principal, record);
    } else {
      await this.db.query(
        `INSERT INTO audit_log (writer, n, prev_hash, hash, key_id, time, principal, transport, kind, name, args, client, result_digest, duration_ms, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, row);
    }
    this.n = record.n;
    this.prev = record.hash;
    return record;
  }

  /** The agent acted for this principal: an observed `acts_for` hop, counted off the critical path. */
  private observe(principal: string, record: AuditRecord): void {
    const p = this.edges.get(principal);
    const ev = auditEventId(record.writer, record.n);
    if (!p) this.edges.set(principal, { principal, count: 1, first: record.time, last: record.time, evidence: [ev] });
    else {
      p.count++;
      p.last = record.time;
      if (p.evidence.length < 3) p.evidence.push(ev);
    }
    if (!this.timer) {
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

  /** Wait for queued appends, write pending edge counts; further appends are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
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
