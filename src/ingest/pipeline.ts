import { dirname } from 'node:path';
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
 * schema, and load it in bulk. Each file is all or nothing: a file that cannot be read leaves the store
 * as it was, and the other files still load. Loading is idempotent (keys and merge rules in
 * src/store/tables.ts), so ingesting the same file twice changes nothing.
 *
 * Large files stream through their own transaction. Small files (CloudTrail delivers thousands of
 * them) are parsed whole first, then committed together, many to a transaction: a file that fails to
 * parse never reaches the batch, and if a batch's write fails, its files are retried one by one so that
 * the fault stays with the file that caused it.
 */
export async function ingestPaths(db: Db, paths: readonly string[], opts: IngestOptions = {}): Promise<IngestResult> {
  const registry = opts.registry ?? defaultRegistry;
  if (opts.source && opts.source !== 'auto' && !registry.byName(opts.source)) {
    throw new CopilotError('E_USAGE', `unknown source "${opts.source}" (known: auto, ${registry.all.map((c) => c.name).join(', ')})`);
  }
  const files = await expandPaths(paths);
  const detected = new DetectionMemo();
  const results: IngestFileResult[] = [];
  const batch = new SmallFiles(db, opts);
  const done = (result: IngestFileResult) => {
    results.push(result);
    opts.onProgress?.({ path: result.path, records: result.records, done: true, result });
  };
  for (const f of files) {
    const opened = await openAndDetect(f.path, f.explicit, registry, opts, detected);
    if ('result' in opened) {
      done(opened.result);
      continue;
    }
    const { file, connector } = opened;
    if (file.size <= SMALL_FILE_BYTES) {
      const parsed = await parseWhole(file, connector, opts);
      if (parsed.result.error) done(parsed.result);
      else for (const r of await batch.add({ ...parsed, file, connector })) done(r);
    } else {
      for (const r of await batch.commit()) done(r);
      done(await ingestFile(db, file, connector, opts));
    }
  }
  for (const r of await batch.commit()) done(r);
  // Keep the order the files were given in.
  const order = new Map(files.map((f, i) => [f.path, i]));
  results.sort((a, b) => (order.get(a.path) ?? 0) - (order.get(b.path) ?? 0));
  return summarise(results);
}

const SMALL_FILE_BYTES = 1 << 20;

export interface ParsedFile {
  result: IngestFileResult;
  records: ValidRecord[];
  rejects: RejectedRecord[];
  counts: Record<RecordKind, number>;
}

/**
 * Small files waiting to be committed together. A full batch is written in the background while the
 * next one is parsed (the server, or libuv's threads, work while Node parses); at most one batch is in
 * flight, and results come back in the order the files were added.
 */
class SmallFiles {
  private files: (ParsedFile & { file: SourceFile; connector: Connector })[] = [];
  private size = 0;
  private inFlight: Promise<IngestFileResult[]> | null = null;

  constructor(private readonly db: Db, private readonly opts: IngestOptions) {}

  /** Add a parsed file; returns the results of an earlier batch that has been written meanwhile. */
  async add(f: ParsedFile & { file: SourceFile; connector: Connector }): Promise<IngestFileResult[]> {
    this.files.push(f);
    this.size += f.records.length;
    if (this.size < (this.opts.batchSize ?? 5000) && this.files.length < 500) return [];
    const previous = await this.settle();
    const batch = this.take();
    this.inFlight = this.write(batch);
    this.inFlight.catch(() => {}); // awaited by the next add() or commit(); not unhandled meanwhile
    return previous;
  }

  /** Write everything added so far; returns the results not returned yet. */
  async commit(): Promise<IngestFileResult[]> {
    const previous = await this.settle();
    const batch = this.take();
    return batch.length ? [...previous, ...(await this.write(batch))] : previous;
  }

  private async settle(): Promise<IngestFileResult[]> {
    const inFlight = this.inFlight;
    this.inFlight = null;
    return inFlight ? inFlight : [];
  }

