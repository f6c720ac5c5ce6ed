import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { registry as defaultRegistry } from '../connectors/index.js';
import type { Connector } from '../connectors/contract.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { looksLikeNdjson } from '../connectors/shared/json-records.js';
import { openSourceFile, type SourceFile } from '../connectors/shared/source-file.js';
import { CopilotError } from '../lib/errors.js';
import type { RejectedRecord } from '../model/index.js';
import type { Db } from '../store/index.js';
import { loadCheckpoints, saveCheckpoint, type Checkpoint } from './checkpoints.js';
import { HEAD_HASH_BYTES, completeLinesEnd, followable, headHash, ndjsonByName, rangeSourceFile, readRange, statFile, type FileStat } from './files.js';
import { commitFile, mergeSummaries, type CommitSummary, type FileCommit } from './writer.js';
import { FormatError } from '../lib/errors.js';

/**
 * `watch PATH...`: follows folders and files as logs arrive, with a checkpoint per file in the store.
 *
 * - A document (a CloudTrail delivery, gzipped or not; any format read whole) is read once its size and
 *   mtime have held still for `settleMs` and it parses to the end (the JSON closes, the gzip stream
 *   ends). One that does not parse is waited for while it is young (it may still be being written),
 *   then recorded as failed; it is tried again when it changes.
 * - NDJSON is read up to its last newline, `chunkBytes` at a time; each chunk's records and the new
 *   offset commit in one transaction. Killed at any point, a restart resumes at the last committed
 *   offset: nothing lost, nothing read twice.
 * - A file replaced, rotated or truncated (another inode, a shorter size, a different head) starts
 *   over; a rotated file found under its new name (same inode and head) continues where it was.
 *
 * Changes are noticed through file-system events (chokidar) and a periodic scan, which catches what
 * events miss (network file systems, events lost under load).
 */
export interface WatchOptions {
  paths: string[];
  /** A connector name, or `auto` (default) to detect each file. */
  source?: string;
  /** A document must hold still this long before it is read (default 1000 ms). */
  settleMs?: number;
  /** Full scan interval (default 2000 ms). */
  pollMs?: number;
  /** NDJSON bytes per transaction (default 4 MiB). */
  chunkBytes?: number;
  /** How long a document that does not parse may still be being written (default 10 minutes). */
  incompleteGraceMs?: number;
  /** A last NDJSON line without its newline is read once the file has held still this long (default 30 s). */
  finalLineMs?: number;
  /** NDJSON files seen for the first time are followed from their end (tail -f), not read from the start. */
  fromEnd?: boolean;
  owner?: string;
  cluster?: string;
  registry?: ConnectorRegistry;
  /** File-system events as well as the scan (default true). */
  fsEvents?: boolean;
}

export type WatchEvent =
  | { type: 'commit'; path: string; mode: Checkpoint['mode']; format: string; from: number; offset: number; size: number; records: number; loaded: number; rejected: number; newEvents: number; ms: number; rejects: RejectedRecord[] }
  | { type: 'waiting'; path: string; reason: string }
  | { type: 'failed'; path: string; error: string }
  | { type: 'restart'; path: string; reason: string }
  | { type: 'adopted'; path: string; from: string; offset: number }
  | { type: 'error'; path: string; error: string };

/** Runs a commit through the service: in its lane, in one transaction, then on to the engines. */
export type CommitRunner = (fn: (tx: Db) => Promise<CommitSummary>) => Promise<CommitSummary>;

export interface WatcherStats {
  files: number;
  following: number;
  done: number;
  failed: number;
  commits: number;
  records: number;
  bytes: number;
  lastCommitAt: number | null;
}

type Step = 'again' | 'later' | 'idle';

interface Seen {
  size: number;
  mtimeMs: number;
  ino: string;
  since: number;
}

const REJECTS_SHOWN = 5;

export class Watcher {
  private checkpoints = new Map<string, Checkpoint>();
  /** Checkpoints of files that were rotated away from their path, by dev:ino, for the name they reappear under. */
  private readonly retired = new Map<string, Checkpoint>();
  private readonly seen = new Map<string, Seen>();
  private readonly due = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waitingSaid = new Map<string, number>();
  private pumping: Promise<void> | null = null;
  private poller: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private fsw: FSWatcher | null = null;
  private stopping = false;
  private readonly roots: string[];
  private readonly registry: ConnectorRegistry;
  private readonly forced: Connector | undefined;
  private readonly counters = { files: 0, commits: 0, records: 0, bytes: 0, lastCommitAt: null as number | null };

