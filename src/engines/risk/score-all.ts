import { MACHINE_KINDS, OWASP_NHI_TITLES, type Config } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { PROVIDER_MANAGED_SQL } from '../inventory.js';
import { externalPrivesc, type PrivescSource } from './privesc.js';
import { scoreSql, SEVERITY_OF_WEIGHT_SQL } from './score.js';
import { riskSettings, type RiskSettings } from './settings.js';
import { OWN_TITLES, PARAMS, PARAMS_MARK, PREP, SIGNALS } from './signals.js';

/**
 * Re-score every identity in a few set-based statements, in one transaction:
 *
 * 1. shared aggregates (entitlements per identity, event use per actor and per credential) go into
 *    temporary tables, one pass each;
 * 2. every signal query (./signals.ts) writes its rows into a temporary table;
 * 3. one aggregate keeps, per identity and code, the strongest signal's weight and evidence with the
 *    details of all of them (the factors);
 * 4. the findings and risk_scores tables become exactly those factors and their scores, writing only
 *    what changed (a finding keeps first_seen; last_seen is the data time of its last change);
 * 5. the day's posture snapshot is written from the same data.
 *
 * A score is `scoreSql` over the same factors the findings hold, in the same transaction, so the two
 * cannot disagree. Time is the data's: asOf is the latest event in the store.
 */
export interface ScoreOptions {
  config?: Config;
  settings?: RiskSettings;
  /** Score as of this data time instead of the latest event. */
  asOf?: Date;
  /** Privilege-escalation paths from another engine; by default src/engines/privesc when present. */
  privesc?: PrivescSource | null;
  /**
   * Let PostgreSQL spread the statements over parallel workers (default true). Real time scores beside
   * live ingest and turns it off, so that scoring takes one core and ingest keeps the other.
   */
  parallel?: boolean;
}

export interface ScoreSummary {
  asOf: string;
  identities: number;
  /** Identities with at least one factor. */
  scored: number;
  meanScore: number;
  bands: Record<string, number>;
  /** Identities per factor code. */
  factors: Record<string, number>;
  /** Rows per signal (code.signal), and the milliseconds each signal query took. */
  signals: Record<string, number>;
  timings: Record<string, number>;
  privescSource: string;
  durationMs: number;
}

export const RISK_ENGINE = 'risk';

