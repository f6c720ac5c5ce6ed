import { ownersOf } from '../../engines/ownership.js';
import { riskOf, riskPosture } from '../../engines/risk/index.js';
import { listStoredIncidents, type StoredSummary } from '../../engines/correlate/stored.js';
import {
  CONTRACT_VERSION, OWASP_NHI_TITLES, SEVERITY_RANK, CisoBriefing,
  type BriefingDecision, type BriefingIncident, type BriefingRisk, type OwaspNhi, type Severity,
} from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { decide } from './decisions.js';

/**
 * The figures of the CISO briefing, gathered once and rendered as Markdown, HTML or PDF. Everything is
 * read from the store as the engines left it: posture and risk from the last scoring and its daily
 * snapshots, incidents as the last triage stored them. Time is the data's (the latest event).
 */
export interface BriefingOptions {
  /** Days of incidents and of trend (default 30). */
  periodDays?: number;
  title?: string;
  /** For tests: when the briefing was produced. */
  now?: Date;
}

const NHI_CODES = Object.keys(OWASP_NHI_TITLES) as OwaspNhi[];

/** The one step that lowers a factor most, in the words a CISO forwards to an owner. */
export const FACTOR_ACTIONS: Record<string, string> = {
  NHI1: 'Assign an accountable owner, or disable it',
  NHI2: 'Rotate the exposed secret and remove it where it leaked',
  NHI3: "Review the third party's access; revoke the grant if unused",
  NHI4: 'Replace the static credential with federation or short-lived tokens',
  NHI5: 'Scope its permissions down to what it uses',
  NHI6: 'Fix the deployment configuration that exposes it',
  NHI7: 'Rotate the long-lived secret and set a maximum age',
  NHI8: 'Separate production from non-production credentials',
  NHI9: 'Give each workload its own identity',
  NHI10: 'Give the person their own credential; stop human use of this identity',
  DETECTION: 'Triage the open alerts on it',
  BEHAVIOUR: 'Confirm the new behaviour with its owner',
  BLAST: 'Narrow what it can reach',
  AUTONOMY: 'Put a person in the loop for its write actions',
};

