import type { Connector } from '../connectors/contract.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { memorySourceFile, type SourceFile } from '../connectors/shared/source-file.js';
import { emptyResult, readValidated, type IngestOptions } from '../ingest/pipeline.js';
import { CopilotError } from '../lib/errors.js';
import { emptyCounts, type IngestFileResult, type RecordKind, type RejectedRecord, type ValidRecord } from '../model/index.js';
import { BulkWriter, type Db } from '../store/index.js';
import { splitEventBridge } from './eventbridge.js';

/**
 * The write side of real time: records of HTTP bodies and of watched files go into the store here,
 * through the ingest pipeline's parse-and-validate (connectors, zod schemas) and the bulk writer. What
 * the incremental engines need to know about a commit is gathered on the way, without keeping records.
 */
export interface CommitSummary {
  records: number;
  loaded: number;
  rejected: number;
  counts: Partial<Record<RecordKind, number>>;
  /** Events new to the store (the rest were there already: idempotent by id). */
  newEvents: number;
  /** Data time of the earliest and latest event written. */
  minEventMs: number | null;
  maxEventMs: number | null;
  /**
   * Every event written, by id and data time (epoch ms): the engine run that covers this commit judges
   * apart those its detections will not read (not newer than their watermark when it starts).
   */
  written: { ids: string[]; ms: number[] };
  /** Events written beyond what is kept by id (a huge file in one commit): left to `detect --since` if late. */
  writtenOverflow: number;
  /** Inventory or ownership records: the graph's derived facts (ownership, identity resolution) need a run. */
  inventory: boolean;
  /** When the oldest input of the commit arrived (epoch ms): event-to-incident latency starts here. */
  receivedAt: number;
}

const MAX_WRITTEN_IDS = 500_000;

export function emptySummary(receivedAt = Date.now()): CommitSummary {
  return { records: 0, loaded: 0, rejected: 0, counts: {}, newEvents: 0, minEventMs: null, maxEventMs: null, written: { ids: [], ms: [] }, writtenOverflow: 0, inventory: false, receivedAt };
}

export function mergeSummaries(list: CommitSummary[]): CommitSummary {
  const out = emptySummary(list.length ? Math.min(...list.map((s) => s.receivedAt)) : Date.now());
  for (const s of list) {
    out.records += s.records;
    out.loaded += s.loaded;
    out.rejected += s.rejected;
    out.newEvents += s.newEvents;
    for (const [k, n] of Object.entries(s.counts)) out.counts[k as RecordKind] = (out.counts[k as RecordKind] ?? 0) + (n ?? 0);
    if (s.minEventMs !== null) out.minEventMs = out.minEventMs === null ? s.minEventMs : Math.min(out.minEventMs, s.minEventMs);
    if (s.maxEventMs !== null) out.maxEventMs = out.maxEventMs === null ? s.maxEventMs : Math.max(out.maxEventMs, s.maxEventMs);
    for (let i = 0; i < s.written.ids.length; i++) {
      if (out.written.ids.length < MAX_WRITTEN_IDS) {
        out.written.ids.push(s.written.ids[i]);
        out.written.ms.push(s.written.ms[i]);
      } else out.writtenOverflow++;
    }
    out.writtenOverflow += s.writtenOverflow;
    out.inventory ||= s.inventory;
  }
  return out;
}

/** Records on their way into one transaction, with the facts the engines want noted as they pass. */
class Sink {
  private readonly writer: BulkWriter;
  private pendingFlush: Promise<unknown> = Promise.resolve();
  readonly summary: CommitSummary;

  constructor(tx: Db, receivedAt: number) {
    this.writer = new BulkWriter(tx);
    this.summary = emptySummary(receivedAt);
  }

  add(v: ValidRecord): void {
    if (v.kind === 'event') {
      const ms = Date.parse(v.value.time);
      const s = this.summary;
      if (s.minEventMs === null || ms < s.minEventMs) s.minEventMs = ms;
      if (s.maxEventMs === null || ms > s.maxEventMs) s.maxEventMs = ms;
      if (s.written.ids.length < MAX_WRITTEN_IDS) {
        s.written.ids.push(v.value.id);
        s.written.ms.push(ms);
      } else s.writtenOverflow++;
    }
    this.writer.add(v);
  }

