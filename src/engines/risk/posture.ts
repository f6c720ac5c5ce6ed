import type { Db } from '../../store/index.js';
import { posture, type Posture } from '../inventory.js';

/**
 * The posture summary: inventory figures (posture(): identities by kind, machine:human ratio,
 * ownership coverage, orphaned) with the risk figures of the last scoring (identities per factor,
 * long-lived, over-privileged, score bands) and the trend of daily snapshots.
 */
export interface RiskPosture extends Posture {
  asOf: string | null;
  factors: Record<string, number>;
  bands: Record<string, number>;
  meanScore: number | null;
  longLived: number;
  overprivileged: number;
  trend: { day: string; asOf: string; scored: number; meanScore: number; bands: Record<string, number>; factors: Record<string, number> }[];
}

export async function riskPosture(db: Db, opts: { orphanLimit?: number; days?: number } = {}): Promise<RiskPosture> {
  const base = await posture(db, { orphanLimit: opts.orphanLimit });
  const snaps = await db.query<{ day: string | Date; as_of: Date; scored: number; mean_score: number; bands: Record<string, number>; factors: Record<string, number>; summary: Record<string, number> }>(
    `SELECT day, as_of, scored, mean_score, bands, factors, summary FROM posture_snapshots ORDER BY day DESC LIMIT $1`, [opts.days ?? 30]);
  const last = snaps[0];
  return {
    ...base,
    asOf: last ? new Date(last.as_of).toISOString() : null,
    factors: last?.factors ?? {},
    bands: last?.bands ?? {},
    meanScore: last ? last.mean_score : null,
    longLived: Number(last?.summary.longLived ?? 0),
    overprivileged: Number(last?.summary.overprivileged ?? 0),
    trend: snaps.reverse().map((s) => ({
      day: typeof s.day === 'string' ? s.day.slice(0, 10) : new Date(s.day).toISOString().slice(0, 10),
      asOf: new Date(s.as_of).toISOString(), scored: s.scored, meanScore: s.mean_score, bands: s.bands, factors: s.factors,
    })),
  };
}
