import { CopilotError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/time.js';
import {
  CONTRACT_VERSION, SEVERITY_RANK, Config,
  type ActivitySummary, type Severity, type SuppressionRule, type TriageIncident, type TriageResult,
} from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { planActions } from './actions.js';
import { behaviourOf, storyActivity, type StoryActivity } from './activity.js';
import { alertsById, completeAlerts, loadAlerts, type AlertLite } from './alerts.js';
import { ChainResolver } from './chains.js';
import { FactBook } from './facts.js';
import { anchorAlerts, groupStories, type Story } from './grouping.js';
import { businessImpact, withReach, type ImpactResult } from './impact.js';
import { assignIds, loadStored, saveIncidents, type Assignment, type IncidentRow } from './persist.js';
import { prioritize, type Priority } from './priority.js';
import { suppressedBy } from './suppressions.js';
import { jsonRows } from './rows.js';

export { setIncidentStatus, incidentHistory, STATUS_VERBS, type StatusVerb } from './persist.js';
export { loadSuppressions, appendSuppression, parseSuppressions, DEFAULT_SUPPRESSIONS_FILE } from './suppressions.js';
export { PRIORITY_WEIGHTS } from './priority.js';

/**
 * Triage: alerts + events + ownership -> ranked incidents. The stages, each batched so that ten
 * thousand alerts cost a few dozen queries rather than a few per alert:
 *
 *   window     asOf = the latest event (time is the data's), since = --since
 *   detect     the built-in rules and baselines catch up on events they have not judged
 *   anchor     each alert's chain (ChainResolver: one walk per distinct actor/credential/session)
 *   suppress   alerts matching an active suppression rule are set aside, counted
 *   group      stories by root identity (people across providers), split by quiet gaps
 *   weigh      priority factor by factor (severity, corroboration, confidence, privilege, data,
 *              happening now, owner status, reach, autonomy)
 *   match      stored incidents keep their ids (shared alerts), closed ones stay closed
 *   enrich     the top stories: their own activity, business impact, re-weighed; the shown ones get
 *              actions with commands, dependents and safe order
 *   persist    every story, the shown ones with their full assessment
 *
 * Narrative is the agent's job (src/agent): incidents leave here with deterministic facts only and
 * empty prose fields.
 */
export interface TriageOptions {
  /** Only alerts at or after this time (data time). */
  since?: Date | string | null;
  /** Judge the store as of this time (default: its latest event). */
  asOf?: Date | string | null;
  /** Incidents returned with their full assessment (default 10). */
  top?: number;
  config?: Config;
  suppressions?: SuppressionRule[];
  /** Run the detections engine first so that logs alone produce alerts (default true). */
  detect?: boolean;
  /** Write incidents to the store (default true). */
  persist?: boolean;
  /** Quiet gap that splits a root's alerts into two stories (default 72 h). */
  gapMs?: number;
  /** Stories enriched before the final ranking (default max(3 x top, top + 10)). */
  enrich?: number;
  /** Correlate these alerts only (re-assessing one stored incident), instead of the window's. */
  alertIds?: string[];
}

export interface TriageRun {
  result: TriageResult;
  /** Stories behind the returned incidents, for narrators that want more than the contract holds. */
  stories: Map<string, Story>;
  timings: Record<string, number>;
}

const HOUR = 3_600_000;
const isMachineKind = (k: string | null) => k !== null && k !== 'human' && k !== 'group';

export async function correlate(db: Db, opts: TriageOptions = {}): Promise<TriageRun> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const t = performance.now();
    timings[name] = Math.round(t - mark);
    mark = t;
  };
  const cfg = opts.config ?? Config.parse({});
  const top = Math.max(1, Math.min(opts.top ?? 10, 100));
  const gapMs = opts.gapMs ?? 72 * HOUR;
  const notices: string[] = [];

  if (opts.detect !== false) await catchUpDetections(db, cfg, notices);
  lap('detect');
  const asOf = await resolveAsOf(db, opts.asOf, notices);
  const since = opts.since ? toDate(opts.since, 'since') : null;
  const alerts = opts.alertIds ? await alertsById(db, opts.alertIds) : await loadAlerts(db, { since, asOf });
  lap('alerts');

  // Rules that need no chain apply before anchoring: a suppressed alert costs nothing further.
  const rules = opts.suppressions ?? [];
  const suppressed = new Map<string, { rule: string; alert: AlertLite }>();
  const early = rules.filter((r) => r.match.rootIdentity === undefined);
  const kept: AlertLite[] = [];
  for (const a of alerts) {
    const r = early.length ? suppressedBy(early, a, null) : null;
    if (r) suppressed.set(a.id, { rule: r.id, alert: a });
    else kept.push(a);
  }
  const facts = new FactBook(db);
  const resolver = new ChainResolver(db, facts);
  const { anchored: all } = await anchorAlerts(db, kept, resolver);
  const late = rules.filter((r) => r.match.rootIdentity !== undefined);
  const anchored = late.length ? all.filter((x) => {
    const r = suppressedBy(late, x.alert, x.chain.root);
    if (r) suppressed.set(x.alert.id, { rule: r.id, alert: x.alert });
    return !r;
  }) : all;
  lap('anchor');

  await facts.load(anchored.flatMap((x) => [...x.chain.links.map((l) => l.identity), ...(x.chain.person ? [x.chain.person] : [])]));
  const stories = groupStories(anchored, (id) => facts.kind(id), { gapMs });
  // Owners weigh only where someone must answer for a machine: people and keys are skipped here.
  await facts.loadOwners(new Set(stories.flatMap((s) => s.chain.map((l) => l.identity)).filter((id) => {
    const f = facts.get(id);
    return f !== null && f.kind !== 'human' && f.kind !== 'api_key' && !f.accountRoot && !f.external;
  })));
  lap('group');

  const asOfMs = asOf.getTime();
  const hops = await hopActivity(db, stories);
  const prio = new Map<Story, Priority>();
  for (const s of stories) prio.set(s, prioritize(s, facts, asOfMs, hops.has(s) ? { lastMs: hops.get(s)!, sensitivity: null, sensitiveNote: null } : undefined));
  const stored = opts.persist === false ? new Map() : await loadStored(db, [...new Set(stories.map((s) => s.key))]);
  const assigned = assignIds(stories, stored, gapMs);
  lap('weigh');

  // Enrich the strongest open stories, then rank again with what their own activity shows.
  const open = stories.filter((s) => !assigned.get(s)!.closed && SEVERITY_RANK[prio.get(s)!.severity] > SEVERITY_RANK.info);
  const byScore = (a: Story, b: Story) => prio.get(b)!.score - prio.get(a)!.score || prio.get(b)!.lastActivityMs - prio.get(a)!.lastActivityMs || (assigned.get(a)!.id < assigned.get(b)!.id ? -1 : 1);
  open.sort(byScore);
  const enrichN = opts.enrich ?? Math.max(3 * top, top + 10);
  const candidates = open.slice(0, enrichN);
  await completeAlerts(db, candidates.flatMap((s) => s.alerts));
  for (const s of candidates) s.events = [...new Set(s.alerts.flatMap((a) => a.events))].slice(0, 200);
  const activity = await storyActivity(db, candidates, resolver, { asOfMs });
  await facts.load(candidates.flatMap((s) => [...activity.get(s)!.events.map((e) => e.actorId)]));
  const impacts = new Map<Story, ImpactResult>();
  for (const s of candidates) {
    const a = activity.get(s)!;
    const deepest = s.chain[s.chain.length - 1].identity;
    const imp = await businessImpact(db, a, deepest, cfg, { reach: false });
    impacts.set(s, imp);
    const classifiedReads = imp.impact.touched.filter((t) => t.crownJewel || t.classification === 'restricted' || t.classification === 'confidential').reduce((n, t) => n + t.events, 0);
    prio.set(s, prioritize(s, facts, asOfMs, { lastMs: a.lastMs, sensitivity: imp.sensitivity, sensitiveNote: imp.sensitiveNote, sensitiveCalls: classifiedReads, behaviour: behaviourOf(a, classifiedReads, (id) => isMachineKind(facts.kind(id))) }));
  }
  open.sort(byScore);
  lap('enrich');

  const shown = open.slice(0, top);
  await facts.loadOwners(new Set(shown.flatMap((s) => [...s.chain.map((l) => l.identity), ...(s.person ? [s.person] : [])])));
  const incidents: TriageIncident[] = [];
  const storyOf = new Map<string, Story>();
  for (const [i, s] of shown.entries()) {
    const p = prio.get(s)!;
    const a = activity.get(s) ?? null;
    const found = impacts.get(s) ?? null;
    const imp = found ? await withReach(db, found, s.chain[s.chain.length - 1].identity, cfg) : null;
    const sensitive = new Set((imp?.impact.touched ?? []).filter((t) => t.crownJewel || t.classification === 'restricted' || t.classification === 'confidential').map((t) => t.id));
    const plan = a ? await planActions(s, a, { db, facts, asOfMs, severity: p.severity, happeningNow: p.happeningNow, sensitive }) : { actions: [], dependents: [] };
    const inc = buildIncident(s, assigned.get(s)!, p, i + 1, a, imp, plan, facts, suppressedFor(s, suppressed));
    incidents.push(inc);
    storyOf.set(inc.id, s);
  }
  lap('actions');

  if (opts.persist !== false) {
    const rows: IncidentRow[] = stories.filter((s) => changed(s, assigned.get(s)!, prio.get(s)!, incidents)).map((s) => {
      const p = prio.get(s)!;
      const inc = incidents.find((x) => x.id === assigned.get(s)!.id) ?? null;
      return {
        story: s, assignment: assigned.get(s)!, severity: p.severity, score: p.score, title: inc?.title ?? titleOf(s, facts),
        firstMs: Math.min(s.firstMs, activity.get(s)?.firstMs ?? s.firstMs), lastMs: Math.max(s.lastMs, activity.get(s)?.lastMs ?? s.lastMs),
        identities: [...new Set([...s.chain.map((l) => l.identity), ...s.alerts.flatMap((x) => x.identities)])].slice(0, 100),
        assessment: inc,
      };
    });
    await saveIncidents(db, rows, asOf);
  }
  lap('persist');

  const findings = incidents.length ? [] : await postureFindings(db, cfg, notices);
  if (!alerts.length) notices.push('no alerts in the window: ingest logs (the detections run on them) or vendor alerts (GuardDuty, Okta, Entra, ...)');
  const closed = stories.filter((s) => assigned.get(s)!.closed).length;
  const result: TriageResult = {
    contractVersion: CONTRACT_VERSION,
    asOf: asOf.toISOString(),
    since: since ? since.toISOString() : null,
    incidents,
    totals: {
      alerts: alerts.length,
      incidents: open.length,
      shown: incidents.length,
      suppressedAlerts: suppressed.size,
      belowThreshold: stories.length - open.length - closed,
      closed,
    },
    findings,
    notices,
    durationMs: Math.round(performance.now() - started),
  };
  return { result, stories: storyOf, timings };
}

