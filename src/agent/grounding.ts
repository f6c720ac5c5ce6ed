import { SEVERITY_RANK, type Severity, type TriageIncident } from '../model/index.js';
import type { Db } from '../store/index.js';
import type { Narration } from './narrate.js';

/**
 * The grounding guard. An LLM's narration is accepted only if every identity, alert, event, incident
 * or resource id it cites exists (in the incident or, failing that, in the store), and it changes
 * nothing the engines decided: no other severity, rank or score, no verdict that the incident is
 * benign or needs no action, no action on a target the plan does not name, no status change. Anything
 * else falls back to the deterministic text, and the output says why.
 */
export interface Grounding {
  ok: boolean;
  reason: string | null;
  cited: string[];
  missing: string[];
}

/** Ids as narrators write them: in [brackets], plus bare ARNs, provider:type:id ids and incident ids. */
const BRACKETED = /\[([^\][\s]{3,2048})\]/g;
const BARE = /\b(?:arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{0,12}:[^\s,;)\]"'`]+|(?:aws|okta|entra|github|gcp|k8s|agent|mcp|openai|anthropic|hr|azure|generic|oidc):[a-z][a-z0-9_-]*:[^\s,;)\]"'`]+|inc-[0-9a-f]{10})/g;
const STRIP = /[.,:;!?]+$/;

export function citedIds(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(BRACKETED)) {
    const v = m[1].replace(STRIP, '');
    // `[1]`, `[x3]`, `[now]`: list markers and counts, not ids.
    if (/[:\-/]/.test(v) && !/^\d+$/.test(v)) out.add(v);
  }
  for (const m of text.matchAll(BARE)) out.add(m[0].replace(STRIP, ''));
  return [...out];
}

/** Verdicts that would overrule the engines (priority and actions are theirs). */
const OVERRULE: [RegExp, string][] = [
  [/\b(is|looks|appears|seems|was|be) (entirely |completely |probably |likely )?(benign|harmless|a false positive|expected behaviou?r|legitimate)\b|\bmark(ed)? (it|this|the incident)? ?(as )?(benign|safe|resolved|a false positive)\b/i, 'it calls the incident benign or a false positive'],
  [/\bno (action|response|remediation) (is |was )?(needed|required|necessary)\b|\b(safe|fine) to ignore\b|\bcan (safely )?be (ignored|closed|dismissed)\b|\bnothing (needs|to) (be )?(done|do)\b/i, 'it says no action is needed'],
  [/\b(i|we) (have )?(closed|resolved|acknowledged|dismissed|suppressed|disabled|revoked|rotated|deactivated|deleted)\b/i, 'it claims to have acted on the systems or the incident'],
  [/\b(de-?prioriti[sz]e|lower(ed)? (the )?(priority|severity)|downgrade)/i, 'it changes the priority'],
];

export async function checkGrounding(db: Db, inc: TriageIncident, n: Narration): Promise<Grounding> {
  const text = `${n.whatIsHappening}\n${n.whatNeedsActionNow}`;
  const cited = citedIds(text);
  if (!n.whatIsHappening.trim() || !n.whatNeedsActionNow.trim()) return { ok: false, reason: 'the answer left a section empty', cited, missing: [] };
  for (const [re, why] of OVERRULE) {
    const m = re.exec(text);
    if (m) return { ok: false, reason: `${why} ("${m[0]}"), which only the engines and the analyst decide`, cited, missing: [] };
  }
  const sev = /\b(critical|high|medium|low|info)(?:[- ]severity| priority)\b|\bseverity (?:is |of |: ?)?(critical|high|medium|low|info)\b/gi;
  for (const m of text.matchAll(sev)) {
    const said = (m[1] ?? m[2]).toLowerCase() as Severity;
    if (said in SEVERITY_RANK && said !== inc.severity) return { ok: false, reason: `it states severity ${said}, the engine says ${inc.severity}`, cited, missing: [] };
  }
  for (const m of text.matchAll(/\b(?:rank(?:ed)?|priority) #?(\d+)\b/gi)) {
    if (Number(m[1]) !== inc.rank) return { ok: false, reason: `it states rank ${m[1]}, the engine ranks it ${inc.rank}`, cited, missing: [] };
  }
  for (const m of text.matchAll(/\bscore (?:of )?(\d+(?:\.\d+)?)/gi)) {
    if (Math.abs(Number(m[1]) - inc.score) > 0.5) return { ok: false, reason: `it states score ${m[1]}, the engine's is ${inc.score}`, cited, missing: [] };
  }
  // An action verb right before an id the plan does not act on is an action of the model's own.
  const planned = new Set(inc.actions.map((a) => a.target));
  for (const m of text.matchAll(/\b(disable|revoke|rotate|deactivate|delete|remove|suspend)\w*\b[^.;\n[]{0,60}\[([^\]\s]+)\]/gi)) {
    const id = m[2].replace(STRIP, '');
    if (!planned.has(id) && citedIds(`[${id}]`).length) return { ok: false, reason: `it proposes to ${m[1].toLowerCase()} ${id}, which is not among the recommended actions`, cited, missing: [] };
  }
  const missing = await missingIds(db, inc, cited);
  if (missing.length) return { ok: false, reason: `it cites ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}, which ${missing.length === 1 ? 'does' : 'do'} not exist in the store`, cited, missing };
  return { ok: true, reason: null, cited, missing: [] };
}

/** Cited ids that neither the incident nor the store holds. */
export async function missingIds(db: Db, inc: TriageIncident, cited: string[]): Promise<string[]> {
  const known = new Set<string>([
    inc.id, inc.rootIdentity, ...inc.identities, ...inc.alerts, ...inc.events, ...inc.evidence, ...inc.chain.map((l) => l.identity),
    ...Object.keys(inc.entities), ...inc.actions.map((a) => a.target), ...(inc.owner ? [inc.owner] : []), ...(inc.person ? [inc.person] : []),
    ...(inc.impact?.touched.map((t) => t.id) ?? []),
  ]);
  const unknown = cited.filter((c) => !known.has(c));
  if (!unknown.length) return [];
  const rows = await db.query<{ id: string }>(`
    SELECT id FROM identities WHERE id = ANY($1::text[]) UNION SELECT id FROM alerts WHERE id = ANY($1::text[])
    UNION SELECT id FROM events WHERE id = ANY($1::text[]) UNION SELECT id FROM credentials WHERE id = ANY($1::text[])
    UNION SELECT id FROM resources WHERE id = ANY($1::text[]) UNION SELECT id FROM incidents WHERE id = ANY($1::text[])`, [unknown]);
  const found = new Set(rows.map((r) => r.id));
  return unknown.filter((c) => !found.has(c));
}

/** Share of cited ids that exist: the eval's grounding metric. */
export async function groundingRate(db: Db, inc: TriageIncident, n: Narration): Promise<{ cited: number; existing: number }> {
  const cited = citedIds(`${n.whatIsHappening}\n${n.whatNeedsActionNow}`);
  const missing = await missingIds(db, inc, cited);
  return { cited: cited.length, existing: cited.length - missing.length };
}