  constructor(
    private readonly db: Db,
    private readonly opts: WatchOptions,
    private readonly commit: CommitRunner,
    private readonly emit: (e: WatchEvent) => void,
  ) {
    this.roots = opts.paths.map((p) => resolve(p));
    this.registry = opts.registry ?? defaultRegistry;
    if (opts.source && opts.source !== 'auto') {
      this.forced = this.registry.byName(opts.source);
      if (!this.forced) throw new CopilotError('E_USAGE', `unknown source "${opts.source}" (known: auto, ${this.registry.all.map((c) => c.name).join(', ')})`);
    }
  }

  get stats(): WatcherStats {
    let following = 0;
    let done = 0;
    let failed = 0;
    for (const c of this.checkpoints.values()) {
      if (c.status === 'following') following++;
      else if (c.status === 'done') done++;
      else failed++;
    }
    return { ...this.counters, following, done, failed };
  }

  private get settleMs(): number {
    return this.opts.settleMs ?? 1000;
  }

  /** Checkpoints loaded, every file found scheduled, file-system events on: ready (the backlog follows). */
  async start(): Promise<{ files: number }> {
    for (const p of this.roots) {
      try {
        await fs.stat(p);
      } catch {
        throw new CopilotError('E_IO', `${p}: no such file or folder`, { path: p });
      }
    }
    this.checkpoints = await loadCheckpoints(this.db);
    const files = await this.scan();
    if (this.opts.fsEvents !== false) {
      this.fsw = chokidarWatch(this.roots, {
        ignoreInitial: true,
        persistent: true,
        // Hidden and unfinished names are left alone, files and folders alike (below a root).
        ignored: (p: string) => !this.roots.includes(p) && !followable(basename(p)),
      });
      const onFile = (p: string) => this.schedule(resolve(p));
      this.fsw.on('add', onFile).on('change', onFile).on('error', () => undefined);
    }
    this.poller = setInterval(() => void this.scan().catch(() => undefined), this.opts.pollMs ?? 2000);
    this.poller.unref();
    return { files };
  }

  /** Finish the file being read (its transaction commits or rolls back whole), then stop. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.poller) clearInterval(this.poller);
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.due.clear();
    await this.fsw?.close();
    await this.scanning?.catch(() => undefined);
    await this.pumping;
  }

  /** Scan now and read everything that is ready; resolves when nothing is due (files waiting to settle stay scheduled). */
  async catchUp(): Promise<void> {
    await this.scan();
    while (this.pumping || this.due.size) {
      if (this.pumping) await this.pumping;
      else this.pump();
    }
  }

  /** Walk the roots; schedule every file whose size, mtime or inode is not what we last saw. */
  private scan(): Promise<number> {
    if (this.scanning) return this.scanning.then(() => this.counters.files);
    let count = 0;
    const run = (async () => {
      const found: string[] = [];
      for (const root of this.roots) await walk(root, found, true);
      count = found.length;
      this.counters.files = found.length;
      for (const path of found) {
        if (this.stopping) return;
        const st = await statFile(path);
        if (!st) continue;
        const cp = this.checkpoints.get(path);
        const s = this.seen.get(path);
        const unchangedSinceCheckpoint = cp && cp.size === st.size && cp.mtimeMs === st.mtimeMs && cp.ino === st.ino && (cp.status !== 'following' || cp.offset >= st.size);
        const unchangedSinceSeen = s && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ino === st.ino;
        if (unchangedSinceCheckpoint || (unchangedSinceSeen && (this.due.has(path) || this.timers.has(path)))) continue;
        this.schedule(path);
      }
    })();
    this.scanning = run.finally(() => {
      this.scanning = null;
    });
    return this.scanning.then(() => count);
  }

