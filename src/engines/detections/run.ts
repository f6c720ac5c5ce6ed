import { matchesAny } from '../../lib/patterns.js';
import { RECORD_SCHEMAS, Severity, type AlertInput, type Config } from '../../model/index.js';
import { BulkWriter, type Db } from '../../store/index.js';
import { BaselineDetector, type DeviationKind, type OpenGroup, type SubjectFacts } from '../baseline/detector.js';
import { SeenState } from '../baseline/state.js';
import { riskSettings, type RiskSettings } from '../risk/settings.js';
import { RuleEvaluator, type Window } from './evaluate.js';
import { loadRules, type RuleSet } from './load.js';
import { EVENT_SQL, FactsCache, viewFromRow, type EventView } from './view.js';

/**
 * Detections over the events in the store: the rule pack and the behaviour baselines in one pass in
 * time order. Two modes:
 *
 * - full (the first run, or `--since D`): the seen state is rebuilt from history. With `since`, what
 *   happened before D is the baseline and everything from D on is judged; without, the first
 *   `baselineLearnDays` of logs are the baseline (stateless rules still judge them). The copilot's own
 *   alerts from the judged period are replaced, so a re-run gives the same alerts.
 * - incremental (after each ingest): only events after the last run's watermark, against the stored
 *   state; burst windows re-read the longest window before the watermark so that a burst spanning two
 *   ingests is still seen.
 *
 * Times are the data's. Events that arrive older than the watermark are left to `detect --since`.
 */
export interface DetectOptions {
  since?: string | Date;
  config?: Config;
  settings?: RiskSettings;
  rules?: RuleSet;
  /** Run the behaviour baselines (default true). */
  baselines?: boolean;
  pageSize?: number;
  /** Lowest severity a baseline deviation must reach to be an alert on its own (default medium; lower ones need company). */
  baselineMinSeverity?: Severity;
  /**
   * Burst windows kept by the caller between incremental runs (src/realtime): the run then starts at the
   * watermark instead of replaying the longest window before it. Pass an empty map on the first run of a
   * process (it replays once and fills it), the same map after.
   */
  windows?: BurstWindows;
}

/** Burst windows that outlive one run, and whether they are warm (filled by an earlier run of this process). */
export interface BurstWindows {
  map: Map<string, Window>;
  warm: boolean;
}

export interface DetectResult {
  mode: 'full' | 'incremental' | 'none';
  /** Events judged from here on (ISO); null when there were none. */
  from: string | null;
  /** Baselines and first-time state learned up to here. */
  cutoff: string | null;
  watermark: string | null;
  events: number;
  alerts: { rules: number; baseline: number; byRule: Record<string, number>; byKind: Record<string, number> };
  durationMs: number;
  /** Where the time went: reading events, judging them, writing state and alerts (ms). */
  timings: { read: number; judge: number; write: number };
}

export const ENGINE = 'detections';
const SOURCES = ['copilot:rules', 'copilot:baseline'];
const DAY = 86_400_000;