  /** Write what is pending while the caller parses on (the server works while Node parses). */
  async maybeFlush(batchSize: number): Promise<void> {
    if (this.writer.pending < batchSize) return;
    await this.pendingFlush;
    const p = this.writer.flush().then((r) => void (this.summary.newEvents += r.newEvents));
    p.catch(() => {}); // awaited in finish(); this only keeps it from counting as unhandled meanwhile
    this.pendingFlush = p;
  }

  /** Wait for a flush still running, ignoring its outcome: before the caller rolls back to a savepoint. */
  async settle(): Promise<void> {
    await this.pendingFlush.catch(() => undefined);
  }

  async finish(): Promise<CommitSummary> {
    await this.pendingFlush;
    const r = await this.writer.flush();
    this.summary.newEvents += r.newEvents;
    return this.summary;
  }
}

function isInventory(c: Connector): boolean {
  return c.category === 'inventory' || c.category === 'ownership';
}

export interface FileCommit {
  result: IngestFileResult;
  rejects: RejectedRecord[];
  summary: CommitSummary;
}

/**
 * Stream one file (or a byte range of one) into the caller's transaction. A file that cannot be read
 * as its format throws (FormatError), and the caller's transaction, checkpoint included, rolls back.
 */
export async function commitFile(tx: Db, file: SourceFile, connector: Connector, opts: { ingest?: IngestOptions; receivedAt?: number; batchSize?: number } = {}): Promise<FileCommit> {
  const into = { result: emptyResult(file.path, connector.name), rejects: [] as RejectedRecord[], counts: emptyCounts() };
  const sink = new Sink(tx, opts.receivedAt ?? Date.now());
  const started = performance.now();
  try {
    for await (const valid of readValidated(file, connector, opts.ingest ?? {}, into)) {
      for (const v of valid) sink.add(v);
      await sink.maybeFlush(opts.batchSize ?? 5000);
    }
  } catch (err) {
    // No statement of ours may still be running when the caller rolls back.
    await sink.settle();
    throw err;
  }
  const summary = await sink.finish();
  fillSummary(summary, into, connector);
  into.result.counts = Object.fromEntries(Object.entries(into.counts).filter(([, n]) => n > 0));
  into.result.durationMs = Math.round(performance.now() - started);
  return { result: into.result, rejects: into.rejects, summary };
}

function fillSummary(s: CommitSummary, into: { result: IngestFileResult; counts: Record<RecordKind, number> }, connector: Connector): void {
  s.records += into.result.records;
  s.loaded += into.result.loaded;
  s.rejected += into.result.rejected;
  for (const [k, n] of Object.entries(into.counts)) if (n > 0) s.counts[k as RecordKind] = (s.counts[k as RecordKind] ?? 0) + n;
  if (into.result.loaded > 0 && isInventory(connector)) s.inventory = true;
}

/** One HTTP request body. */
export interface BodyJob {
  /** A label for errors and rawRefs: `http:<request id>`. */
  label: string;
  text: string;
  /** A connector name, or undefined / `auto` to detect. */
  source?: string;
  receivedAt: number;
}

export interface BodyOutcome {
  /** The connectors that read the body (an EventBridge stream can carry several). */
  formats: string[];
  records: number;
  loaded: number;
  rejected: number;
  /** The first rejects, with their reasons. */
  rejects: RejectedRecord[];
  /** Set when the body as a whole could not be read: nothing of it was written. */
  error: string | null;
  /** 400 (unreadable or unknown format) or 500 (the store refused the write), with error. */
  status: 200 | 400 | 500;
}

const REJECTS_SHOWN = 20;

interface ParsedBody {
  outcome: BodyOutcome;
  records: ValidRecord[];
  inventory: boolean;
  receivedAt: number;
}

