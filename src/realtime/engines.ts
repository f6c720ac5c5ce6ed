import { runTriage } from '../agent/triage.js';
import { deriveGraph } from '../engines/derive.js';
import { alertsById } from '../engines/correlate/alerts.js';
import { ChainResolver } from '../engines/correlate/chains.js';
import { FactBook } from '../engines/correlate/facts.js';
import { anchorAlerts, storyKey } from '../engines/correlate/grouping.js';
import { ENGINE as DETECTIONS, runDetections, type BurstWindows } from '../engines/detections/run.js';
import { SEVERITY_RANK, type Config, type Severity, type SuppressionRule, type TriageResult } from '../model/index.js';
import type { Db } from '../store/index.js';
import { loadRules, type RuleSet } from '../engines/detections/load.js';
import { riskSettings, type RiskSettings } from '../engines/risk/settings.js';
import { judgeLate } from './late.js';
import type { CommitSummary } from './writer.js';

/**
 * The engines, run on what a commit changed rather than on the whole store:
 *
 *   graph        ownership and identity resolution, only when inventory or ownership records arrived
 *   detections   the rules and baselines on events past their watermark (the engine is incremental);
 *                events that arrived older than it are judged apart (./late.ts)
 *   correlate    only the alerts that changed since the last run (the alerts' change feed, migration
 *                009), together with the stored incidents of the same stories, so that an incident
 *                keeps all its evidence and its id; never the whole window
 *   history      an incident whose severity rose is recorded as escalated, with the evidence that did it
 *   notify       the incidents just correlated go to the notifier, which announces the new, escalated
 *                and reopened ones
 *
 * Risk scoring is set-based over the whole store (src/engines/risk): it runs on its own cadence
 * (./service.ts), not per commit.
 */
export interface IncidentChange {
  id: string;
  change: 'opened' | 'escalated' | 'reopened';
  severity: Severity;
  previousSeverity: Severity | null;
  score: number;
  title: string;
  rootIdentity: string;
  /** The alerts of this run that concern it. */
  alerts: string[];
  /** When the change was recorded (epoch ms). */
  at: number;
  /** From the arrival of the oldest input of the commits this run covered. */
  latencyMs: number;
}

export interface EngineRun {
  detections: { mode: string; events: number; alerts: number } | null;
  late: { events: number; alerts: number } | null;
  alerts: number;
  stories: number;
  changes: IncidentChange[];
  timings: Record<string, number>;
  error: string | null;
}

export interface EngineOptions {
  config: Config;
  /** Active suppression rules, asked for on every run (the file may change while watch runs). */
  suppressions?: () => SuppressionRule[];
  /** Quiet gap that splits a root's alerts into two stories (triage's default, 72 h). */
  gapMs?: number;
  /** Triage's result for the incidents a run touched: the notifier plans its messages from it. */
  notify?: (triage: TriageResult) => Promise<void>;
}

const STATE = 'realtime';
const HOUR = 3_600_000;
const CLOSED = new Set(['resolved', 'false_positive', 'suppressed']);

interface IncidentState {
  id: string;
  severity: Severity;
  score: number;
  status: string;
  title: string;
  root: string;
  lastMs: number | null;
  alerts: string[];
}

export class IncrementalEngines {
  private alertSeq = 0;
  /** The detections' watermark (epoch ms), as of the last look. */
  watermarkMs: number | null = null;
  /** Burst windows kept between runs: each run starts at the watermark instead of replaying 15 minutes of events. */
  private readonly windows: BurstWindows = { map: new Map(), warm: false };

  /** Read once: a run every second must not parse the rule pack and the risk defaults every time. */
  private readonly rules: RuleSet;
  private readonly settings: RiskSettings;

  constructor(private readonly db: Db, private readonly opts: EngineOptions) {
    this.rules = loadRules();
    this.settings = riskSettings(opts.config.risk);
  }

  /**
   * Where the alerts' change feed was left. The first start begins at the feed's end: incidents from
   * before real time was switched on are triage's business, not a burst of messages to on-call.
   */
  async init(): Promise<void> {
    const [row] = await this.db.query<{ detail: { alertSeq?: number } | null }>('SELECT detail FROM engine_state WHERE engine = $1', [STATE]);
    if (row?.detail?.alertSeq !== undefined) this.alertSeq = Number(row.detail.alertSeq);
    else {
      const [m] = await this.db.query<{ seq: number | null }>('SELECT max(change_seq)::bigint AS seq FROM alerts');
      this.alertSeq = Number(m?.seq ?? 0);
      await this.saveSeq();
    }
    await this.readWatermark();
  }

