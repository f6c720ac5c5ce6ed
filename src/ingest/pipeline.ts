import type { ZodType } from 'zod';
import { registry as defaultRegistry } from '../connectors/index.js';
import type { Connector } from '../connectors/contract.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { openSourceFile, type SourceFile } from '../connectors/shared/source-file.js';
import { CopilotError } from '../lib/errors.js';
import {
  CONTRACT_VERSION, RECORD_SCHEMAS, emptyCounts,
  type CanonicalRecord, type IngestFileResult, type IngestResult, type RecordKind, type RejectedRecord, type ValidRecord,
} from '../model/index.js';
import { BulkWriter, type Db } from '../store/index.js';
import { expandPaths } from './walk.js';

export interface IngestOptions {
  /** A connector name, or `auto` (default) to detect each file's format. */
  source?: string;
  /** Reject the whole file when any record in it is rejected. */
  strict?: boolean;
  owner?: string;
  /** Kubernetes cluster name for files that do not say it (ParseOptions.cluster). */
  cluster?: string;
  /** Called with every rejected record (the CLI writes them to `--rejects FILE`). */
  onReject?: (r: RejectedRecord) => void;
  /** Called when a file is done, and periodically with records read so far. */
  onProgress?: (p: { path: string; records: number; done: boolean; result?: IngestFileResult }) => void;
  /** Rows buffered before a bulk write. */
  batchSize?: number;
  registry?: ConnectorRegistry;
  now?: Date;
}

class StrictReject extends Error {}

/**
 * connectors -> store: read each file with its connector, validate every record against its zod
 * schema, and load it in bulk. Each file is one transaction: a file that cannot be read leaves the
 * store as it was, and the other files still load. Loading is idempotent (keys and merge rules in
 * src/store/tables.ts), so ingesting the same file twice changes nothing.
 */
export async function ingestPaths(db: Db, paths: readonly string[], opts: IngestOptions = {}): Promise<IngestResult> {
  const registry = opts.registry ?? defaultRegistry;
  if (opts.source && opts.source !== 'auto' && !registry.byName(opts.source)) {
    throw new CopilotError('E_USAGE', `unknown source "${opts.source}" (known: auto, ${registry.all.map((c) => c.name).join(', ')})`);
  }
  const files = await expandPaths(paths);
  const results: IngestFileResult[] = [];
  for (const f of files) {
    const result = await ingestOne(db, f.path, f.explicit, registry, opts);
    results.push(result);
    opts.onProgress?.({ path: f.path, records: result.records, done: true, result });
  }
  return summarise(results);
}

/** Ingest one file already in memory or on disk (also used by watch and HTTP ingest). */
export async function ingestFile(db: Db, file: SourceFile, connector: Connector, opts: IngestOptions = {}): Promise<IngestFileResult> {
  const started = performance.now();
  const result: IngestFileResult = { path: file.path, format: connector.name, records: 0, loaded: 0, rejected: 0, counts: {}, error: null, skipped: null, durationMs: 0 };
  const counts = emptyCounts();
  const rejects: RejectedRecord[] = [];
  const batchSize = opts.batchSize ?? 5000;
  try {
    await db.transaction(async (tx) => {
      const writer = new BulkWriter(tx);
      let pendingFlush: Promise<unknown> = Promise.resolve();
      for await (const items of connector.parse(file, { owner: opts.owner, cluster: opts.cluster, now: opts.now ?? new Date() })) {
        for (const item of items) {
          result.records++;
          let reason = item.reject;
          let valid: ValidRecord[] = [];
          if (reason === undefined) {
            const checked = validate(item.records ?? []);
            if (typeof checked === 'string') reason = checked;
            else valid = checked;
          }
          if (reason !== undefined) {
            result.rejected++;
            const r: RejectedRecord = { path: file.path, index: item.index, line: item.line ?? null, reason };
            if (opts.strict) throw new StrictReject(`record ${item.index}${item.line ? ` (line ${item.line})` : ''} rejected under --strict: ${reason}; nothing of this file was loaded`);
            rejects.push(r);
            continue;
          }
          result.loaded++;
          for (const v of valid) {
            counts[v.kind]++;
            writer.add(v);
          }
        }
        if (writer.pending >= batchSize) {
          // Write the previous batch while this one is being parsed: the server works while Node parses.
          await pendingFlush;
          pendingFlush = writer.flush();
          pendingFlush.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
        }
        opts.onProgress?.({ path: file.path, records: result.records, done: false });
      }
      await pendingFlush;
      await writer.flush();
      await tx.query('INSERT INTO ingest_log (path, format, records, loaded, rejected) VALUES ($1, $2, $3, $4, $5)', [
        file.path, connector.name, result.records, result.loaded, result.rejected,
      ]);
    });
    for (const r of rejects) opts.onReject?.(r);
    result.counts = Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  } catch (err) {
    result.error = errorText(err, file.path);
    result.loaded = 0;
    result.counts = {};
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

async function ingestOne(db: Db, path: string, explicit: boolean, registry: ConnectorRegistry, opts: IngestOptions): Promise<IngestFileResult> {
  const base: IngestFileResult = { path, format: null, records: 0, loaded: 0, rejected: 0, counts: {}, error: null, skipped: null, durationMs: 0 };
  let file: SourceFile;
  try {
    file = await openSourceFile(path);
  } catch (err) {
    return { ...base, error: errorText(err, path) };
  }
  let connector: Connector | undefined;
  if (opts.source && opts.source !== 'auto') connector = registry.byName(opts.source);
  else connector = registry.detect({ path, name: file.name, head: file.head })?.connector;
  if (!connector) {
    const why = file.head.trim() === '' ? 'file is empty' : 'no connector recognises this format';
    if (!explicit) return { ...base, skipped: `${why}; skipped` };
    return { ...base, error: `${path}: ${why} (expected one of: ${registry.all.map((c) => c.name).join(', ')}; use --source NAME to force one)` };
  }
  return ingestFile(db, file, connector, opts);
}

/** Validate a source record's canonical records; the first failure rejects the whole source record. */
function validate(records: CanonicalRecord[]): ValidRecord[] | string {
  const out: ValidRecord[] = [];
  for (const r of records) {
    const schema = RECORD_SCHEMAS[r.kind] as ZodType;
    const parsed = schema.safeParse(r.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue.path.length ? issue.path.join('.') : r.kind;
      return `invalid ${r.kind}: ${where}: ${issue.message}`;
    }
    out.push({ kind: r.kind, value: parsed.data } as ValidRecord);
  }
  return out;
}

function errorText(err: unknown, path: string): string {
  if (err instanceof StrictReject) return `${path}: ${err.message}`;
  if (err instanceof CopilotError) return err.message;
  const msg = (err as Error).message ?? String(err);
  return msg.startsWith(path) ? msg : `${path}: ${msg}`;
}

function summarise(files: IngestFileResult[]): IngestResult {
  const counts: Record<string, number> = {};
  for (const f of files) for (const [k, n] of Object.entries(f.counts)) counts[k] = (counts[k] ?? 0) + n;
  return {
    contractVersion: CONTRACT_VERSION,
    files,
    totals: {
      files: files.length,
      failed: files.filter((f) => f.error).length,
      skipped: files.filter((f) => f.skipped).length,
      records: files.reduce((s, f) => s + f.records, 0),
      loaded: files.reduce((s, f) => s + f.loaded, 0),
      rejected: files.reduce((s, f) => s + f.rejected, 0),
      counts,
    },
  };
}

export type { RecordKind };