/** Parse and validate a body, whole, before any write: a body that cannot be read never reaches the batch. */
async function parseBody(job: BodyJob, registry: ConnectorRegistry, now: Date): Promise<ParsedBody> {
  const outcome: BodyOutcome = { formats: [], records: 0, loaded: 0, rejected: 0, rejects: [], error: null, status: 200 };
  const parsed: ParsedBody = { outcome, records: [], inventory: false, receivedAt: job.receivedAt };
  const forced = job.source && job.source !== 'auto' ? registry.byName(job.source) : undefined;
  if (job.source && job.source !== 'auto' && !forced) {
    return fail(parsed, `unknown source "${job.source}" (known: auto, ${registry.all.map((c) => c.name).join(', ')})`);
  }
  // An EventBridge stream mixes products (CloudTrail, GuardDuty, Security Hub): each detail-type goes to
  // the connector that recognises it.
  const parts = forced ? [{ label: job.label, text: job.text }] : splitEventBridge(job.label, job.text);
  try {
    for (const part of parts) {
      const file = memorySourceFile(part.label, part.text);
      const connector = forced ?? registry.detect({ path: file.path, name: file.name, head: file.head })?.connector;
      if (!connector) {
        const why = file.head.trim() === '' ? 'the body is empty' : 'no connector recognises this format';
        return fail(parsed, `${part.label}: ${why} (expected one of: ${registry.all.map((c) => c.name).join(', ')}; name one with ?source=NAME)`);
      }
      const into = { result: emptyResult(file.path, connector.name), rejects: [] as RejectedRecord[], counts: emptyCounts() };
      for await (const valid of readValidated(file, connector, { now }, into)) for (const v of valid) parsed.records.push(v);
      outcome.formats.push(connector.name);
      outcome.records += into.result.records;
      outcome.loaded += into.result.loaded;
      outcome.rejected += into.result.rejected;
      for (const r of into.rejects) if (outcome.rejects.length < REJECTS_SHOWN) outcome.rejects.push(r);
      if (into.result.loaded > 0 && isInventory(connector)) parsed.inventory = true;
    }
  } catch (err) {
    return fail(parsed, err instanceof CopilotError ? err.message : `${job.label}: ${(err as Error).message}`);
  }
  return parsed;
}

function fail(p: ParsedBody, error: string): ParsedBody {
  p.outcome = { ...p.outcome, error, status: 400, loaded: 0 };
  p.records = [];
  return p;
}

/**
 * Commit many bodies in one transaction (one ingest_log row for the batch). If the write fails, each
 * body is retried alone, so that a fault stays with the body that caused it.
 */
export async function commitBodies(db: Db, jobs: BodyJob[], opts: { registry: ConnectorRegistry; now?: Date }): Promise<{ outcomes: BodyOutcome[]; summary: CommitSummary }> {
  const now = opts.now ?? new Date();
  const parsed: ParsedBody[] = [];
  for (const j of jobs) parsed.push(await parseBody(j, opts.registry, now));
  const good = parsed.filter((p) => p.outcome.status === 200 && p.records.length > 0);
  const write = (list: ParsedBody[]) => db.transaction(async (tx) => {
    const sink = new Sink(tx, Math.min(...list.map((p) => p.receivedAt)));
    for (const p of list) for (const v of p.records) sink.add(v);
    const s = await sink.finish();
    for (const p of list) {
      s.records += p.outcome.records;
      s.loaded += p.outcome.loaded;
      s.rejected += p.outcome.rejected;
      s.inventory ||= p.inventory;
      for (const v of p.records) s.counts[v.kind] = (s.counts[v.kind] ?? 0) + 1;
    }
    const formats = [...new Set(list.flatMap((p) => p.outcome.formats))].join(',');
    await tx.query('INSERT INTO ingest_log (path, format, records, loaded, rejected) VALUES ($1, $2, $3, $4, $5)',
      [`http:/ingest (${list.length} request${list.length === 1 ? '' : 's'})`, formats || null, s.records, s.loaded, s.rejected]);
    return s;
  });
  const summaries: CommitSummary[] = [];
  if (good.length) {
    try {
      summaries.push(await write(good));
    } catch {
      for (const p of good) {
        try {
          summaries.push(await write([p]));
        } catch (err) {
          p.outcome = { ...p.outcome, error: `the store refused the write: ${(err as Error).message.split('\n')[0]}`, status: 500, loaded: 0 };
        }
      }
    }
  }
  // Bodies with nothing to write (every record rejected) still count.
  for (const p of parsed) if (p.outcome.status === 200 && p.records.length === 0) {
    const s = emptySummary(p.receivedAt);
    s.records = p.outcome.records;
    s.rejected = p.outcome.rejected;
    summaries.push(s);
  }
  return { outcomes: parsed.map((p) => p.outcome), summary: mergeSummaries(summaries) };
}