export async function scoreAll(db: Db, opts: ScoreOptions = {}): Promise<ScoreSummary> {
  const started = performance.now();
  const settings = opts.settings ?? riskSettings(opts.config?.risk);
  const t = settings.thresholds;
  const asOf = opts.asOf ?? (await dataTime(db));
  const params = [
    asOf, [...MACHINE_KINDS], Math.round(t.staleAfterDays), Math.round(t.keyMaxAgeDays), t.longLivedFactor, Math.round(t.lookbackDays),
    Math.round(t.reuseNetworks), Math.round(t.reuseAgents), Math.round(t.wideReachIdentities), t.unusedServiceShare, Math.round(t.evidenceCap),
  ];
  const privesc = opts.privesc === undefined ? await externalPrivesc() : opts.privesc;
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round((timings[name] ?? 0) + performance.now() - t0);
    }
  };

  await time('analyze', () => refreshStatistics(db, ['identities', 'credentials', 'edges', 'entitlements', 'events', 'alerts', 'resources', 'findings']));
  return db.transaction(async (tx) => {
    // JIT compilation costs a second or two per statement here (seen as the first row of a tiny scan
    // arriving late), more than it saves on statements that each take well under a second.
    if (db.driver === 'pg') await tx.exec('SET LOCAL jit = off');
    if (db.driver === 'pg' && opts.parallel === false) await tx.exec('SET LOCAL max_parallel_workers_per_gather = 0');
    await tx.exec(`
      CREATE TEMP TABLE risk_signal (n bigserial, identity_id text NOT NULL, code text NOT NULL, signal text NOT NULL, evidence text[], detail text) ON COMMIT DROP;
      CREATE TEMP TABLE risk_weight (key text PRIMARY KEY, code text NOT NULL, weight real NOT NULL) ON COMMIT DROP;`);
    for (const [i, sql] of PREP.entries()) await time(`prep#${i}`, () => (sql.includes(PARAMS_MARK) ? tx.query(sql.replace(PARAMS_MARK, PARAMS), params) : tx.query(sql)));
    // Accurate row counts for the temporary tables: the signals join them, and guessed sizes pick nested loops.
    await time('prep#analyze', () => tx.exec('ANALYZE risk_owner; ANALYZE risk_people; ANALYZE risk_ent; ANALYZE risk_use; ANALYZE risk_cred_use; ANALYZE risk_people_use;'));
    const weights = Object.entries(settings.weights);
    await tx.query(`INSERT INTO risk_weight (key, code, weight) SELECT k, split_part(k, '.', 1), w FROM unnest($1::text[], $2::real[]) AS x(k, w)`,
      [weights.map(([k]) => k), weights.map(([, w]) => w)]);

    // Escalation paths from the privesc engine when it is there and works; entitlement levels otherwise.
    let privescSource = 'entitlements';
    if (privesc) {
      await time('NHI5#privesc-engine', async () => {
        try {
          const paths = await privesc.find(tx);
          await tx.query(`INSERT INTO risk_signal (identity_id, code, signal, evidence, detail)
            SELECT x.id, 'NHI5', 'privesc', ARRAY(SELECT jsonb_array_elements_text(x.ev)), x.detail
            FROM jsonb_to_recordset($1::jsonb) AS x(id text, ev jsonb, detail text) JOIN identities i ON i.id = x.id`,
            [JSON.stringify(paths.map((p) => ({ id: p.identityId, ev: p.evidence.slice(0, t.evidenceCap), detail: p.detail })))]);
          privescSource = privesc.name;
        } catch (err) {
          privescSource = `entitlements (${privesc.name} failed: ${(err as Error).message.split('\n')[0]})`;
        }
      });
    }
    for (const [i, s] of SIGNALS.entries()) {
      if (s.fallbackForPrivesc && privescSource === privesc?.name) continue;
      await time(`${s.code}#${i}`, () => tx.query(`INSERT INTO risk_signal (identity_id, code, signal, evidence, detail)
        SELECT identity_id, '${s.code}', signal, evidence, detail
        FROM (WITH ${PARAMS}${s.ctes ? `, ${s.ctes}` : ''} ${s.select}) AS q(identity_id, signal, evidence, detail)
        WHERE identity_id IS NOT NULL`, params));
    }

    const titles = { ...OWASP_NHI_TITLES, ...OWN_TITLES } as Record<string, string>;
    // One factor per identity and code: the strongest signal's weight and evidence, every signal's detail.
    await time('aggregate', () => tx.exec(`
      CREATE TEMP TABLE risk_factor ON COMMIT DROP AS
      SELECT f.identity_id, f.code, f.weight, f.detail, coalesce(s.evidence, ARRAY[]::text[]) AS evidence
      FROM (
        SELECT s.identity_id, s.code, max(w.weight) AS weight, (array_agg(s.n ORDER BY w.weight DESC, s.n))[1] AS top,
               string_agg(s.detail, '; ' ORDER BY w.weight DESC, s.n) AS detail
        FROM risk_signal s JOIN risk_weight w ON w.key = s.code || '.' || s.signal WHERE w.weight > 0
        GROUP BY s.identity_id, s.code) f
      JOIN risk_signal s ON s.n = f.top;
      ANALYZE risk_factor;`));
    // Only what changed is written: most factors hold from one scoring to the next.
    await time('findings', async () => {
      await tx.query(`DELETE FROM findings f WHERE NOT EXISTS (SELECT 1 FROM risk_factor r WHERE r.identity_id = f.identity_id AND r.code = f.code)`);
      await tx.query(`
        INSERT INTO findings (identity_id, code, title, severity, weight, evidence, detail, first_seen, last_seen)
        SELECT r.identity_id, r.code, coalesce(t.title, r.code), ${SEVERITY_OF_WEIGHT_SQL('r.weight')}, r.weight, to_jsonb(r.evidence),
               coalesce(r.detail, ''), $1, $1
        FROM risk_factor r LEFT JOIN jsonb_each_text($2::jsonb) AS t(code, title) ON t.code = r.code
        LEFT JOIN findings f ON f.identity_id = r.identity_id AND f.code = r.code
        WHERE f.identity_id IS NULL OR (f.weight, f.detail, f.evidence, f.title) IS DISTINCT FROM (r.weight, coalesce(r.detail, ''), to_jsonb(r.evidence), coalesce(t.title, r.code))
        ON CONFLICT (identity_id, code) DO UPDATE SET title = excluded.title, severity = excluded.severity, weight = excluded.weight,
          evidence = excluded.evidence, detail = excluded.detail, last_seen = excluded.last_seen`,
        [asOf, JSON.stringify(titles)]);
    });
    await time('scores', async () => {
      await tx.exec(`
        CREATE TEMP TABLE risk_score ON COMMIT DROP AS
        SELECT identity_id, ${scoreSql('weight')} AS score, count(*)::int AS factors FROM risk_factor GROUP BY identity_id;
        DELETE FROM risk_scores s WHERE NOT EXISTS (SELECT 1 FROM risk_score r WHERE r.identity_id = s.identity_id);
        INSERT INTO risk_scores (identity_id, score, factors)
        SELECT r.identity_id, r.score, r.factors FROM risk_score r LEFT JOIN risk_scores s ON s.identity_id = r.identity_id
        WHERE s.identity_id IS NULL OR (s.score, s.factors) IS DISTINCT FROM (r.score, r.factors)
        ON CONFLICT (identity_id) DO UPDATE SET score = excluded.score, factors = excluded.factors;`);
    });

    const summary = await time('snapshot', () => snapshot(tx, asOf, settings));
    const [signals] = await tx.query<{ s: Record<string, number> | null }>(
      `SELECT jsonb_object_agg(k, n) AS s FROM (SELECT code || '.' || signal AS k, count(*)::int AS n FROM risk_signal GROUP BY 1) x`);
    const result: ScoreSummary = {
      ...summary,
      signals: signals?.s ?? {},
      timings,
      privescSource,
      durationMs: Math.round(performance.now() - started),
    };
    await tx.query(`
      INSERT INTO engine_state (engine, watermark, updated_at, detail) VALUES ($1, $2, now(), $3)
      ON CONFLICT (engine) DO UPDATE SET watermark = excluded.watermark, updated_at = now(), detail = excluded.detail`,
      [RISK_ENGINE, asOf, JSON.stringify({ identities: result.identities, scored: result.scored, durationMs: result.durationMs })]);
    return result;
  });
}

