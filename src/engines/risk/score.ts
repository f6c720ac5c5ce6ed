import type { Severity } from '../../model/index.js';
import type { Thresholds } from './settings.js';

/**
 * The score of an identity from its factor weights (0..100 each):
 *
 *     score = 100 * (1 - prod(1 - w / 100))
 *
 * the chance that at least one of several independent weaknesses is exploited when each alone would
 * be with chance w/100. One factor scores its own weight; more factors always raise the score, with
 * diminishing returns, and never past 100. A weight of 100 is read as 99.9 so that one certain factor
 * does not make every other factor irrelevant to the ordering. Rounded to a whole number.
 */
export function combine(weights: readonly number[]): number {
  let keep = 1;
  for (const w of weights) keep *= 1 - Math.min(Math.max(w, 0), 99.9) / 100;
  // Snap to six decimals before rounding half up, so that SQL (a sum of logarithms) and this product,
  // which differ in the last bits, round a 72.5 the same way.
  return Math.round(Math.round(100 * (1 - keep) * 1e6) / 1e6);
}

/** The same function over a weight column, as an SQL aggregate (exp of a sum of logs is a product). */
export function scoreSql(weight: string): string {
  return `round(round((100 * (1 - exp(sum(ln(1 - least(greatest(${weight}, 0), 99.9) / 100.0)))))::numeric, 6))::int`;
}

/** Severity of one factor, from its weight. */
export function severityOfWeight(w: number): Severity {
  return w >= 70 ? 'critical' : w >= 50 ? 'high' : w >= 30 ? 'medium' : w >= 15 ? 'low' : 'info';
}

export const SEVERITY_OF_WEIGHT_SQL = (w: string) =>
  `CASE WHEN ${w} >= 70 THEN 'critical' WHEN ${w} >= 50 THEN 'high' WHEN ${w} >= 30 THEN 'medium' WHEN ${w} >= 15 THEN 'low' ELSE 'info' END`;

export type Band = 'critical' | 'high' | 'medium' | 'low';

/** Score bands for briefings: critical >= bandCritical, high >= bandHigh, medium >= bandMedium, low above 0. */
export function bandOf(score: number, t: Pick<Thresholds, 'bandCritical' | 'bandHigh' | 'bandMedium'>): Band | null {
  if (score <= 0) return null;
  return score >= t.bandCritical ? 'critical' : score >= t.bandHigh ? 'high' : score >= t.bandMedium ? 'medium' : 'low';
}