  private watermarkId = '';

  private async readWatermark(): Promise<void> {
    const [d] = await this.db.query<{ watermark: Date | null; watermark_id: string | null }>('SELECT watermark, watermark_id FROM engine_state WHERE engine = $1', [DETECTIONS]);
    this.watermarkMs = d?.watermark ? new Date(d.watermark).getTime() : null;
    this.watermarkId = d?.watermark_id ?? '';
  }

  private async saveSeq(): Promise<void> {
    await this.db.query(`
      INSERT INTO engine_state (engine, watermark, updated_at, detail) VALUES ($1, now(), now(), $2)
      ON CONFLICT (engine) DO UPDATE SET updated_at = now(), detail = excluded.detail`, [STATE, JSON.stringify({ alertSeq: this.alertSeq })]);
  }

  async run(commit: CommitSummary): Promise<EngineRun> {
    const out: EngineRun = { detections: null, late: null, alerts: 0, stories: 0, changes: [], timings: {}, error: null };
    let mark = performance.now();
    const lap = (name: string) => {
      const t = performance.now();
      out.timings[name] = Math.round(t - mark);
      mark = t;
    };
    const cfg = this.opts.config;
    try {
      if (commit.inventory) {
        await deriveGraph(this.db);
        lap('graph');
      }
      if (commit.newEvents > 0) {
        // What the detections will not read: events not after their watermark (time, id) as this run
        // starts. That is what arrived out of order, and, beside a run that was paging through the store
        // when it was committed, what that run passed over (some of it that run may have read: judged
        // twice, an event raises the same alert ids again, never a second alert).
        await this.readWatermark();
        const late = this.lateOf(commit);
        const bound = this.watermarkMs === null ? undefined : { time: new Date(this.watermarkMs), id: this.watermarkId };
        const d = await runDetections(this.db, { config: cfg, rules: this.rules, settings: this.settings, windows: this.windows });
        out.detections = { mode: d.mode, events: d.events, alerts: d.alerts.rules + d.alerts.baseline };
        lap('detect');
        if (late.length) {
          out.late = await judgeLate(this.db, late, { config: cfg, rules: this.rules, notAfter: bound });
          lap('late');
        }
        await this.readWatermark();
      }
      await this.correlateChanged(commit, out, lap);
    } catch (err) {
      // What was committed stays committed; the next run picks the changed alerts up again, and
      // replays the burst windows from the store (they may hold events of a run that did not commit).
      this.windows.warm = false;
      out.error = (err as Error).message.split('\n')[0];
    }
    return out;
  }

  /** Candidates by time alone (the watermark's second included); judgeLate applies the exact bound in SQL. */
  private lateOf(commit: CommitSummary): string[] {
    const wm = this.watermarkMs;
    if (wm === null) return [];
    const out: string[] = [];
    const { ids, ms } = commit.written;
    for (let i = 0; i < ids.length; i++) if (ms[i] <= wm) out.push(ids[i]);
    return out;
  }