  private schedule(path: string, delayMs = 0): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      const t = this.timers.get(path);
      if (t) {
        clearTimeout(t.timer);
        this.timers.delete(path);
      }
      this.due.add(path);
      this.pump();
      return;
    }
    const at = Date.now() + delayMs;
    const old = this.timers.get(path);
    if (old && old.at <= at) return;
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => {
      this.timers.delete(path);
      this.schedule(path);
    }, delayMs);
    timer.unref();
    this.timers.set(path, { at, timer });
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      while (this.due.size && !this.stopping) {
        const path: string = this.due.values().next().value!;
        this.due.delete(path);
        let r: Step;
        try {
          r = await this.step(path);
        } catch (err) {
          this.emit({ type: 'error', path, error: (err as Error).message.split('\n')[0] });
          r = 'later';
          this.schedule(path, 5000);
          continue;
        }
        if (r === 'again') this.due.add(path);
        else if (r === 'later') this.schedule(path, this.settleMs);
      }
    })().finally(() => {
      this.pumping = null;
      if (this.due.size && !this.stopping) this.pump();
    });
  }

  /** One look at one file: read what is ready of it, or say when to look again. */
  private async step(path: string): Promise<Step> {
    const st = await statFile(path);
    if (!st) {
      this.seen.delete(path);
      return 'idle';
    }
    const now = Date.now();
    let s = this.seen.get(path);
    if (!s || s.size !== st.size || s.mtimeMs !== st.mtimeMs || s.ino !== st.ino) {
      // First sight of a file last written long ago counts from its mtime: a backlog is read at once.
      s = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, since: s ? now : Math.min(now, st.mtimeMs) };
      this.seen.set(path, s);
    }
    let cp = await this.usableCheckpoint(path, st);
    if (cp && cp.status !== 'following' && cp.size === st.size && cp.mtimeMs === st.mtimeMs) return 'idle';
    if (cp?.mode === 'document' && cp.status === 'done') {
      // A document that grew into a log (one line first, more appended): go on from where it ended.
      if (st.size > cp.size && (ndjsonByName(basename(path)) || (await this.headLooksNdjson(path))) && (await endsWithNewline(path, cp.size))) {
        cp = { ...cp, mode: 'ndjson', status: 'following' };
      }
    }
    const mode: Checkpoint['mode'] = cp?.mode ?? (await this.modeOf(path, st));
    return mode === 'ndjson' ? this.stepNdjson(path, st, s, cp) : this.stepDocument(path, st, s, cp);
  }

  /** The file's checkpoint, if it still describes this file (and not a replacement under the same name). */
  private async usableCheckpoint(path: string, st: FileStat): Promise<Checkpoint | null> {
    const cp = this.checkpoints.get(path) ?? null;
    if (cp) {
      const sameFile = cp.ino === st.ino && cp.dev === st.dev && st.size >= (cp.mode === 'ndjson' ? cp.offset : 0) && (await this.sameHead(path, cp));
      if (sameFile) return cp;
      this.retired.set(`${cp.dev}:${cp.ino}`, cp);
      this.checkpoints.delete(path);
      const why = cp.ino !== st.ino ? 'replaced (another inode)' : st.size < cp.offset ? `truncated (${st.size} < ${cp.offset} bytes read)` : 'rewritten (its first bytes changed)';
      this.emit({ type: 'restart', path, reason: `${why}: read from the start` });
      return null;
    }
    // Rotated here from another name (app.log -> app.log.1): the same inode and head go on where they were.
    const key = `${st.dev}:${st.ino}`;
    let from = this.retired.get(key) ?? null;
    if (!from) {
      for (const c of this.checkpoints.values()) {
        if (c.dev === st.dev && c.ino === st.ino && c.path !== path) {
          const there = await statFile(c.path);
          if (!there || there.ino !== c.ino) from = c;
          break;
        }
      }
    }
    if (from && st.size >= from.offset && (await this.sameHead(path, from))) {
      this.retired.delete(key);
      const adopted: Checkpoint = { ...from, path };
      this.checkpoints.set(path, adopted);
      this.emit({ type: 'adopted', path, from: from.path, offset: from.offset });
      return adopted;
    }
    return null;
  }

  private async sameHead(path: string, cp: Checkpoint): Promise<boolean> {
    if (!cp.headHash) return true;
    return (await headHash(path, Math.min(cp.size, HEAD_HASH_BYTES))) === cp.headHash;
  }

  private async headLooksNdjson(path: string): Promise<boolean> {
    const buf = await readRange(path, 0, 64 * 1024);
    return looksLikeNdjson(buf.toString('utf8'));
  }

  private async modeOf(path: string, st: FileStat): Promise<Checkpoint['mode']> {
    if (st.size >= 2) {
      const magic = await readRange(path, 0, 2);
      if (magic[0] === 0x1f && magic[1] === 0x8b) return 'document';
    }
    if (ndjsonByName(basename(path))) return 'ndjson';
    return (await this.headLooksNdjson(path)) ? 'ndjson' : 'document';
  }

  private connectorFor(file: Pick<SourceFile, 'path' | 'name' | 'head'>): Connector | null {
    return this.forced ?? this.registry.detect({ path: file.path, name: file.name, head: file.head })?.connector ?? null;
  }

  private async stepNdjson(path: string, st: FileStat, s: Seen, cp: Checkpoint | null): Promise<Step> {
    const now = Date.now();
    let connector: Connector | null = cp?.format ? this.registry.byName(cp.format) ?? null : null;
    let offset = cp?.offset ?? 0;
    if (!connector) {
      // Detect on complete lines only: half a line may look like nothing yet.
      const lines = await completeLinesEnd(path, 0, Math.min(st.size, 64 * 1024));
      if (lines === 0) return this.waiting(path, st, st.size === 0 ? 'empty so far' : 'no complete line yet');
      connector = this.connectorFor({ path, name: basename(path), head: (await readRange(path, 0, lines)).toString('utf8') });
      if (!connector) {
        if (st.size === 0 || now - s.since < (this.opts.incompleteGraceMs ?? 600_000)) return this.waiting(path, st, st.size === 0 ? 'empty so far' : 'no connector recognises its first lines yet');
        return this.fail(path, st, cp, 'ndjson', null, `${path}: no connector recognises this format (expected one of: ${this.registry.all.map((c) => c.name).join(', ')}; use --source NAME to force one)`);
      }
      if (!cp && this.opts.fromEnd) offset = await completeLinesEnd(path, 0, st.size);
    }
    const chunk = this.opts.chunkBytes ?? 4 * 1024 * 1024;
    let end = await completeLinesEnd(path, offset, Math.min(st.size, offset + chunk));
    if (end === offset && st.size > offset + chunk) end = await completeLinesEnd(path, offset, st.size);
    if (end === offset && st.size > offset && now - s.since >= (this.opts.finalLineMs ?? 30_000) && (await completeJson(path, offset, st.size))) end = st.size;
    if (end === offset) {
      if (!cp || cp.format !== connector.name || cp.size !== st.size || cp.mtimeMs !== st.mtimeMs) {
        // Nothing complete to read yet: remember the file (and its format) all the same.
        await this.saveOnly({ ...this.baseCheckpoint(path, st, cp, 'ndjson', connector.name), offset, headHash: await headHash(path, Math.min(st.size, HEAD_HASH_BYTES)) });
      }
      return st.size > offset ? 'later' : 'idle';
    }
    const file = await rangeSourceFile(path, offset, end);
    const r = await this.commitChecked(path, st, cp, 'ndjson', connector, file, end, 'following');
    if (!r) return 'idle';
    return end < st.size ? 'again' : 'idle';
  }

  private async stepDocument(path: string, st: FileStat, s: Seen, cp: Checkpoint | null): Promise<Step> {
    const now = Date.now();
    if (now - s.since < this.settleMs) return 'later';
    const young = now - st.mtimeMs < (this.opts.incompleteGraceMs ?? 600_000);
    let file: SourceFile;
    try {
      file = await openSourceFile(path);
    } catch (err) {
      return this.unreadable(path, st, cp, young, err);
    }
    const connector = this.connectorFor(file);
    if (!connector) {
      if (young && file.head.trim() === '') return this.waiting(path, st, 'empty so far');
      return this.fail(path, st, cp, 'document', null, `${path}: ${file.head.trim() === '' ? 'file is empty' : 'no connector recognises this format'}; skipped (it is tried again when it changes)`);
    }
    try {
      await this.commitChecked(path, st, cp, 'document', connector, file, st.size, 'done', true);
    } catch (err) {
      if (err instanceof ChangedWhileRead) return 'later';
      return this.unreadable(path, st, cp, young, err);
    }
    return 'idle';
  }

  /** A document that does not parse: still being written while it is young, failed after. */
  private async unreadable(path: string, st: FileStat, cp: Checkpoint | null, young: boolean, err: unknown): Promise<Step> {
    if (!(err instanceof CopilotError) || err.code === 'E_STORE_LOCKED') throw err;
    const message = err.message;
    if (young) return this.waiting(path, st, `not complete yet (${message.replace(`${path}`, '').replace(/^[:\s]+/, '')})`);
    return this.fail(path, st, cp, 'document', null, message);
  }

  private waiting(path: string, st: FileStat, reason: string): Step {
    // Said once per size of the file, not on every look.
    if (this.waitingSaid.get(path) !== st.size) {
      this.waitingSaid.set(path, st.size);
      this.emit({ type: 'waiting', path, reason });
    }
    return 'later';
  }

  private async fail(path: string, st: FileStat, cp: Checkpoint | null, mode: Checkpoint['mode'], format: string | null, error: string): Promise<Step> {
    await this.saveOnly({ ...this.baseCheckpoint(path, st, cp, mode, format ?? cp?.format ?? null), status: 'failed', error, headHash: await headHash(path, Math.min(st.size, HEAD_HASH_BYTES)) });
    this.emit({ type: 'failed', path, error });
    return 'idle';
  }

  private baseCheckpoint(path: string, st: FileStat, cp: Checkpoint | null, mode: Checkpoint['mode'], format: string | null): Checkpoint {
    return {
      path, mode, format, offset: cp?.offset ?? 0, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, headHash: cp?.headHash ?? null,
      records: cp?.records ?? 0, loaded: cp?.loaded ?? 0, rejected: cp?.rejected ?? 0, status: cp?.status ?? 'following', error: null,
    };
  }

  private async saveOnly(c: Checkpoint): Promise<void> {
    await this.commit(async (tx) => {
      await saveCheckpoint(tx, c);
      return { records: 0, loaded: 0, rejected: 0, counts: {}, newEvents: 0, minEventMs: null, maxEventMs: null, written: { ids: [], ms: [] }, writtenOverflow: 0, inventory: false, receivedAt: Date.now() };
    });
    this.checkpoints.set(c.path, c);
  }

  /**
   * Records and checkpoint in one transaction. A document that does not parse throws (the caller
   * decides between waiting and failing); an NDJSON range that does not parse is recorded as failed.
   */
  private async commitChecked(path: string, st: FileStat, cp: Checkpoint | null, mode: Checkpoint['mode'], connector: Connector, file: SourceFile, end: number, status: Checkpoint['status'], rethrow = false): Promise<FileCommit | null> {
    const from = mode === 'ndjson' ? (cp?.offset ?? 0) : 0;
    const started = performance.now();
    const head = await headHash(path, Math.min(st.size, HEAD_HASH_BYTES));
    let done: FileCommit | null = null;
    let next: Checkpoint | null = null;
    const ingest = { owner: this.opts.owner, cluster: this.opts.cluster };
    try {
      await this.commit(async (tx) => {
        const r = mode === 'ndjson'
          ? await commitLines(tx, path, from, end, file, connector, { ingest })
          : await commitFile(tx, file, connector, { ingest });
        // A document rewritten between the look that found it settled and the end of the read (a writer
        // that truncates and writes again): what was read is not what the checkpoint would describe.
        if (mode === 'document' && !sameFile(st, await statFile(path))) throw new ChangedWhileRead(path);
        const base = this.baseCheckpoint(path, st, cp, mode, connector.name);
        // A document read again (it changed) accounts for its records afresh.
        const keep = mode === 'ndjson' && cp?.format === connector.name;
        next = {
          ...base, offset: end, headHash: head, status, error: null,
          records: (keep ? base.records : 0) + r.result.records, loaded: (keep ? base.loaded : 0) + r.result.loaded, rejected: (keep ? base.rejected : 0) + r.result.rejected,
        };
        await saveCheckpoint(tx, next);
        done = r;
        return r.summary;
      });
    } catch (err) {
      if (rethrow || !(err instanceof CopilotError)) throw err;
      await this.fail(path, st, cp, mode, connector.name, err.message);
      return null;
    }
    const r = done as FileCommit | null;
    if (!r || !next) return null;
    this.checkpoints.set(path, next);
    this.waitingSaid.delete(path);
    this.counters.commits++;
    this.counters.records += r.result.records;
    this.counters.bytes += end - from;
    this.counters.lastCommitAt = Date.now();
    this.emit({
      type: 'commit', path, mode, format: connector.name, from, offset: end, size: st.size, records: r.result.records, loaded: r.result.loaded,
      rejected: r.result.rejected, newEvents: r.summary.newEvents, ms: Math.round(performance.now() - started), rejects: r.rejects.slice(0, REJECTS_SHOWN),
    });
    return r;
  }
}