export async function runDetections(db: Db, opts: DetectOptions = {}): Promise<DetectResult> {
  const started = performance.now();
  const settings = opts.settings ?? riskSettings(opts.config?.risk);
  const t = settings.thresholds;
  const rules = opts.rules ?? loadRules();
  const [range] = await db.query<{ min: Date | null; max: Date | null }>(`SELECT min(time) AS min, max(time) AS max FROM events WHERE provider <> 'copilot'`);
  const timings = { read: 0, judge: 0, write: 0 };
  const empty: DetectResult = { mode: 'none', from: null, cutoff: null, watermark: null, events: 0, alerts: { rules: 0, baseline: 0, byRule: {}, byKind: {} }, durationMs: 0, timings };
  if (!range?.min || !range.max) return { ...empty, durationMs: Math.round(performance.now() - started) };
  const minMs = new Date(range.min).getTime();
  const maxMs = new Date(range.max).getTime();
  const [prev] = await db.query<{ watermark: Date | null; watermark_id: string | null; cutoff: Date | null; detail: { logStart?: string } }>(
    'SELECT watermark, watermark_id, cutoff, detail FROM engine_state WHERE engine = $1', [ENGINE]);

  const since = opts.since !== undefined ? new Date(opts.since).getTime() : null;
  if (since !== null && Number.isNaN(since)) throw new Error(`since: "${String(opts.since)}" is not a time`);
  const full = since !== null || !prev?.watermark;
  // Without --since, learn from the first baselineLearnDays of logs, or the first half when there are fewer.
  const cutoffMs = full ? since ?? minMs + Math.min(t.baselineLearnDays * DAY, (maxMs - minMs) / 2) : new Date(prev!.cutoff ?? prev!.watermark!).getTime();
  const alertFrom = full ? since ?? minMs : new Date(prev!.watermark!).getTime();
  const logStartMs = full ? minMs : prev?.detail?.logStart ? Date.parse(prev.detail.logStart) : minMs;
  if (!full && new Date(prev!.watermark!).getTime() >= maxMs) {
    return { ...empty, mode: 'incremental', from: null, cutoff: new Date(cutoffMs).toISOString(), watermark: new Date(maxMs).toISOString(), durationMs: Math.round(performance.now() - started) };
  }

  const state = new SeenState(db, full, t.baselineMaxValuesPerDim);
  // Windows kept by the caller go on from where its last run left them; anything else starts empty.
  const warm = !full && opts.windows?.warm === true;
  if (opts.windows && !warm) opts.windows.map.clear();
  const evaluator = new RuleEvaluator(rules, state, opts.windows?.map);
  const classify = await classifier(db, opts.config?.crownJewels.map((c) => c.resource) ?? []);
  const facts = new Map<string, SubjectFacts>();
  const identityFacts = new FactsCache();
  const baseline = opts.baselines === false ? null : new BaselineDetector({
    state, thresholds: t, classify, facts: (s) => facts.get(s), logStartMs,
  });

  // An incremental run continues the hours the last run reported, so that their counts keep growing.
  if (baseline && !full) baseline.reopen(await openGroups(db, new Date(prev!.watermark!).getTime()));

  // Incremental: start one burst window before the watermark, replaying without learning.
  const watermarkMs = full ? null : new Date(prev!.watermark!).getTime();
  const watermarkId = full ? null : prev!.watermark_id ?? '';
  let cursor: { time: Date; id: string } = full
    ? { time: new Date(minMs - 1), id: '' }
    : warm ? { time: new Date(watermarkMs!), id: watermarkId! } : { time: new Date(watermarkMs! - rules.maxWindowMs - 1), id: '' };
  const pageSize = opts.pageSize ?? 5000;
  let events = 0;
  let last: EventView | null = null;
  for (;;) {
    let mark = performance.now();
    // The copilot's own audit events (provider copilot) are not identity activity to judge.
    const rows = await db.query(`${EVENT_SQL} WHERE (e.time, e.id) > ($1::timestamptz, $2::text) AND e.provider <> 'copilot' ORDER BY e.time, e.id LIMIT ${pageSize}`, [cursor.time, cursor.id]);
    if (rows.length === 0) break;
    const views = rows.map(viewFromRow);
    await identityFacts.hydrate(db, views);
    const subjects = new Set<string>();
    for (const v of views) {
      const s = BaselineDetector.subjectOf(v);
      if (s) {
        subjects.add(s);
        const c = BaselineDetector.callerOf(v, s);
        if (c) subjects.add(c);
      }
      evaluator.subjectsOf(v, subjects);
    }
    await state.load(subjects);
    if (baseline) await loadFacts(db, views, state, facts);
    timings.read += performance.now() - mark;
    mark = performance.now();
    for (const v of views) {
      const replay = watermarkMs !== null && (v.ms < watermarkMs || (v.ms === watermarkMs && v.id <= watermarkId!));
      const alert = !replay && v.ms >= alertFrom;
      const judge = alert && v.ms > cutoffMs;
      evaluator.observe(v, { alert, judge, learn: !replay });
      if (!replay) {
        baseline?.observe(v, judge);
        events++;
      }
    }
    last = views[views.length - 1];
    cursor = { time: new Date(last.time), id: last.id };
    evaluator.prune(last.ms, rules.maxWindowMs);
    timings.judge += performance.now() - mark;
  }
  const writeStart = performance.now();

  const ruleAlerts = [...evaluator.alerts.values()];
  const baselineAlerts = baseline?.alerts(opts.baselineMinSeverity ?? 'medium') ?? [];
  await db.transaction(async (tx) => {
    if (full) {
      await tx.query('DELETE FROM seen_values');
      await tx.query('DELETE FROM seen_rates');
      await tx.query('DELETE FROM alerts WHERE source = ANY($1::text[]) AND time >= $2', [SOURCES, new Date(alertFrom)]);
    }
    await state.flush(tx);
    if (!full) await addCounts(tx, baselineAlerts);
    const w = new BulkWriter(tx);
    for (const a of [...ruleAlerts, ...baselineAlerts]) w.add({ kind: 'alert', value: RECORD_SCHEMAS.alert.parse(a) });
    await w.flush();
    const wm = last && (!watermarkMs || last.ms >= watermarkMs) ? { time: new Date(last.time), id: last.id } : { time: new Date(watermarkMs!), id: watermarkId };
    await tx.query(`
      INSERT INTO engine_state (engine, watermark, watermark_id, cutoff, updated_at, detail) VALUES ($1, $2, $3, $4, now(), $5)
      ON CONFLICT (engine) DO UPDATE SET watermark = excluded.watermark, watermark_id = excluded.watermark_id, cutoff = excluded.cutoff,
        updated_at = now(), detail = excluded.detail`,
      [ENGINE, wm.time, wm.id, new Date(cutoffMs), JSON.stringify({ logStart: new Date(logStartMs).toISOString(), rules: rules.rules.length })]);
  });

  timings.write = performance.now() - writeStart;
  if (opts.windows) opts.windows.warm = true;
  const byKind: Record<string, number> = {};
  for (const a of baselineAlerts) byKind[String(a.rule).replace('baseline:', '')] = (byKind[String(a.rule).replace('baseline:', '')] ?? 0) + 1;
  return {
    mode: full ? 'full' : 'incremental',
    from: new Date(alertFrom).toISOString(),
    cutoff: new Date(cutoffMs).toISOString(),
    watermark: last ? last.time : null,
    events,
    alerts: { rules: ruleAlerts.length, baseline: baselineAlerts.length, byRule: Object.fromEntries(evaluator.counts), byKind },
    durationMs: Math.round(performance.now() - started),
    timings: { read: Math.round(timings.read), judge: Math.round(timings.judge), write: Math.round(timings.write) },
  };
}