  private take() {
    const files = this.files;
    this.files = [];
    this.size = 0;
    return files;
  }

  private async write(files: (ParsedFile & { file: SourceFile; connector: Connector })[]): Promise<IngestFileResult[]> {
    if (!files.length) return [];
    const started = performance.now();
    try {
      await this.db.transaction(async (tx) => {
        const writer = new BulkWriter(tx);
        for (const f of files) for (const r of f.records) writer.add(r);
        await writer.flush();
        await logFiles(tx, files.map((f) => f.result));
      });
    } catch {
      // One of them made the write fail: retry each alone, so the fault lands on that file only.
      const out: IngestFileResult[] = [];
      for (const f of files) out.push(await ingestFile(this.db, f.file, f.connector, this.opts));
      return out;
    }
    const share = (performance.now() - started) / files.length;
    return files.map((f) => {
      for (const r of f.rejects) this.opts.onReject?.(r);
      f.result.counts = Object.fromEntries(Object.entries(f.counts).filter(([, n]) => n > 0));
      f.result.durationMs = Math.round(f.result.durationMs + share);
      return f.result;
    });
  }
}

async function parseWhole(file: SourceFile, connector: Connector, opts: IngestOptions): Promise<ParsedFile> {
  const started = performance.now();
  const parsed: ParsedFile = { result: emptyResult(file.path, connector.name), records: [], rejects: [], counts: emptyCounts() };
  try {
    for await (const valid of readValidated(file, connector, opts, parsed)) for (const v of valid) parsed.records.push(v);
  } catch (err) {
    parsed.result.error = errorText(err, file.path);
    parsed.result.loaded = 0;
    parsed.records = [];
  }
  parsed.result.durationMs = performance.now() - started;
  return parsed;
}

/** Parse and validate a file, batch by batch; counts, rejects and --strict are handled here. */
export async function* readValidated(file: SourceFile, connector: Connector, opts: IngestOptions, into: Omit<ParsedFile, 'records'>): AsyncGenerator<ValidRecord[]> {
  const { result, counts, rejects } = into;
  for await (const items of connector.parse(file, { owner: opts.owner, cluster: opts.cluster, now: opts.now ?? new Date() })) {
    const valid: ValidRecord[] = [];
    for (const item of items) {
      result.records++;
      let reason = item.reject;
      let checked: ValidRecord[] = [];
      if (reason === undefined) {
        const v = validate(item.records ?? []);
        if (typeof v === 'string') reason = v;
        else checked = v;
      }
      if (reason !== undefined) {
        result.rejected++;
        if (opts.strict) throw new StrictReject(`record ${item.index}${item.line ? ` (line ${item.line})` : ''} rejected under --strict: ${reason}; nothing of this file was loaded`);
        rejects.push({ path: file.path, index: item.index, line: item.line ?? null, reason });
        continue;
      }
      result.loaded++;
      for (const v of checked) {
        counts[v.kind]++;
        valid.push(v);
      }
    }
    opts.onProgress?.({ path: file.path, records: result.records, done: false });
    yield valid;
  }
}

/** Ingest one file in its own transaction, streamed (large files; also used by watch and HTTP ingest). */
export async function ingestFile(db: Db, file: SourceFile, connector: Connector, opts: IngestOptions = {}): Promise<IngestFileResult> {
  const started = performance.now();
  const into = { result: emptyResult(file.path, connector.name), rejects: [] as RejectedRecord[], counts: emptyCounts() };
  const { result } = into;
  const batchSize = opts.batchSize ?? 5000;
  try {
    await db.transaction(async (tx) => {
      const writer = new BulkWriter(tx);
      let pendingFlush: Promise<unknown> = Promise.resolve();
      for await (const valid of readValidated(file, connector, opts, into)) {
        for (const v of valid) writer.add(v);
        if (writer.pending >= batchSize) {
          // Write the previous batch while this one is being parsed: the server works while Node parses.
          await pendingFlush;
          pendingFlush = writer.flush();
          pendingFlush.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
        }
      }
      await pendingFlush;
      await writer.flush();
      await logFiles(tx, [result]);
    });
    for (const r of into.rejects) opts.onReject?.(r);
    result.counts = Object.fromEntries(Object.entries(into.counts).filter(([, n]) => n > 0));
  } catch (err) {
    result.error = errorText(err, file.path);
    result.loaded = 0;
    result.counts = {};
  }
  result.durationMs = Math.round(performance.now() - started);
  return result;
}

