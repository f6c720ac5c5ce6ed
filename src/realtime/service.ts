import { registry as defaultRegistry } from '../connectors/index.js';
import type { ConnectorRegistry } from '../connectors/registry.js';
import { loadSuppressions } from '../engines/correlate/index.js';
import { scoreAll } from '../engines/risk/score-all.js';
import type { Config, SuppressionRule } from '../model/index.js';
import type { Db } from '../store/index.js';
import { IncrementalEngines, type EngineRun, type IncidentChange } from './engines.js';
import { SerialLane } from './lane.js';
import { Notifier, type NotifierOptions, type NotifierStats } from './notifier.js';
import { DEFAULT_QUEUE_LIMITS, IngestQueue, type QueueLimits, type Reservation } from './queue.js';
import { commitBodies, mergeSummaries, type BodyJob, type BodyOutcome, type CommitSummary } from './writer.js';
import type { CommitRunner } from './watcher.js';


/** After a scoring, wait this many times its duration: scoring takes at most a tenth of the time. */
const RISK_DUTY_FACTOR = 9;

/**
 * Real time in one process: the bounded queue HTTP bodies wait in, the lanes that commits and engine
 * runs go through (one lane on PGlite; on a PostgreSQL server two, side by side), the incremental
 * engines (coalesced: commits that arrive while they run are handled together in the next run), risk
 * scoring on its own cadence, and the notifier. `serve --http` and `watch` both hold one; the watcher
 * commits through `commitRunner`.
 */
export interface RealtimeOptions {
  config: Config;
  registry?: ConnectorRegistry;
  queue?: Partial<QueueLimits>;
  /** Bytes of request bodies per commit (default 8 MiB). */
  batchBytes?: number;
  /** Run the engines after commits (default true). */
  engines?: boolean;
  /** Where incidents are announced; null: nowhere. */
  notify?: NotifierOptions | null;
  /** Engine runs beside commits (default: on a PostgreSQL server; PGlite has one connection). */
  pipeline?: boolean;
  /** Risk re-scores at most this often while data arrives (default 60 s; 0: never). */
  riskIntervalMs?: number;
  /** Suppression rules (default ./idcopilot.suppressions.yaml when present), re-read when it changes. */
  suppressionsFile?: string;
  onEvent?: (e: RealtimeEvent) => void;
}

export type RealtimeEvent =
  | { type: 'batch'; requests: number; records: number; loaded: number; rejected: number; newEvents: number; ms: number }
  | { type: 'engines'; run: EngineRun; ms: number }
  | { type: 'incident'; change: IncidentChange }
  | { type: 'risk'; ms: number; scored: number | null; error: string | null };

interface Pending {
  job: BodyJob;
  bytes: number;
  resolve: (r: { outcome: BodyOutcome; batch: number }) => void;
}

export interface RealtimeStatus {
  startedAt: string;
  queue: { items: number; bytes: number; maxBytes: number; maxItems: number; retryAfterS: number };
  ingest: { requests: number; refused: number; batches: number; records: number; loaded: number; rejected: number; newEvents: number; lateEvents: number; lastBatchMs: number | null };
  engines: { enabled: boolean; runs: number; errors: number; lastError: string | null; lastRunMs: number | null; lastTimings: Record<string, number>; backlog: number; watermark: string | null };
  incidents: { opened: number; escalated: number; reopened: number; latencyMs: { n: number; p50: number | null; p95: number | null; max: number | null }; recent: IncidentChange[] };
  risk: { runs: number; lastRunMs: number | null; lastError: string | null };
  notify: NotifierStats | null;
  memory: { rssMb: number; heapUsedMb: number };
}

const RECENT = 200;

export class RealtimeService {
  readonly queue: IngestQueue<Pending>;
  /** Commits, one at a time. */
  readonly lane = new SerialLane();
  /**
   * Engine runs, one at a time. On a PostgreSQL server they run beside the commits (the next batch is
   * written while the last one is judged); PGlite has one connection, so there it is the same lane.
   */
  readonly engineLane: SerialLane;
  private readonly pipelined: boolean;
  readonly engines: IncrementalEngines | null;
  readonly notifier: Notifier | null;
  private readonly registry: ConnectorRegistry;
  private consumer: Promise<void> | null = null;
  private enginePending: CommitSummary[] = [];
  private engineLoop: Promise<void> | null = null;
  private riskTimer: NodeJS.Timeout | null = null;
  private riskRunning: Promise<void> | null = null;
  private riskDirty = false;
  private riskNotBefore = 0;
  private batchSeq = 0;
  private readonly started = new Date();
  private readonly latencies: number[] = [];
  private readonly recent: IncidentChange[] = [];
  private readonly counters = {
    requests: 0, refused: 0, batches: 0, records: 0, loaded: 0, rejected: 0, newEvents: 0, lateEvents: 0, lastBatchMs: null as number | null,
    engineRuns: 0, engineErrors: 0, engineLastError: null as string | null, engineLastMs: null as number | null, engineTimings: {} as Record<string, number>,
    opened: 0, escalated: 0, reopened: 0, riskRuns: 0, riskLastMs: null as number | null, riskLastError: null as string | null,
  };
  private suppressionCache: SuppressionRule[] | null = null;

