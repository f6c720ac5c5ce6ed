import { CONTRACT_VERSION, type RiskResult } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { RISK_ENGINE } from './score-all.js';

/**
 * Scores and their factors as the `risk --json` contract: the identities with the highest scores, or
 * the ones asked for (an identity without factors scores 0 with no factors).
 */
export interface RiskQuery {
  ids?: string[];
  /** Highest scores first, at most this many (default 20, at most 10,000). */
  top?: number;
  /** Only identities of these kinds. */
  kinds?: string[];
}

export async function riskOf(db: Db, q: RiskQuery = {}): Promise<RiskResult> {
  const top = Math.max(1, Math.min(q.top ?? 20, 10_000));
  const [state] = await db.query<{ watermark: Date | null }>('SELECT watermark FROM engine_state WHERE engine = $1', [RISK_ENGINE]);
  const asOf = state?.watermark ? new Date(state.watermark).toISOString() : null;
  const params: unknown[] = [];
  const idsParam = q.ids ? `$${params.push(q.ids)}::text[]` : null;
  const kindsParam = q.kinds ? `$${params.push(q.kinds)}::text[]` : null;
  const where = [idsParam ? `i.id = ANY(${idsParam})` : null, kindsParam ? `i.kind = ANY(${kindsParam})` : null].filter(Boolean);
  const rows = await db.query<{ id: string; kind: string; name: string; score: number; factors: RiskResult['identities'][number]['factors'] | null }>(`
    WITH picked AS (
      SELECT i.id, i.kind, i.name, coalesce(s.score, 0)::int AS score
      FROM ${idsParam ? 'identities i LEFT JOIN risk_scores s ON s.identity_id = i.id' : 'risk_scores s JOIN identities i ON i.id = s.identity_id'}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY score DESC, i.id LIMIT ${top})
    SELECT p.id, p.kind, p.name, p.score,
      (SELECT jsonb_agg(jsonb_build_object('code', f.code, 'title', f.title, 'weight', f.weight, 'evidence', f.evidence, 'detail', f.detail)
                        ORDER BY f.weight DESC, f.code)
         FROM findings f WHERE f.identity_id = p.id) AS factors
    FROM picked p ORDER BY p.score DESC, p.id`, params);
  return {
    contractVersion: CONTRACT_VERSION,
    asOf,
    identities: rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, score: r.score, factors: r.factors ?? [] })),
  };
}

/** The data time of the last scoring, and of the latest event: scores are stale when events are newer. */
export async function riskFreshness(db: Db): Promise<{ scoredAt: Date | null; latestEvent: Date | null }> {
  const [r] = await db.query<{ scored: Date | null; latest: Date | null }>(`
    SELECT (SELECT watermark FROM engine_state WHERE engine = $1) AS scored, (SELECT max(time) FROM events WHERE provider <> 'copilot') AS latest`, [RISK_ENGINE]);
  return { scoredAt: r?.scored ? new Date(r.scored) : null, latestEvent: r?.latest ? new Date(r.latest) : null };
}