export function emptyResult(path: string, format: string | null): IngestFileResult {
  return { path, format, records: 0, loaded: 0, rejected: 0, counts: {}, error: null, skipped: null, durationMs: 0 };
}

async function logFiles(db: Db, results: IngestFileResult[]): Promise<void> {
  await db.query(
    `INSERT INTO ingest_log (path, format, records, loaded, rejected)
     SELECT path, format, records, loaded, rejected FROM json_to_recordset($1::json) AS x(path text, format text, records int, loaded int, rejected int)`,
    [JSON.stringify(results.map((r) => ({ path: r.path, format: r.format, records: r.records, loaded: r.loaded, rejected: r.rejected })))]);
}

/**
 * Detection results for files found in a folder, by folder, extension and the file's leading keys. A
 * folder of deliveries (CloudTrail writes thousands a day) holds one format, and running every
 * connector's detector over every file cost more than parsing them. The first six keys of a JSON file
 * (`Records`, `eventVersion`, `userIdentity`, `type`, ...), or the first line of any other file (a CSV
 * header), say which format it is: a file that starts differently is detected on its own.
 */
class DetectionMemo {
  private readonly byShape = new Map<string, Connector | null>();

  key(path: string, file: SourceFile): string {
    const ext = /(\.[A-Za-z0-9]+)*$/.exec(file.name)?.[0] ?? '';
    const start = file.head.slice(0, 2048);
    const keys = [...start.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)].slice(0, 6).map((m) => m[1]);
    const shape = keys.length >= 3 ? `json:${start.trimStart()[0]}:${keys.join(',')}` : `text:${start.split('\n', 1)[0].slice(0, 300)}`;
    return `${dirname(path)}\u0000${ext}\u0000${shape}`;
  }

  get(key: string): Connector | null | undefined {
    return this.byShape.get(key);
  }

  set(key: string, c: Connector | null): void {
    if (this.byShape.size > 10_000) this.byShape.clear();
    this.byShape.set(key, c);
  }
}

async function openAndDetect(path: string, explicit: boolean, registry: ConnectorRegistry, opts: IngestOptions, memo?: DetectionMemo): Promise<{ file: SourceFile; connector: Connector } | { result: IngestFileResult }> {
  const base = emptyResult(path, null);
  let file: SourceFile;
  try {
    file = await openSourceFile(path);
  } catch (err) {
    return { result: { ...base, error: errorText(err, path) } };
  }
  let connector: Connector | undefined;
  if (opts.source && opts.source !== 'auto') connector = registry.byName(opts.source);
  else {
    const key = memo && !explicit ? memo.key(path, file) : null;
    const known = key ? memo!.get(key) : undefined;
    connector = known === undefined ? registry.detect({ path, name: file.name, head: file.head })?.connector : known ?? undefined;
    if (key && known === undefined) memo!.set(key, connector ?? null);
  }
  if (!connector) {
    const why = file.head.trim() === '' ? 'file is empty' : 'no connector recognises this format';
    if (!explicit) return { result: { ...base, skipped: `${why}; skipped` } };
    return { result: { ...base, error: `${path}: ${why} (expected one of: ${registry.all.map((c) => c.name).join(', ')}; use --source NAME to force one)` } };
  }
  return { file, connector };
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