/** Rolls back a document's transaction: it changed while it was read, and is read again once it settles. */
class ChangedWhileRead extends Error {
  constructor(path: string) {
    super(`${path} changed while it was read`);
  }
}

const sameFile = (a: FileStat, b: FileStat | null): boolean =>
  b !== null && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;

/** Files under a root, sorted (CloudTrail's folders sort in time order), hidden and unfinished names left out. */
async function walk(path: string, out: string[], root = false): Promise<void> {
  let st;
  try {
    st = await fs.stat(path);
  } catch {
    return;
  }
  if (st.isFile()) {
    if (root || followable(basename(path))) out.push(path);
    return;
  }
  if (!st.isDirectory()) return;
  let entries;
  try {
    entries = await fs.readdir(path, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (!followable(e.name)) continue;
    const p = join(path, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

async function endsWithNewline(path: string, size: number): Promise<boolean> {
  if (size <= 0) return true;
  const b = await readRange(path, size - 1, size);
  return b[0] === 10;
}

/** Whether bytes [from, to) hold one complete JSON value: a last line written without its newline. */
async function completeJson(path: string, from: number, to: number): Promise<boolean> {
  if (to - from > 16 * 1024 * 1024) return false;
  const text = (await readRange(path, from, to)).toString('utf8').trim();
  if (!text) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * An NDJSON range, committed whole; when it cannot be read as NDJSON (a line of plain text, a corrupt
 * first line: the JSON reader then takes the range for one document and gives up), line by line
 * instead: runs of JSON lines are committed as they are, and every other line is a reject with its
 * reason, counted in the checkpoint. A log with a bad line goes on past it; nothing is dropped unsaid.
 */
async function commitLines(tx: Db, path: string, from: number, end: number, file: SourceFile, connector: Connector, opts: Parameters<typeof commitFile>[3]): Promise<FileCommit> {
  await tx.query('SAVEPOINT ndjson_range');
  try {
    const r = await commitFile(tx, file, connector, opts);
    await tx.query('RELEASE SAVEPOINT ndjson_range');
    return r;
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    // What the failed attempt flushed before it gave up goes; the lines are read one by one.
    await tx.query('ROLLBACK TO SAVEPOINT ndjson_range');
  }
  const text = await readRange(path, from, end);
  const results: FileCommit[] = [];
  const rejects: RejectedRecord[] = [];
  let runStart = -1;
  let lineNo = 0;
  const flushRun = async (runEnd: number) => {
    if (runStart === -1) return;
    results.push(await commitFile(tx, await rangeSourceFile(path, from + runStart, from + runEnd), connector, opts));
    runStart = -1;
  };
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf(10, at);
    if (nl === -1) nl = text.length - 1;
    const line = text.subarray(at, nl + 1).toString('utf8').trim();
    lineNo++;
    let good = false;
    let why = '';
    if (line) {
      try {
        const v = JSON.parse(line);
        good = typeof v === 'object' && v !== null;
        if (!good) why = `not a JSON object or array (${typeof v})`;
      } catch (e) {
        why = `not valid JSON (${(e as Error).message.replace(/^Unexpected/, 'unexpected')})`;
      }
    }
    if (good || !line) {
      if (runStart === -1 && good) runStart = at;
    } else {
      await flushRun(at);
      rejects.push({ path: from === 0 ? path : `${path}@${from}`, index: lineNo - 1, line: lineNo, reason: why });
    }
    at = nl + 1;
  }
  await flushRun(text.length);
  const summary = mergeSummaries(results.map((r) => r.summary));
  summary.records += rejects.length;
  summary.rejected += rejects.length;
  const result = { ...(results[0]?.result ?? { path: file.path, format: connector.name, records: 0, loaded: 0, rejected: 0, counts: {}, error: null, skipped: null, durationMs: 0 }) };
  result.records = results.reduce((n, r) => n + r.result.records, 0) + rejects.length;
  result.loaded = results.reduce((n, r) => n + r.result.loaded, 0);
  result.rejected = results.reduce((n, r) => n + r.result.rejected, 0) + rejects.length;
  return { result, rejects: [...rejects, ...results.flatMap((r) => r.rejects)], summary };
}