/**
 * Whether a story differs from its stored incident: re-runs over the same data then write only the
 * incidents shown (their assessment is refreshed) and what moved, not thousands of identical rows.
 */
function changed(s: Story, a: Assignment, p: Priority, shown: TriageIncident[]): boolean {
  const st = a.stored;
  if (!st || a.isNew || a.reopened || shown.some((i) => i.id === a.id)) return true;
  if (st.severity !== p.severity || Math.abs(st.score - p.score) > 0.05 || st.lastMs < s.lastMs || st.alerts.size !== s.alerts.length) return true;
  return s.alerts.some((x) => !st.alerts.has(x.id));
}

/** Bring the detections up to date (incrementally): logs alone must yield alerts. */
async function catchUpDetections(db: Db, cfg: Config, notices: string[]): Promise<void> {
  try {
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT 1 FROM events LIMIT 1) x');
    if (!n) return;
    const { runDetections } = await import('../detections/run.js');
    const r = await runDetections(db, { config: cfg });
    if (r.mode !== 'none' && r.events > 0) notices.push(`detections judged ${r.events} new event(s): ${r.alerts.rules} rule and ${r.alerts.baseline} baseline alert(s)`);
  } catch (err) {
    notices.push(`detections did not run (${(err as Error).message.split('\n')[0]}); triage uses the alerts already in the store`);
  }
}

