import { SEVERITY_RANK, Severity, type Severity as Sev } from '../../model/index.js';
import { SEVERITY_VALUE, detectorOf, maxSeverity } from './alerts.js';
import { GONE, providerManaged, type FactBook } from './facts.js';
import type { Story } from './grouping.js';

/**
 * Priority, factor by factor: each factor is a value in 0..1 times a weight, and the score (0-100) is
 * their sum, so that an analyst reads exactly why one incident ranks above another. Weights sum to 100;
 * a factor that does not apply is listed with value 0 rather than left out.
 */
export const PRIORITY_WEIGHTS = {
  severity: 22,
  corroboration: 8,
  confidence: 4,
  privilege: 10,
  sensitiveData: 12,
  behaviour: 8,
  happeningNow: 12,
  ownerStatus: 10,
  reach: 10,
  autonomy: 4,
} as const;
export type FactorName = keyof typeof PRIORITY_WEIGHTS;

export interface Factor {
  name: FactorName;
  /** The factor's contribution to the score (weight x value), rounded. */
  value: number;
  detail: string;
}

export interface Priority {
  score: number;
  severity: Sev;
  confidence: number;
  happeningNow: boolean;
  lastActivityMs: number;
  factors: Factor[];
}

/** What enrichment learned about the story (its own events): refines the data and activity factors. */
export interface StoryActivity {
  lastMs: number;
  /** Strongest sensitivity among the resources its events touched: crown-jewel, restricted, confidential, internal. */
  sensitivity: string | null;
  sensitiveNote: string | null;
  /** Successful calls on classified resources: two reads of a restricted bucket weigh less than two hundred. */
  sensitiveCalls?: number;
  /** What its own events did that attackers do (persistence, probing, bulk reads), 0..1 with a note. */
  behaviour?: { value: number; note: string } | null;
}

const PRIVILEGE_VALUE: Record<string, number> = { admin: 1, privesc: 0.85, credential: 0.6, write: 0.35, read: 0.1 };
const AUTONOMY_VALUE: Record<string, number> = { full: 1, partial: 0.6, assisted: 0.3, none: 0 };
const SENSITIVITY_VALUE: Record<string, number> = { 'crown-jewel': 1, restricted: 0.9, confidential: 0.6, internal: 0.2, public: 0 };
const ENV_VALUE: Record<string, number> = { prod: 0.6, staging: 0.3, dev: 0.15, unknown: 0.3 };
const HOUR = 3_600_000;

export function prioritize(story: Story, facts: FactBook, asOfMs: number, activity?: StoryActivity): Priority {
  const w = PRIORITY_WEIGHTS;
  const factors: Factor[] = [];
  const add = (name: FactorName, v: number, detail: string) => factors.push({ name, value: round(w[name] * clamp01(v)), detail });

  const top = maxSeverity(story.alerts);
  const worst = story.alerts.find((a) => a.severity === top)!;
  add('severity', SEVERITY_VALUE[top], `strongest alert is ${top}: ${worst.title}`);

  const detectors = new Set(story.alerts.map(detectorOf));
  const sources = new Set(story.alerts.map((a) => a.source));
  const d = detectors.size;
  const corroboration = Math.max(d <= 1 ? 0 : d === 2 ? 0.5 : d === 3 ? 0.8 : 1, sources.size >= 2 ? 0.6 : 0);
  add('corroboration', corroboration, d <= 1 ? 'one detector' : `${d} detectors${sources.size >= 2 ? ` from ${sources.size} sources (${[...sources].join(', ')})` : ''} agree`);

  // Independent detectors: the chance that at least one is right.
  const confidence = 1 - story.alerts.reduce((p, a) => p * (1 - Math.min(0.95, Math.max(0, a.confidence))), 1);
  add('confidence', confidence, `combined detector confidence ${confidence.toFixed(2)}`);

  let bestPriv: { id: string; level: string } | null = null;
  for (const l of story.chain) {
    const p = facts.get(l.identity)?.privilege;
    if (p && (!bestPriv || PRIVILEGE_VALUE[p] > PRIVILEGE_VALUE[bestPriv.level])) bestPriv = { id: l.identity, level: p };
  }
  add('privilege', bestPriv ? PRIVILEGE_VALUE[bestPriv.level] : 0.2, bestPriv ? `${nameOf(facts, bestPriv.id)} holds ${bestPriv.level} rights` : 'privileges unknown (no inventory of its entitlements)');

  if (activity?.sensitivity) {
    const calls = Math.max(1, activity.sensitiveCalls ?? 1);
    const volume = Math.min(1, 0.5 + Math.log10(calls) / 4);
    add('sensitiveData', (SENSITIVITY_VALUE[activity.sensitivity] ?? 0) * volume, activity.sensitiveNote ?? `touched ${activity.sensitivity} data`);
  }
  else add('sensitiveData', 0, activity ? 'touched no classified data' : 'not assessed');

  if (activity?.behaviour) add('behaviour', activity.behaviour.value, activity.behaviour.note);
  else add('behaviour', 0, activity ? 'nothing an attacker typically does (no new credentials, permission changes, probing or bulk reads)' : 'not assessed');

  const lastMs = Math.max(story.lastMs, activity?.lastMs ?? 0);
  const ago = asOfMs - lastMs;
  const now = ago <= HOUR ? 1 : ago <= 6 * HOUR ? 0.85 : ago <= 24 * HOUR ? 0.6 : ago <= 72 * HOUR ? 0.3 : ago <= 168 * HOUR ? 0.1 : 0;
  add('happeningNow', now, ago <= HOUR ? 'active in the last hour of data' : `last activity ${humanAgo(ago)} before ${new Date(asOfMs).toISOString().slice(0, 16)}Z`);

  add('ownerStatus', ...ownerFactor(story, facts));
  add('reach', ...reachFactor(story, facts));

  let auto: { id: string; level: string } | null = null;
  for (const l of story.chain) {
    const a = facts.get(l.identity)?.autonomy;
    if (a && AUTONOMY_VALUE[a] > (auto ? AUTONOMY_VALUE[auto.level] : 0)) auto = { id: l.identity, level: a };
  }
  add('autonomy', auto ? AUTONOMY_VALUE[auto.level] : 0, auto ? `${nameOf(facts, auto.id)} acts with ${auto.level} autonomy` : 'no autonomous agent in the chain');

  const score = round(Math.min(100, factors.reduce((s, f) => s + f.value, 0)));
  const band: Sev = score >= 70 ? 'critical' : score >= 50 ? 'high' : score >= 30 ? 'medium' : score >= 15 ? 'low' : 'info';
  const severity = SEVERITY_RANK[band] >= SEVERITY_RANK[top] ? band : top;
  return { score, severity: Severity.parse(severity), confidence: round(confidence), happeningNow: ago <= HOUR, lastActivityMs: lastMs, factors };
}