/**
 * Planner statistics for tables that changed a lot since they were last analysed. Right after a bulk
 * load there are none, and the planner, believing a table holds three rows, picks nested loops that
 * turn a one-second aggregate into a minute. Where the role may not analyse a table, PostgreSQL
 * skips it with a warning.
 */
export async function refreshStatistics(db: Db, tables: string[]): Promise<string[]> {
  const stale = await db.query<{ relname: string }>(`
    SELECT relname FROM pg_stat_user_tables
    WHERE relname = ANY($1::text[]) AND (last_analyze IS NULL AND last_autoanalyze IS NULL OR n_mod_since_analyze > 0.1 * greatest(n_live_tup, 1000))`, [tables]);
  for (const t of stale) await db.exec(`ANALYZE ${t.relname.replace(/[^a-z_]/g, '')}`);
  return stale.map((t) => t.relname);
}

/** The data's time: the latest event, else the latest identity fact, else now (an empty store). */
export async function dataTime(db: Db): Promise<Date> {
  const [r] = await db.query<{ t: Date | null }>(`
    SELECT coalesce((SELECT max(time) FROM events WHERE provider <> 'copilot'), (SELECT max(greatest(last_seen_at, created_at)) FROM identities)) AS t`);
  return r?.t ? new Date(r.t) : new Date();
}