  constructor(private readonly db: Db, private readonly opts: RealtimeOptions) {
    this.queue = new IngestQueue<Pending>({ ...DEFAULT_QUEUE_LIMITS, ...opts.queue });
    this.pipelined = opts.pipeline ?? db.driver === 'pg';
    this.engineLane = this.pipelined ? new SerialLane() : this.lane;
    this.registry = opts.registry ?? defaultRegistry;
    this.notifier = opts.notify ? new Notifier(db, opts.notify) : null;
    this.engines = opts.engines === false ? null : new IncrementalEngines(db, {
      config: opts.config,
      suppressions: () => this.suppressions(),
      notify: this.notifier ? async (triage) => void (await this.notifier!.plan(triage)) : undefined,
    });
  }

  async start(): Promise<void> {
    await this.engines?.init();
    this.consumer = this.consume();
    const every = this.opts.riskIntervalMs ?? 60_000;
    if (this.engines && every > 0) {
      this.riskTimer = setInterval(() => this.maybeScore(), every);
      this.riskTimer.unref();
    }
    // Messages queued and not delivered before a restart go out now.
    this.notifier?.poke();
  }

  /** Room in the queue for a body of up to `bytes`, or null: answer 429 (or 503 while stopping). */
  reserve(bytes: number): Reservation<Pending> | null {
    const r = this.queue.reserve(bytes);
    if (!r) this.counters.refused++;
    return r;
  }

  /** Queue a body in the room reserved for it; resolves once it is committed (or refused as unreadable). */
  submit(reservation: Reservation<Pending>, job: BodyJob): Promise<{ outcome: BodyOutcome; batch: number }> {
    this.counters.requests++;
    const bytes = Buffer.byteLength(job.text);
    return new Promise((resolve) => reservation.fill({ job, bytes, resolve }, bytes));
  }

  get retryAfterSeconds(): number {
    return this.queue.retryAfterSeconds();
  }

  get stopping(): boolean {
    return this.queue.isClosed;
  }

  /** For the watcher: a commit in the lane, in one transaction, then the engines. */
  readonly commitRunner: CommitRunner = async (fn) => {
    const summary = await this.lane.run(() => this.db.transaction((tx) => fn(tx)));
    this.afterCommit(summary);
    return summary;
  };

  private async consume(): Promise<void> {
    const budget = this.opts.batchBytes ?? 8 * 1024 * 1024;
    for (;;) {
      const items = await this.queue.take(budget);
      if (!items.length) return;
      const started = performance.now();
      const batch = ++this.batchSeq;
      let outcomes: BodyOutcome[];
      let summary: CommitSummary;
      try {
        ({ outcomes, summary } = await this.lane.run(() => commitBodies(this.db, items.map((i) => i.job), { registry: this.registry })));
      } catch (err) {
        const error = `the store refused the write: ${(err as Error).message.split('\n')[0]}`;
        outcomes = items.map(() => ({ formats: [], records: 0, loaded: 0, rejected: 0, rejects: [], error, status: 500 as const }));
        summary = mergeSummaries([]);
      }
      const ms = performance.now() - started;
      this.queue.drained(items.reduce((n, i) => n + i.bytes, 0), ms);
      items.forEach((item, i) => item.resolve({ outcome: outcomes[i], batch }));
      const c = this.counters;
      c.batches++;
      c.records += summary.records;
      c.loaded += summary.loaded;
      c.rejected += summary.rejected;
      c.newEvents += summary.newEvents;
      c.lastBatchMs = Math.round(ms);
      this.opts.onEvent?.({ type: 'batch', requests: items.length, records: summary.records, loaded: summary.loaded, rejected: summary.rejected, newEvents: summary.newEvents, ms: Math.round(ms) });
      this.afterCommit(summary);
    }
  }

  private afterCommit(summary: CommitSummary): void {
    if (!this.engines || (summary.loaded === 0 && summary.newEvents === 0)) return;
    this.enginePending.push(summary);
    this.riskDirty = true;
    if (this.engineLoop) return;
    this.engineLoop = (async () => {
      while (this.enginePending.length) {
        const merged = mergeSummaries(this.enginePending.splice(0));
        const started = performance.now();
        const run = await this.engineLane.run(() => this.engines!.run(merged));
        const ms = Math.round(performance.now() - started);
        this.recordRun(run, ms);
        this.opts.onEvent?.({ type: 'engines', run, ms });
        for (const change of run.changes) this.opts.onEvent?.({ type: 'incident', change });
      }
    })().finally(() => {
      this.engineLoop = null;
    });
  }