  private async correlateChanged(commit: CommitSummary, out: EngineRun, lap: (name: string) => void): Promise<void> {
    const changed = await this.db.query<{ id: string; seq: number }>(
      'SELECT id, change_seq::bigint AS seq FROM alerts WHERE change_seq > $1 ORDER BY change_seq', [this.alertSeq]);
    if (!changed.length) return;
    const maxSeq = Math.max(...changed.map((r) => Number(r.seq)));
    out.alerts = changed.length;
    const touched = await alertsById(this.db, changed.map((r) => r.id));
    const { anchored } = await anchorAlerts(this.db, touched, new ChainResolver(this.db));
    const facts = new FactBook(this.db);
    await facts.load(anchored.flatMap((x) => [...x.chain.links.map((l) => l.identity), ...(x.chain.person ? [x.chain.person] : [])]));
    const keys = [...new Set(anchored.map((x) => storyKey(x.chain, (id) => facts.kind(id))))];
    out.stories = keys.length;
    lap('anchor');

    // The stored incidents of these stories that the new alerts may join: their alerts go in too.
    const gapMs = this.opts.gapMs ?? 72 * HOUR;
    const earliest = Math.min(...touched.map((a) => a.ms));
    const before = await this.incidentsOf(keys);
    const alertIds = new Set(touched.map((a) => a.id));
    for (const inc of before.values()) if (inc.lastMs === null || inc.lastMs >= earliest - gapMs) for (const a of inc.alerts) alertIds.add(a);

    const triage = await runTriage(this.db, {
      config: this.opts.config, alertIds: [...alertIds], detect: false, narrator: 'deterministic', embed: false,
      top: 100, gapMs, suppressions: this.opts.suppressions?.() ?? [],
    });
    lap('correlate');

    const after = await this.incidentsOf(keys);
    const now = Date.now();
    const touchedIds = new Set(touched.map((a) => a.id));
    const escalations: { inc: IncidentState; from: IncidentState; evidence: string[] }[] = [];
    for (const inc of after.values()) {
      // An acknowledged incident that gets worse is news too; a closed one stays closed unless reopened.
      if (inc.status !== 'open' && inc.status !== 'acknowledged') continue;
      const prev = before.get(inc.id);
      const evidence = inc.alerts.filter((a) => touchedIds.has(a));
      if (!evidence.length) continue;
      let change: IncidentChange['change'] | null = null;
      if (!prev) change = inc.status === 'open' ? 'opened' : null;
      else if (CLOSED.has(prev.status)) change = 'reopened';
      else if (SEVERITY_RANK[inc.severity] > SEVERITY_RANK[prev.severity]) {
        change = 'escalated';
        escalations.push({ inc, from: prev, evidence });
      }
      if (!change) continue;
      out.changes.push({
        id: inc.id, change, severity: inc.severity, previousSeverity: prev?.severity ?? null, score: inc.score, title: inc.title,
        rootIdentity: inc.root, alerts: evidence.slice(0, 50), at: now, latencyMs: now - commit.receivedAt,
      });
    }
    if (escalations.length) await this.recordEscalations(escalations, touched, triage.asOf);
    lap('history');

    if (this.opts.notify && triage.incidents.length) {
      await this.opts.notify(triage);
      lap('notify');
    }
    this.alertSeq = maxSeq;
    await this.saveSeq();
  }

  private async incidentsOf(keys: string[]): Promise<Map<string, IncidentState>> {
    if (!keys.length) return new Map();
    const rows = await this.db.query(`
      SELECT id, severity, score, status, title, root_identity, last_seen, alerts::text AS alerts FROM incidents WHERE story_key = ANY($1::text[])`, [keys]);
    return new Map(rows.map((r) => [r.id, {
      id: r.id, severity: r.severity, score: Number(r.score), status: r.status, title: r.title, root: r.root_identity,
      lastMs: r.last_seen ? new Date(r.last_seen).getTime() : null, alerts: JSON.parse(r.alerts) as string[],
    }]));
  }

  /** History says when and by what evidence an incident became more severe. */
  private async recordEscalations(list: { inc: IncidentState; from: IncidentState; evidence: string[] }[], touched: { id: string; title: string; severity: Severity; events: string[] }[], asOf: string): Promise<void> {
    const byId = new Map(touched.map((a) => [a.id, a]));
    await this.db.query(`
      INSERT INTO incident_history (incident_id, at, action, actor, reason, detail)
      SELECT x.id, now(), 'escalated', 'copilot', x.reason, x.detail FROM json_to_recordset($1::json) AS x(id text, reason text, detail jsonb)`,
    [JSON.stringify(list.map(({ inc, from, evidence }) => {
      const alerts = evidence.map((id) => byId.get(id)).filter((a): a is NonNullable<typeof a> => !!a);
      const strongest = [...alerts].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
      return {
        id: inc.id,
        reason: `${from.severity} -> ${inc.severity}: ${alerts.length} new alert(s)${strongest ? `, ${strongest.severity}: ${strongest.title}` : ''}`,
        detail: {
          from: from.severity, to: inc.severity, scoreFrom: from.score, scoreTo: inc.score, asOf,
          alerts: evidence.slice(0, 20), events: [...new Set(alerts.flatMap((a) => a.events))].slice(0, 20),
        },
      };
    }))]);
  }
}