/** Restricted and confidential resources, and crown jewels, by id: what makes a first access serious. */
async function classifier(db: Db, crownJewels: string[]): Promise<(resource: string) => string | null> {
  const rows = await db.query<{ id: string; classification: string | null; crown: boolean }>(`
    SELECT id, classification, coalesce(tags->>'crown-jewel', '') ~* '^(true|yes|1)$' AS crown FROM resources
    WHERE classification IN ('restricted', 'confidential') OR coalesce(tags->>'crown-jewel', '') ~* '^(true|yes|1)$'`);
  const known = new Map(rows.map((r) => [r.id, r.crown ? 'crown-jewel' : r.classification]));
  return (resource) => {
    if (crownJewels.length && matchesAny(resource, crownJewels)) return 'crown-jewel';
    return known.get(resource) ?? null;
  };
}

/** Inventory facts (created, origin) for actors the state has never seen: dormancy needs them. */
async function loadFacts(db: Db, views: EventView[], state: SeenState, facts: Map<string, SubjectFacts>): Promise<void> {
  const want = new Set<string>();
  for (const v of views) {
    const s = BaselineDetector.subjectOf(v);
    if (s && !facts.has(s) && !state.rate(s)) want.add(s);
  }
  if (!want.size) return;
  const rows = await db.query<{ id: string; created_at: Date | null; origin: string; kind: string; creds: number; last_used: Date | null }>(`
    SELECT i.id, i.created_at, i.origin, i.kind, count(c.id)::int AS creds, max(c.last_used_at) AS last_used
    FROM identities i LEFT JOIN credentials c ON c.identity_id = i.id AND c.origin <> 'log' AND c.type <> 'session_key'
    WHERE i.id = ANY($1::text[]) GROUP BY i.id, i.created_at, i.origin, i.kind`, [[...want]]);
  for (const r of rows) {
    facts.set(r.id, {
      createdMs: r.created_at ? new Date(r.created_at).getTime() : null, origin: r.origin, kind: r.kind,
      inventoryCredentials: r.creds, credentialLastUsedMs: r.last_used ? new Date(r.last_used).getTime() : null,
    });
  }
  for (const s of want) if (!facts.has(s)) facts.set(s, { createdMs: null, origin: 'log', kind: 'unknown', inventoryCredentials: 0, credentialLastUsedMs: null });
}

/** An incremental run adds to an hour already reported: the alert keeps the total. */
async function addCounts(db: Db, alerts: AlertInput[]): Promise<void> {
  if (!alerts.length) return;
  const rows = await db.query<{ id: string; n: number }>(`SELECT id, (detail->>'count')::int AS n FROM alerts WHERE id = ANY($1::text[])`, [alerts.map((a) => a.id)]);
  const old = new Map(rows.map((r) => [r.id, r.n ?? 0]));
  for (const a of alerts) {
    const n = old.get(a.id);
    if (n && a.detail) a.detail.count = Number(a.detail.count ?? 0) + n;
  }
}

/** Baseline alerts of the hour the watermark is in (and later): an incremental run adds to them. */
async function openGroups(db: Db, watermarkMs: number): Promise<OpenGroup[]> {
  const hour = new Date(Math.floor(watermarkMs / 3_600_000) * 3_600_000).toISOString();
  const rows = await db.query<{ subject: string; kind: string; hour: string; values: Record<string, number> | null; severity: string; notes: string[] | null; time: Date }>(`
    SELECT identities->>0 AS subject, detail->>'kind' AS kind, detail->>'hour' AS hour, detail->'values' AS values, severity, detail->'notes' AS notes, time
    FROM alerts WHERE source = 'copilot:baseline' AND detail->>'hour' >= $1`, [hour]);
  return rows.filter((r) => r.subject && r.kind && r.hour).map((r) => ({
    subject: r.subject, kind: r.kind as DeviationKind, hour: Date.parse(r.hour), values: Object.keys(r.values ?? {}),
    severity: Severity.catch('low').parse(r.severity), notes: Array.isArray(r.notes) ? r.notes : [], firstTime: new Date(r.time).toISOString(),
  }));
}