/** Figures for the day's snapshot, from the findings just written and a few counts. */
async function snapshot(tx: Db, asOf: Date, settings: RiskSettings): Promise<Omit<ScoreSummary, 'signals' | 'timings' | 'privescSource' | 'durationMs'>> {
  const t = settings.thresholds;
  const [s] = await tx.query<{ identities: number; scored: number; mean: number | null; critical: number; high: number; medium: number; low: number }>(`
    WITH s AS (SELECT identity_id, score FROM risk_scores)
    SELECT (SELECT count(*) FROM identities)::int AS identities, count(*)::int AS scored, avg(score)::real AS mean,
           count(*) FILTER (WHERE score >= $1)::int AS critical, count(*) FILTER (WHERE score >= $2 AND score < $1)::int AS high,
           count(*) FILTER (WHERE score >= $3 AND score < $2)::int AS medium, count(*) FILTER (WHERE score > 0 AND score < $3)::int AS low
    FROM s`, [t.bandCritical, t.bandHigh, t.bandMedium]);
  const factorRows = await tx.query<{ code: string; n: number }>(`SELECT code, count(*)::int AS n FROM risk_factor GROUP BY code ORDER BY code`);
  const factors = Object.fromEntries(factorRows.map((r) => [r.code, r.n]));
  const [p] = await tx.query<{ machines: number; humans: number; ownable: number; orphaned: number; long_lived: number; overprivileged: number }>(`
    SELECT (SELECT count(*) FROM identities i WHERE i.kind = ANY($1::text[]))::int AS machines,
           (SELECT CASE WHEN count(*) FILTER (WHERE provider = 'hr') > 0 THEN count(*) FILTER (WHERE provider = 'hr') ELSE count(*) END
              FROM identities WHERE kind = 'human')::int AS humans,
           (SELECT count(*) FROM identities i WHERE i.kind = ANY($1::text[]) AND i.status <> 'deleted' AND NOT ${PROVIDER_MANAGED_SQL})::int AS ownable,
           (SELECT count(DISTINCT identity_id) FROM risk_signal WHERE code = 'NHI1' AND signal IN ('no_owner', 'owner_left'))::int AS orphaned,
           (SELECT count(DISTINCT identity_id) FROM risk_signal WHERE code = 'NHI7' AND signal IN ('long_lived', 'very_long_lived'))::int AS long_lived,
           (SELECT count(DISTINCT identity_id) FROM risk_signal WHERE code = 'NHI5' AND signal IN ('admin', 'privesc'))::int AS overprivileged`,
  [[...MACHINE_KINDS]]);
  const bands = { critical: s.critical, high: s.high, medium: s.medium, low: s.low };
  const summary = {
    machines: p.machines, humans: p.humans, machineToHuman: p.humans > 0 ? Math.round((p.machines / p.humans) * 10) / 10 : null,
    ownable: p.ownable, orphaned: p.orphaned, ownershipCoverage: p.ownable ? Math.round(((p.ownable - p.orphaned) / p.ownable) * 1000) / 1000 : null,
    longLived: p.long_lived, overprivileged: p.overprivileged,
  };
  const meanScore = s.mean === null ? 0 : Math.round(s.mean * 10) / 10;
  await tx.query(`
    INSERT INTO posture_snapshots (day, as_of, computed_at, identities, scored, mean_score, bands, factors, summary)
    VALUES (($1::timestamptz AT TIME ZONE 'UTC')::date, $1, now(), $2, $3, $4, $5, $6, $7)
    ON CONFLICT (day) DO UPDATE SET as_of = excluded.as_of, computed_at = now(), identities = excluded.identities, scored = excluded.scored,
      mean_score = excluded.mean_score, bands = excluded.bands, factors = excluded.factors, summary = excluded.summary`,
    [asOf, s.identities, s.scored, meanScore, JSON.stringify(bands), JSON.stringify(factors), JSON.stringify(summary)]);
  return { asOf: asOf.toISOString(), identities: s.identities, scored: s.scored, meanScore, bands, factors };
}