/** Who answers for the root and the machine identities of the chain: gone, missing, or in place. */
function ownerFactor(story: Story, facts: FactBook): [number, string] {
  const root = facts.get(story.root);
  const person = story.person ? facts.get(story.person) : null;
  if (person && GONE.has(person.status)) return [1, `${person.name} (behind ${nameOf(facts, story.root)}) is ${person.status}`];
  if (root && root.kind === 'human' && GONE.has(root.status)) return [1, `${root.name} is ${root.status}`];
  let orphan: string | null = null;
  for (const l of story.chain) {
    const f = facts.get(l.identity);
    // A key answers through its holder; people and the provider's own principals have no owner to ask.
    if (!f || f.kind === 'human' || f.kind === 'api_key' || providerManaged(f, l.identity) || f.external || f.accountRoot) continue;
    const o = facts.owner(l.identity);
    if (o && GONE.has(o.ownerStatus)) return [1, `owner of ${f.name}, ${o.ownerName}, is ${o.ownerStatus}`];
    if (!o) orphan ??= f.name;
  }
  if (root?.external) return [0.5, `${nameOf(facts, story.root)} is outside the organisation: nobody here answers for it`];
  if (orphan) return [0.4, `${orphan} has no accountable owner`];
  return [0, 'owners in place'];
}

/** Boundaries the chain crosses (another organisation, development into production) and where it ends. */
function reachFactor(story: Story, facts: FactBook): [number, string] {
  const ids = story.chain.map((l) => l.identity);
  const ext = ids.map((i) => facts.get(i)).find((f) => f?.external);
  if (ext) return [1, `the chain starts in another organisation (${ext.name})`];
  const envs = ids.map((i) => facts.get(i)?.environment ?? 'unknown');
  const deepest = envs[envs.length - 1];
  const from = envs.slice(0, -1).find((e) => e === 'dev' || e === 'staging');
  if (deepest === 'prod' && from) return [0.9, `crosses from ${from} into production`];
  const accounts = new Set(ids.map((i) => facts.get(i)?.account).filter(Boolean));
  const v = ENV_VALUE[deepest] ?? 0.3;
  return [v + (accounts.size > 1 ? 0.1 : 0), `ends in ${deepest === 'unknown' ? 'an environment the inventory does not state' : deepest}${accounts.size > 1 ? ` after crossing ${accounts.size} accounts` : ''}`];
}

function nameOf(facts: FactBook, id: string): string {
  return facts.get(id)?.name ?? id;
}

export function humanAgo(ms: number): string {
  if (ms < 2 * HOUR) return `${Math.max(1, Math.round(ms / 60_000))} min`;
  if (ms < 48 * HOUR) return `${Math.round(ms / HOUR)} h`;
  return `${Math.round(ms / (24 * HOUR))} days`;
}

function clamp01(v: number): number {
  return Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