  private recordRun(run: EngineRun, ms: number): void {
    const c = this.counters;
    c.engineRuns++;
    c.engineLastMs = ms;
    c.engineTimings = run.timings;
    c.lateEvents += run.late?.events ?? 0;
    if (run.error) {
      c.engineErrors++;
      c.engineLastError = run.error;
    }
    for (const ch of run.changes) {
      if (ch.change === 'opened') c.opened++;
      else if (ch.change === 'escalated') c.escalated++;
      else c.reopened++;
      this.latencies.push(ch.latencyMs);
      if (this.latencies.length > 1000) this.latencies.shift();
      this.recent.push(ch);
      if (this.recent.length > RECENT) this.recent.shift();
    }
  }

  /**
   * Risk is set-based over the whole store: at most once per interval, only after new data, and never
   * more than a tenth of the time (a store that takes 20 s to score waits 200 s between scorings), so
   * that a growing store does not turn scoring into a standing load on ingest.
   */
  private maybeScore(): void {
    if (!this.riskDirty || this.riskRunning || this.stopping || Date.now() < this.riskNotBefore) return;
    this.riskDirty = false;
    const run = async () => {
      const started = performance.now();
      let scored: number | null = null;
      let error: string | null = null;
      try {
        scored = (await scoreAll(this.db, { config: this.opts.config, parallel: false })).scored;
      } catch (err) {
        error = (err as Error).message.split('\n')[0];
      }
      const ms = Math.round(performance.now() - started);
      this.riskNotBefore = Date.now() + RISK_DUTY_FACTOR * ms;
      this.counters.riskRuns++;
      this.counters.riskLastMs = ms;
      this.counters.riskLastError = error;
      this.opts.onEvent?.({ type: 'risk', ms, scored, error });
    };
    // On a PostgreSQL server scoring runs beside ingest; PGlite has one connection, so it takes its turn.
    this.riskRunning = (this.db.driver === 'pg' ? run() : this.engineLane.run(run)).finally(() => {
      this.riskRunning = null;
    });
  }

  private suppressions(): SuppressionRule[] {
    // Read on every run: rules expire, and the file may be edited while the process runs. A file that
    // breaks mid-run keeps the last rules that were read.
    try {
      this.suppressionCache = loadSuppressions(this.opts.suppressionsFile).active;
    } catch {
      /* keep the last good rules */
    }
    return this.suppressionCache ?? [];
  }

  status(): RealtimeStatus {
    const c = this.counters;
    const lat = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : null);
    const d = this.queue.depth;
    const mem = process.memoryUsage();
    return {
      startedAt: this.started.toISOString(),
      queue: { items: d.items, bytes: d.bytes + d.reservedBytes, maxBytes: this.queue.limits.maxBytes, maxItems: this.queue.limits.maxItems, retryAfterS: this.queue.retryAfterSeconds() },
      ingest: { requests: c.requests, refused: c.refused, batches: c.batches, records: c.records, loaded: c.loaded, rejected: c.rejected, newEvents: c.newEvents, lateEvents: c.lateEvents, lastBatchMs: c.lastBatchMs },
      engines: {
        enabled: !!this.engines, runs: c.engineRuns, errors: c.engineErrors, lastError: c.engineLastError, lastRunMs: c.engineLastMs, lastTimings: c.engineTimings,
        backlog: this.enginePending.length, watermark: this.engines?.watermarkMs ? new Date(this.engines.watermarkMs).toISOString() : null,
      },
      incidents: { opened: c.opened, escalated: c.escalated, reopened: c.reopened, latencyMs: { n: lat.length, p50: pct(50), p95: pct(95), max: lat.length ? lat[lat.length - 1] : null }, recent: [...this.recent] },
      risk: { runs: c.riskRuns, lastRunMs: c.riskLastMs, lastError: c.riskLastError },
      notify: this.notifier ? { ...this.notifier.stats } : null,
      memory: { rssMb: Math.round(mem.rss / 1048576), heapUsedMb: Math.round(mem.heapUsed / 1048576) },
    };
  }

  /** Engines idle and nothing queued: for tests and benchmarks that wait for the pipeline to settle. */
  async settled(): Promise<void> {
    for (;;) {
      await this.lane.idle();
      if (this.engineLoop) await this.engineLoop;
      await this.engineLane.idle();
      if (this.queue.depth.items === 0 && !this.engineLoop && this.enginePending.length === 0 && this.lane.queued === 0 && this.engineLane.queued === 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Stop taking bodies (503), commit what was accepted, let the engines finish and the notifier
   * deliver for up to `notifyMs`. The watcher, if any, is stopped by its owner first.
   */
  async stop(opts: { notifyMs?: number } = {}): Promise<void> {
    this.queue.close();
    await this.consumer;
    if (this.riskTimer) clearInterval(this.riskTimer);
    while (this.engineLoop) await this.engineLoop;
    await this.riskRunning;
    await this.lane.idle();
    await this.engineLane.idle();
    await this.notifier?.stop(opts.notifyMs ?? 5000);
  }
}