export async function briefingData(db: Db, opts: BriefingOptions = {}): Promise<CisoBriefing> {
  const days = opts.periodDays ?? 30;
  const notices: string[] = [];
  const [t] = await db.query<{ latest: Date | null }>(`SELECT max(time) AS latest FROM events WHERE provider <> 'copilot'`);
  const rp = await riskPosture(db, { orphanLimit: 0, days: Math.max(1, Math.ceil(days)) + 1 });
  const asOfDate = t?.latest ? new Date(t.latest) : rp.asOf ? new Date(rp.asOf) : null;
  const to = asOfDate ?? opts.now ?? new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  if (!rp.asOf) notices.push('Risk has not been scored yet: run `idcopilot detect` (ingest does it too) for the risk figures and the OWASP chart.');
  else if (asOfDate && new Date(rp.asOf).getTime() < asOfDate.getTime() - 3_600_000) notices.push(`Risk figures are from ${rp.asOf}, older than the latest data (${asOfDate.toISOString()}).`);

  const risks = await riskOf(db, { top: 10 });
  const owners = await ownersOf(db, risks.identities.map((r) => r.id));
  const topRisks: BriefingRisk[] = risks.identities.map((r) => {
    const o = owners.get(r.id);
    const top = r.factors[0];
    return {
      id: r.id, name: r.name, kind: r.kind, score: Math.round(r.score),
      owner: o ? { name: o.ownerName, email: o.ownerEmail, status: o.ownerStatus } : null,
      factors: r.factors.slice(0, 4).map((f) => ({ code: f.code, title: f.title })),
      action: top ? FACTOR_ACTIONS[top.code] ?? `Address ${top.title.toLowerCase()}` : 'Review',
    };
  });

  const stored = await listStoredIncidents(db, { limit: 100 });
  const inPeriod = stored.filter((s) => !s.lastSeen || new Date(s.lastSeen).getTime() >= from.getTime());
  const incidents = inPeriod.map(toBriefingIncident).sort(byUrgency);
  const totals = await db.query<{ severity: string; status: string; n: number }>(`
    SELECT severity, status, count(*)::int AS n FROM incidents WHERE coalesce(last_seen, as_of) >= $1 GROUP BY severity, status`, [from]);
  // Worst first, so that every rendering lists them in the order a reader weighs them.
  const bySeverity: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const sevOrder = (s: string) => -(SEVERITY_RANK[s as Severity] ?? -1);
  const statusOrder = (s: string) => ['open', 'acknowledged', 'resolved', 'false_positive', 'suppressed'].indexOf(s) >>> 0;
  for (const r of [...totals].sort((a, b) => sevOrder(a.severity) - sevOrder(b.severity))) bySeverity[r.severity] = (bySeverity[r.severity] ?? 0) + r.n;
  for (const r of [...totals].sort((a, b) => statusOrder(a.status) - statusOrder(b.status))) byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
  const [any] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
  if (!any.n) notices.push('No triage has run on this store: run `idcopilot triage` for the period\'s incidents.');

  const posture = {
    identities: rp.identities, byKind: rp.byKind, humans: rp.humans, machines: rp.machines, machineToHuman: rp.machineToHuman,
    ownership: rp.ownership, orphaned: rp.orphanedCount, longLived: rp.longLived, overprivileged: rp.overprivileged,
    humanUseOfNhi: Number(rp.factors.NHI10 ?? 0), agentsByAutonomy: rp.agentsByAutonomy, meanScore: rp.meanScore, bands: rp.bands,
  };
  const owasp = NHI_CODES.map((code) => ({ code, title: OWASP_NHI_TITLES[code], identities: Number(rp.factors[code] ?? 0) }));
  const trend = rp.trend
    .filter((p) => new Date(`${p.day}T23:59:59Z`).getTime() >= from.getTime())
    .map((p) => ({ day: p.day, asOf: p.asOf, scored: p.scored, meanScore: p.meanScore, critical: Number(p.bands.critical ?? 0), high: Number(p.bands.high ?? 0) }));

  const decisions: BriefingDecision[] = decide({ incidents, posture, owasp, stored: new Map(inPeriod.map((s) => [s.id, s])) });
  return CisoBriefing.parse({
    contractVersion: CONTRACT_VERSION,
    title: opts.title ?? 'Identity risk briefing',
    asOf: asOfDate ? asOfDate.toISOString() : null,
    period: { days, from: from.toISOString(), to: to.toISOString() },
    generatedAt: (opts.now ?? new Date()).toISOString(),
    decisions, posture, owasp, trend, topRisks, incidents,
    incidentTotals: { total: totals.reduce((s, r) => s + r.n, 0), bySeverity, byStatus },
    notices,
  });
}

function toBriefingIncident(s: StoredSummary): BriefingIncident {
  const a = s.assessment;
  const now = a?.actions.find((x) => x.urgency === 'now') ?? a?.actions[0] ?? null;
  const name = (id: string) => a?.entities[id]?.name ?? id;
  return {
    id: s.id, rank: a?.rank ?? null, severity: s.severity, score: Math.round(s.score), status: s.status, title: s.title, rootIdentity: s.rootIdentity,
    owner: a?.ownerDetail?.name ?? a?.owner ?? null, firstSeen: s.firstSeen, lastSeen: s.lastSeen,
    doNow: now ? `${now.action.replace(/_/g, ' ')} ${name(now.target)}` : null, urgency: now?.urgency ?? null,
  };
}

const OPEN_FIRST: Record<string, number> = { open: 0, acknowledged: 1 };

/** Open before handled, then triage's own order (score, which its ranks follow), then severity. */
export function byUrgency(a: BriefingIncident, b: BriefingIncident): number {
  return (OPEN_FIRST[a.status] ?? 2) - (OPEN_FIRST[b.status] ?? 2)
    || b.score - a.score || (a.rank ?? 1e9) - (b.rank ?? 1e9)
    || SEVERITY_RANK[b.severity as Severity] - SEVERITY_RANK[a.severity as Severity] || a.id.localeCompare(b.id);
}
