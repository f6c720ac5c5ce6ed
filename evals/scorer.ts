import { z } from 'zod';
import { ActionKind, Severity, type TriageIncident } from '../src/model/index.js';

/**
 * The copilot's quality, measured against ground truth:
 *
 * - root recall@1: a true incident counts when the incident matched to it names its root identity as
 *   the root (the first answer, not somewhere in a list);
 * - chain exact match, and partial credit (Jaccard of the id sets);
 * - action recall: the true (action, target) pairs the matched incident proposes;
 * - NDCG@5 of the ranking, true incidents graded by severity (critical 3, high 2, medium 1);
 * - false incidents per 1,000 benign events: incidents that match no true one;
 * - grounding: the share of ids cited in the narratives that exist.
 *
 * An output incident matches the true incident with which it shares the most chain ids (root first),
 * each at most once, so that one sprawling incident cannot claim two stories.
 */
export const TruthIncident = z.object({
  id: z.string(),
  title: z.string().optional(),
  severity: Severity,
  rootIdentity: z.string(),
  chain: z.array(z.string()).min(1),
  actions: z.array(z.object({ action: ActionKind, target: z.string() })),
});
export type TruthIncident = z.infer<typeof TruthIncident>;

export const Truth = z.object({
  title: z.string().optional(),
  modelledOn: z.string().optional(),
  incidents: z.array(TruthIncident),
});
export type Truth = z.infer<typeof Truth>;

export interface Scored {
  truth: number;
  rootHits: number;
  chainExact: number;
  chainPartial: number;
  actionsTrue: number;
  actionsFound: number;
  ndcg5: number;
  falseIncidents: number;
  benignEvents: number;
  cited: number;
  citedExisting: number;
  matches: { truth: string; incident: string | null; rank: number | null; root: boolean; chain: number; actions: string; missing: string[] }[];
}

const GAIN: Record<string, number> = { critical: 3, high: 2, medium: 1, low: 0.5, info: 0 };

export function score(truth: TruthIncident[], incidents: TriageIncident[], extra: { benignEvents: number; cited: number; citedExisting: number }): Scored {
  const matched = match(truth, incidents);
  const s: Scored = {
    truth: truth.length, rootHits: 0, chainExact: 0, chainPartial: 0, actionsTrue: 0, actionsFound: 0, ndcg5: 1,
    falseIncidents: 0, benignEvents: extra.benignEvents, cited: extra.cited, citedExisting: extra.citedExisting, matches: [],
  };
  for (const t of truth) {
    const inc = matched.get(t.id) ?? null;
    const ids = inc ? inc.chain.map((l) => l.identity) : [];
    const root = inc?.rootIdentity === t.rootIdentity;
    const exact = inc !== null && ids.length === t.chain.length && ids.every((x, i) => x === t.chain[i]);
    const partial = inc ? jaccard(ids, t.chain) : 0;
    const proposed = new Set((inc?.actions ?? []).map((a) => `${a.action}|${a.target}`));
    const missing = t.actions.filter((a) => !proposed.has(`${a.action}|${a.target}`)).map((a) => `${a.action} ${a.target}`);
    s.rootHits += root ? 1 : 0;
    s.chainExact += exact ? 1 : 0;
    s.chainPartial += partial;
    s.actionsTrue += t.actions.length;
    s.actionsFound += t.actions.length - missing.length;
    s.matches.push({ truth: t.id, incident: inc?.id ?? null, rank: inc?.rank ?? null, root, chain: Math.round(partial * 100) / 100, actions: `${t.actions.length - missing.length}/${t.actions.length}`, missing });
  }
  const matchedIds = new Set([...matched.values()].map((i) => i.id));
  s.falseIncidents = incidents.filter((i) => !matchedIds.has(i.id)).length;
  // NDCG@5 over the ranking as shown: the gain of each position is the severity of the true incident it matched.
  const gainOf = new Map<string, number>();
  for (const t of truth) {
    const inc = matched.get(t.id);
    if (inc) gainOf.set(inc.id, GAIN[t.severity]);
  }
  const ranked = [...incidents].sort((a, b) => a.rank - b.rank);
  const dcg = ranked.slice(0, 5).reduce((sum, inc, i) => sum + (2 ** (gainOf.get(inc.id) ?? 0) - 1) / Math.log2(i + 2), 0);
  const ideal = truth.map((t) => GAIN[t.severity]).sort((a, b) => b - a).slice(0, 5).reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0);
  s.ndcg5 = ideal === 0 ? 1 : dcg / ideal;
  return s;
}

function match(truth: TruthIncident[], incidents: TriageIncident[]): Map<string, TriageIncident> {
  const pairs: { t: TruthIncident; inc: TriageIncident; w: number }[] = [];
  for (const t of truth) {
    for (const inc of incidents) {
      const ids = new Set([...inc.chain.map((l) => l.identity), ...inc.identities]);
      const shared = t.chain.filter((x) => ids.has(x)).length;
      if (!shared) continue;
      pairs.push({ t, inc, w: shared + (inc.rootIdentity === t.rootIdentity ? 10 : 0) - inc.rank / 1000 });
    }
  }
  pairs.sort((a, b) => b.w - a.w);
  const out = new Map<string, TriageIncident>();
  const used = new Set<string>();
  for (const p of pairs) {
    if (out.has(p.t.id) || used.has(p.inc.id)) continue;
    out.set(p.t.id, p.inc);
    used.add(p.inc.id);
  }
  return out;
}

function jaccard(a: string[], b: string[]): number {
  const A = new Set(a);
  const B = new Set(b);
  let n = 0;
  for (const x of A) if (B.has(x)) n++;
  return A.size + B.size - n === 0 ? 1 : n / (A.size + B.size - n);
}

export interface Metrics {
  scenarios: number;
  truthIncidents: number;
  rootRecallAt1: number;
  chainExact: number;
  chainPartial: number;
  actionRecall: number;
  ndcgAt5: number;
  falseIncidentsPer1kBenign: number;
  grounding: number;
}

export function aggregate(list: Scored[]): Metrics {
  const sum = (f: (s: Scored) => number) => list.reduce((n, s) => n + f(s), 0);
  const truth = sum((s) => s.truth);
  const benign = sum((s) => s.benignEvents);
  const cited = sum((s) => s.cited);
  return {
    scenarios: list.length,
    truthIncidents: truth,
    rootRecallAt1: round(sum((s) => s.rootHits) / Math.max(1, truth)),
    chainExact: round(sum((s) => s.chainExact) / Math.max(1, truth)),
    chainPartial: round(sum((s) => s.chainPartial) / Math.max(1, truth)),
    actionRecall: round(sum((s) => s.actionsFound) / Math.max(1, sum((s) => s.actionsTrue))),
    ndcgAt5: round(sum((s) => s.ndcg5) / Math.max(1, list.length)),
    falseIncidentsPer1kBenign: round((sum((s) => s.falseIncidents) / Math.max(1, benign)) * 1000),
    grounding: cited ? round(sum((s) => s.citedExisting) / cited) : 1,
  };
}

export const TARGETS = { rootRecallAt1: 0.9, actionRecall: 0.9, ndcgAt5: 0.9, grounding: 1 } as const;

export function failures(m: Metrics): string[] {
  return (Object.entries(TARGETS) as [keyof typeof TARGETS, number][]).filter(([k, v]) => m[k] < v).map(([k, v]) => `${k} ${m[k]} < ${v}`);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
