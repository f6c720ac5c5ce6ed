import type { NarratorInfo, RecommendedAction, TriageIncident } from '../model/index.js';

/**
 * The deterministic narrator: plain English from the engine's facts, every claim followed by the ids
 * that show it in square brackets. It is the default, works offline, and is what the LLM narrator falls
 * back to; it never says anything the assessment does not hold.
 */
export interface Narration {
  whatIsHappening: string;
  whatNeedsActionNow: string;
}

export interface NarrationResult extends Narration {
  info: NarratorInfo;
}

/** One interface, two implementations: templates (offline) and an LLM behind the grounding guard. */
export interface Narrator {
  readonly kind: NarratorInfo['kind'];
  narrate(incident: TriageIncident): Promise<NarrationResult>;
}

export class TemplateNarrator implements Narrator {
  readonly kind = 'deterministic' as const;
  async narrate(incident: TriageIncident): Promise<NarrationResult> {
    return { ...narrateIncident(incident), info: { kind: 'deterministic', model: null, fallbackReason: null, toolCalls: [] } };
  }
}

/** How each hop reads after the previous link: "used key K to assume role R". */
function hopPhrase(edge: string | null, afterCredential: boolean): string {
  switch (edge) {
    case 'owns_credential': return 'used';
    case 'assumed': return afterCredential ? 'to assume' : 'assumed';
    case 'impersonates': return afterCredential ? 'to impersonate' : 'impersonated';
    case 'acts_for': return 'through';
    case 'authenticates_as': return 'to sign in as';
    case 'federates_to': return 'federated into';
    case 'runs_as': return 'running as';
    case 'granted': return 'granted';
    case 'same_as': return 'also known as';
    default: return 'then';
  }
}

const CREDENTIAL = /^(aws:access-key:|github:pat:|github:token:|okta:api-token:|gcp:sa-key:|entra:credential:|k8s:sa-token:)/;

export function narrateIncident(inc: TriageIncident): Narration {
  return { whatIsHappening: whatIsHappening(inc), whatNeedsActionNow: whatNeedsActionNow(inc) };
}

function nameOf(inc: TriageIncident, id: string): string {
  return inc.entities[id]?.name ?? id;
}

function kindOf(inc: TriageIncident, id: string): string {
  const k = inc.entities[id]?.kind ?? 'identity';
  return k.replace('_', ' ');
}

/** `name [id]`, or just `[id]` when the name is the id. */
function cite(inc: TriageIncident, id: string): string {
  const n = nameOf(inc, id);
  return n === id ? `[${id}]` : `${n} [${id}]`;
}

function whatIsHappening(inc: TriageIncident): string {
  const parts: string[] = [];
  const root = inc.chain[0]?.identity ?? inc.rootIdentity;
  const p = inc.person && inc.person !== root ? inc.person : null;
  const pStatus = p && inc.entities[p]?.status && inc.entities[p]?.status !== 'active' ? `, ${inc.entities[p]?.status}` : '';
  const provider = inc.entities[root]?.provider ? `, ${inc.entities[root]?.provider}` : '';
  let chain = `${cite(inc, root)} (${kindOf(inc, root)}${provider}${p ? `; the person: ${cite(inc, p)}${pStatus}` : ''})`;
  let prev = root;
  for (const l of inc.chain.slice(1)) {
    const credential = CREDENTIAL.test(l.identity);
    chain += ` ${hopPhrase(l.edge, CREDENTIAL.test(prev))} ${credential ? 'key ' : ''}${cite(inc, l.identity)}`;
    prev = l.identity;
  }
  const a = inc.activity;
  if (a && a.events) {
    const when = sameDay(a.from, a.to) ? `between ${a.from.slice(11, 16)} and ${a.to.slice(11, 16)} UTC on ${a.from.slice(0, 10)}` : `from ${a.from.slice(0, 16)}Z to ${a.to.slice(0, 16)}Z`;
    const from = a.networks.length ? ` from ${a.networks.slice(0, 2).map((n) => n.network).join(' and ')}` : '';
    const clients = a.clients.length ? ` with client ${a.clients.slice(0, 2).map((c) => c.client.replace(/\|/g, '/')).join(' and ')}` : '';
    const acts = a.actions.slice(0, 4).map((x) => `${x.action} x${x.count}`).join(', ');
    parts.push(`${chain}, and made ${a.events} call(s) ${when}${from}${clients}: ${acts}${a.failures ? ` (${a.failures} denied)` : ''} (e.g. ${inc.events.slice(0, 2).map((e) => `[${e}]`).join(' ')}).`);
  } else {
    parts.push(`${chain}.`);
  }
  if (inc.impact?.summary) parts.push(inc.impact.summary);
  const sig = inc.signals.slice(0, 4).map((s) => `${s.title} (${s.severity}) [${s.id}]`).join('; ');
  parts.push(`${inc.signals.length === 1 ? 'One detector flagged it' : `${inc.signals.length} alerts flag it`}: ${sig}${inc.signals.length > 4 ? `; and ${inc.signals.length - 4} more` : ''}.`);
  const now = inc.priorityFactors.find((f) => f.name === 'happeningNow');
  const owner = inc.priorityFactors.find((f) => f.name === 'ownerStatus' && f.value > 0);
  const tail: string[] = [];
  if (now) tail.push(inc.happeningNow ? 'It is happening now' : cap(now.detail));
  if (owner) tail.push(cap(owner.detail));
  if (tail.length) parts.push(tail.join('. ') + '.');
  parts.push(`Severity ${inc.severity}, score ${inc.score}/100, rank ${inc.rank}.`);
  return parts.join(' ');
}

function whatNeedsActionNow(inc: TriageIncident): string {
  if (!inc.actions.length) return 'No action is proposed: review the evidence and decide whether to acknowledge it.';
  const by = (u: RecommendedAction['urgency']) => inc.actions.filter((a) => a.urgency === u);
  const phrase = (a: RecommendedAction) => `${ACTION_TEXT[a.action]} ${cite(inc, a.target)}${a.dependents.length && a.action !== 'contact_owner' && a.action !== 'investigate' ? ` (after telling its ${a.dependents.length} other user(s))` : ''}`;
  const out: string[] = [];
  const now = by('now');
  if (now.length) out.push(`Now: ${now.map(phrase).join('; ')}.`);
  const today = by('today');
  if (today.length) out.push(`Today: ${today.map(phrase).join('; ')}.`);
  const week = by('this_week');
  if (week.length) out.push(`This week: ${week.map(phrase).join('; ')}.`);
  const owner = inc.ownerDetail;
  if (owner) out.push(`Accountable owner: ${owner.name}${owner.email ? ` <${owner.email}>` : ''} [${owner.id}]${owner.status !== 'active' && owner.status !== 'unknown' ? ` (${owner.status})` : ''}.`);
  out.push('Each action carries its exact command for review; the copilot runs none of them.');
  return out.join(' ');
}

const ACTION_TEXT: Record<RecommendedAction['action'], string> = {
  rotate_credential: 'rotate',
  deactivate_credential: 'deactivate',
  disable_identity: 'disable',
  revoke_sessions: 'revoke the sessions of',
  revoke_grant: 'revoke the grant to',
  remove_trust: 'remove the trust that let the chain into',
  scope_down_policy: 'scope down the policy of',
  contact_owner: 'contact the owner of',
  investigate: 'investigate',
};

function sameDay(a: string, b: string): boolean {
  return a.slice(0, 10) === b.slice(0, 10);
}

function cap(s: string): string {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}