/** The data's own time: the latest event, else the latest alert; --as-of overrides. */
export async function resolveAsOf(db: Db, asOf: Date | string | null | undefined, notices: string[] = []): Promise<Date> {
  if (asOf) return toDate(asOf, 'as-of');
  const [r] = await db.query<{ e: Date | null; a: Date | null }>(`SELECT (SELECT max(time) FROM events WHERE provider <> 'copilot') AS e, (SELECT max(time) FROM alerts) AS a`);
  const t = r?.e ?? r?.a;
  if (t) return new Date(t);
  notices.push('the store holds no events or alerts: asOf is the clock');
  return new Date();
}

/** `2026-11-07T12:00:00Z`, `2026-11-07`, or a duration back from now (`--since 24h` is relative to asOf by the caller). */
export function toDate(v: Date | string, what: string): Date {
  if (v instanceof Date) return v;
  const d = new Date(/^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new CopilotError('E_USAGE', `--${what}: "${v}" is not a time (expected ISO-8601, e.g. 2026-11-07T12:00:00Z)`);
  return d;
}

/** `--since 24h` counts back from asOf (the data's time), `--since 2026-11-01` is absolute. */
export async function sinceFrom(db: Db, since: string | undefined, asOf: Date | string | undefined): Promise<Date | null> {
  if (!since) return null;
  if (/^\d+(\.\d+)?\s*[smhdw]$/.test(since.trim())) {
    const base = await resolveAsOf(db, asOf ?? null);
    return new Date(base.getTime() - parseDuration(since));
  }
  return toDate(since, 'since');
}

/** Latest observed use of each story's delegation hops (assumed, impersonated, acted for): how recently the chain was live. */
async function hopActivity(db: Db, stories: Story[]): Promise<Map<Story, number>> {
  const rows: { i: number; f: string; k: string; t: string }[] = [];
  stories.forEach((s, i) => {
    for (let j = 1; j < s.chain.length; j++) {
      const k = s.chain[j].edge;
      if (k === 'assumed' || k === 'impersonates' || k === 'acts_for' || k === 'federates_to') rows.push({ i, f: s.chain[j - 1].identity, k, t: s.chain[j].identity });
    }
  });
  const out = new Map<Story, number>();
  for (let c = 0; c < rows.length; c += 10_000) {
    const chunk = rows.slice(c, c + 10_000);
    const found = await jsonRows<{ i: number; last: string | null }>(db, `
      SELECT x.i, max(e.last_seen) AS last FROM json_to_recordset($1::json) AS x(i int, f text, k text, t text)
      JOIN edges e ON e.from_id = x.f AND e.kind = x.k AND e.to_id = x.t AND e.observed GROUP BY x.i`, [JSON.stringify(chunk)]);
    for (const r of found) if (r.last) out.set(stories[r.i], Math.max(out.get(stories[r.i]) ?? 0, new Date(r.last).getTime()));
  }
  return out;
}

function suppressedFor(s: Story, suppressed: Map<string, { rule: string; alert: AlertLite }>): { rule: string; alerts: number }[] {
  if (!suppressed.size) return [];
  const ids = new Set(s.chain.map((l) => l.identity));
  const counts = new Map<string, number>();
  for (const { rule, alert } of suppressed.values()) {
    if (alert.identities.some((i) => ids.has(i)) || alert.credentials.some((c) => ids.has(c))) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  }
  return [...counts].map(([rule, alerts]) => ({ rule, alerts }));
}

export function titleOf(s: Story, facts: FactBook): string {
  const top = [...s.alerts].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ms - b.ms)[0];
  const names = s.chain.map((l) => facts.get(l.identity)?.name ?? shortName(l.identity));
  const path = names.length > 3 ? `${names[0]} → … → ${names[names.length - 1]}` : names.join(' → ');
  const title = top.title.replace(/^Behaviour: /, '');
  const more = s.alerts.length > 1 ? ` (+${s.alerts.length - 1} alert${s.alerts.length > 2 ? 's' : ''})` : '';
  return `${title.charAt(0).toUpperCase()}${title.slice(1)}: ${path}${more}`;
}

