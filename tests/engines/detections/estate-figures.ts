import type { GroundTruth } from '../../../src/generator/schema.js';
import type { Db } from '../../../src/store/index.js';

/**
 * Recall and noise of the copilot's own alerts against a generated estate's ground truth: a planted
 * incident counts as detected when an alert names its root or any identity of its chain; benign
 * alerts name none of the incidents' identities, and are counted per 1,000 events whose actor is not
 * one of them.
 */
export async function estateFigures(db: Db, truth: GroundTruth) {
  const alerts = await db.query<{ id: string; rule: string; severity: string; identities: string[] }>(
    `SELECT id, rule, severity, identities FROM alerts WHERE source IN ('copilot:rules', 'copilot:baseline')`);
  const incidentIds = new Set(truth.incidents.flatMap((i) => [i.rootIdentity, ...i.chain]));
  const lines: string[] = [];
  let detected = 0;
  let rootNamed = 0;
  for (const inc of truth.incidents) {
    const ids = new Set([inc.rootIdentity, ...inc.chain]);
    const hits = alerts.filter((a) => a.identities.some((i) => ids.has(i)));
    if (hits.length) detected++;
    if (hits.some((a) => a.identities.includes(inc.rootIdentity))) rootNamed++;
    lines.push(`  ${inc.id}: ${hits.length} alert(s) [${[...new Set(hits.map((h) => h.rule))].join(', ')}]`);
  }
  const benign = alerts.filter((a) => !a.identities.some((i) => incidentIds.has(i)));
  const [ev] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE NOT (actor_id = ANY($1::text[]))`, [[...incidentIds]]);
  const byRule = new Map<string, number>();
  for (const a of benign) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  lines.push(`  benign by rule: ${[...byRule].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
  return {
    incidents: truth.incidents.length, detected, rootNamed,
    benignAlerts: benign.length, benignEvents: ev.n, perThousand: ev.n ? (1000 * benign.length) / ev.n : 0,
    lines,
  };
}