export function shortName(id: string): string {
  if (id.startsWith('arn:')) {
    const res = id.split(':').slice(5).join(':');
    return res === 'root' ? `account ${id.split(':')[4]} root` : res.split('/').pop() || id;
  }
  if (id.startsWith('aws:access-key:')) return id.slice(15);
  return id.length > 48 ? `${id.slice(0, 45)}...` : id;
}

function buildIncident(s: Story, asg: Assignment, p: Priority, rank: number, a: StoryActivity | null, imp: ImpactResult | null,
  plan: Awaited<ReturnType<typeof planActions>>, facts: FactBook, suppressed: { rule: string; alerts: number }[]): TriageIncident {
  const deepestMachine = [...s.chain].reverse().find((l) => facts.get(l.identity)?.kind !== 'human')?.identity ?? s.root;
  const ownerInfo = facts.owner(s.root) ?? facts.owner(deepestMachine);
  const ownerOf = facts.owner(s.root) ? s.root : deepestMachine;
  const events = a ? [...new Set([...s.events, ...a.events.map((e) => e.id)])].slice(0, 200) : s.events;
  const identities = [...new Set([...s.chain.map((l) => l.identity), ...s.alerts.flatMap((x) => x.identities), ...(a?.events.map((e) => e.actorId) ?? [])])];
  const entities: TriageIncident['entities'] = {};
  for (const id of [...identities, ...(s.person ? [s.person] : []), ...(ownerInfo ? [ownerInfo.ownerId] : [])]) {
    const f = facts.get(id);
    entities[id] = f ? { name: f.name, kind: f.kind, provider: f.provider, environment: f.environment, status: f.status } : { name: shortName(id), kind: 'unknown', provider: null, environment: null, status: null };
  }
  for (const t of imp?.impact.touched ?? []) entities[t.id] = { name: t.name, kind: 'resource', provider: null, environment: null, status: t.classification };
  const severityOf = (x: Severity) => x;
  return {
    id: asg.id,
    rank,
    severity: severityOf(p.severity),
    score: p.score,
    title: titleOf(s, facts),
    rootIdentity: s.root,
    chain: s.chain,
    identities,
    alerts: s.alerts.map((x) => x.id),
    events,
    owner: ownerInfo?.ownerId ?? null,
    whatIsHappening: '',
    whatNeedsActionNow: '',
    actions: plan.actions,
    evidence: [...new Set([...s.alerts.map((x) => x.id), ...s.events.slice(0, 20)])],
    status: asg.status,
    priorityFactors: p.factors,
    firstSeen: new Date(Math.min(s.firstMs, a?.firstMs ?? s.firstMs)).toISOString(),
    lastSeen: new Date(Math.max(s.lastMs, a?.lastMs ?? s.lastMs)).toISOString(),
    confidence: p.confidence,
    happeningNow: p.happeningNow,
    providers: [...new Set(identities.map((i) => facts.get(i)?.provider).filter((x): x is string => !!x))],
    person: s.person,
    ownerDetail: ownerInfo ? { id: ownerInfo.ownerId, name: ownerInfo.ownerName, email: ownerInfo.ownerEmail, status: ownerInfo.ownerStatus, team: ownerInfo.team, source: ownerInfo.source, of: ownerOf } : null,
    signals: s.alerts.slice(0, 50).map((x) => ({ id: x.id, source: x.source, severity: x.severity, title: x.title, time: x.time, rule: x.rule })),
    commands: plan.actions.map((x) => x.command).filter((c): c is string => !!c),
    dependents: plan.dependents,
    impact: imp?.impact ?? null,
    narrator: { kind: 'deterministic', model: null, fallbackReason: null, toolCalls: [] },
    suppressed,
    entities,
    activity: a ? summariseActivity(a) : null,
  };
}

function summariseActivity(a: StoryActivity): ActivitySummary {
  const top = <K extends string>(m: Map<string, number>, k: K, n: number) => [...m].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, n).map(([v, count]) => ({ [k]: v, count }) as Record<K, string> & { count: number });
  return {
    events: a.events.length, writes: a.writes, failures: a.failures,
    from: new Date(a.firstMs).toISOString(), to: new Date(a.lastMs).toISOString(),
    actions: top(a.actions, 'action', 8), networks: top(a.networks, 'network', 5), clients: top(a.agents, 'client', 5),
  };
}

/** Posture risks from inventories (the risk engine's findings), shown when there is nothing to triage. */
async function postureFindings(db: Db, cfg: Config, notices: string[]): Promise<TriageResult['findings']> {
  try {
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM (SELECT 1 FROM findings LIMIT 1) x');
    const [{ m }] = await db.query<{ m: number }>('SELECT count(*)::int AS m FROM (SELECT 1 FROM identities LIMIT 1) x');
    // Inventories alone: their risks are findings, scored now if nobody has yet.
    if (!n && m) {
      const { scoreAll } = await import('../risk/index.js');
      await scoreAll(db, { config: cfg });
    }
    const rows = await db.query(`SELECT identity_id, code, title, severity, weight, evidence FROM findings ORDER BY weight DESC, identity_id LIMIT 20`);
    return rows.map((r) => ({ identity: r.identity_id, code: r.code, title: r.title, severity: r.severity, weight: Number(r.weight), evidence: r.evidence ?? [] }));
  } catch {
    notices.push('no posture findings in the store (run risk scoring)');
    return [];
  }
}

/**
 * The full assessment of one stored incident (actions, dependents, impact), for explain and the tools
 * when a triage run did not show it: its alerts correlated again, as of the store's time, its id kept.
 */
export async function assessIncident(db: Db, id: string, opts: { config?: Config; asOf?: Date | string | null } = {}): Promise<TriageIncident | null> {
  const [row] = await db.query('SELECT id, status, alerts::text AS alerts FROM incidents WHERE id = $1', [id]);
  if (!row) return null;
  const alertIds = JSON.parse(row.alerts) as string[];
  if (!alertIds.length) return null;
  const run = await correlate(db, { alertIds, config: opts.config, asOf: opts.asOf, top: 5, detect: false, persist: false, enrich: 5 });
  const wanted = new Set(alertIds);
  const best = [...run.result.incidents].sort((a, b) => b.alerts.filter((x) => wanted.has(x)).length - a.alerts.filter((x) => wanted.has(x)).length)[0];
  return best ? { ...best, id, rank: 1, status: row.status } : null;
}
