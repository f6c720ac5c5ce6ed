import { SEVERITY_RANK, type RecommendedAction, type Severity, type TriageIncident } from '../../model/index.js';
import { fitMessage, mrkdwn, plain, type Block, type SlackMessage } from './limits.js';

/**
 * Block Kit for the on-call engineer: one card per new or escalated incident (what is happening, do
 * now, owner, confidence, a link to the web view) and a digest of what is open. Everything from the
 * data goes through mrkdwn()/plain() (escaped, redacted), and every message through fitMessage().
 */
export type Announcement = 'new' | 'escalated' | 'reopened';

const MARK: Record<Severity, string> = {
  critical: ':red_circle:', high: ':large_orange_circle:', medium: ':large_yellow_circle:', low: ':white_circle:', info: ':white_circle:',
};

const ACTION_WORDS: Record<RecommendedAction['action'], string> = {
  rotate_credential: 'Rotate', deactivate_credential: 'Deactivate', disable_identity: 'Disable', revoke_sessions: 'Revoke the sessions of',
  revoke_grant: 'Revoke the grant to', remove_trust: 'Remove the trust into', scope_down_policy: 'Scope down', contact_owner: 'Contact the owner of',
  investigate: 'Investigate',
};

export interface CardOptions {
  announcement: Announcement;
  /** The severity it was announced with before, for an escalation. */
  previousSeverity?: Severity | null;
  /** A signed web-view link to the incident, when a web URL is configured. */
  link?: string | null;
  asOf: string;
}

function nameOf(inc: TriageIncident, id: string): string {
  return inc.entities[id]?.name ?? id;
}

function ownerLine(inc: TriageIncident): string {
  const o = inc.ownerDetail;
  if (o) return `${o.name}${o.email ? ` <${o.email}>` : ''}${o.status !== 'active' && o.status !== 'unknown' ? ` (${o.status})` : ''}${o.team ? `, ${o.team}` : ''}`;
  return inc.owner ? inc.owner : 'no accountable owner on record';
}

export function actionPhrase(inc: TriageIncident, a: RecommendedAction): string {
  const name = nameOf(inc, a.target);
  return `${ACTION_WORDS[a.action]} ${name === a.target ? a.target : `${name} (${a.target})`}`;
}

/** The first sentence or so: a digest line has room for the gist only. */
function gist(text: string, max = 220): string {
  const first = /^(.{40,}?[.!?])\s/.exec(text)?.[1] ?? text;
  return first.length <= max ? first : first.slice(0, max - 1) + '…';
}

function headerFor(inc: TriageIncident, o: CardOptions): string {
  const lead = o.announcement === 'escalated' ? `Escalated to ${inc.severity}` : o.announcement === 'reopened' ? `Reopened, ${inc.severity}` : inc.severity.toUpperCase();
  return plain(`${lead}: ${inc.title}`);
}

export function incidentCard(inc: TriageIncident, o: CardOptions): SlackMessage {
  const blocks: Block[] = [];
  blocks.push({ type: 'header', text: { type: 'plain_text', text: headerFor(inc, o), emoji: true } });
  if (o.announcement === 'escalated' && o.previousSeverity) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(`Was ${o.previousSeverity} when first posted; now ${inc.severity}.`) }] });
  }
  const state = [inc.status, inc.happeningNow ? 'happening now' : null].filter(Boolean).join(', ');
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Severity*\n${MARK[inc.severity]} ${mrkdwn(`${inc.severity}, score ${Math.round(inc.score)}/100, rank #${inc.rank}`)}` },
      { type: 'mrkdwn', text: `*Confidence*\n${Math.round(inc.confidence * 100)}%` },
      { type: 'mrkdwn', text: `*Owner*\n${mrkdwn(ownerLine(inc))}` },
      { type: 'mrkdwn', text: `*Status*\n${mrkdwn(state)}` },
    ],
  });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*What is happening*\n${mrkdwn(inc.whatIsHappening || inc.title)}` } });

  const now = inc.actions.filter((a) => a.urgency === 'now');
  const later = inc.actions.length - now.length;
  const doNow = now.length
    ? now.slice(0, 5).map((a, i) => `${i + 1}. ${mrkdwn(actionPhrase(inc, a))}: ${mrkdwn(a.reason)}${a.command ? `\n\`\`\`${mrkdwn(a.command)}\`\`\`` : ''}`).join('\n')
    : mrkdwn(inc.whatNeedsActionNow || 'Nothing is due now: review the evidence, then acknowledge or resolve it.');
  const more = now.length > 5 || later ? `\n_${now.length > 5 ? `${now.length - 5} more due now; ` : ''}${later ? `${later} for today or this week` : ''}: in the web view._` : '';
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Do now*\n${doNow}${more}` } });

  if (inc.chain.length > 1) {
    const chain = inc.chain.map((l, i) => `${i ? ` —${l.edge ?? 'then'}→ ` : ''}${nameOf(inc, l.identity)}`).join('');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `*Chain* ${mrkdwn(chain)}` }] });
  }
  if (o.link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the web view' }, url: o.link, ...(SEVERITY_RANK[inc.severity] >= SEVERITY_RANK.critical ? { style: 'danger' } : {}) }],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: mrkdwn(`${inc.id} · data as of ${o.asOf.slice(0, 16)}Z · \`idcopilot explain ${inc.id}\` · the copilot proposes; it changes nothing`) }],
  });
  const text = `${inc.severity.toUpperCase()} ${o.announcement === 'new' ? '' : `(${o.announcement}) `}${inc.title}. Owner: ${ownerLine(inc)}. ${now[0] ? `Do now: ${actionPhrase(inc, now[0])}.` : ''}`;
  return fitMessage({ text: mrkdwn(text), blocks });
}

export interface DigestOptions {
  asOf: string;
  /** Signed links per incident id. */
  links?: Map<string, string>;
  /** Incidents announced in this run, marked in the list. */
  fresh?: Set<string>;
  /** Incidents that exist but are not in `incidents` (beyond the shown ones). */
  more?: number;
  /** Web view base (signed link to the list), when configured. */
  listLink?: string | null;
}

/** What is open, worst first: the page an engineer coming on shift reads. */
export function digestMessage(incidents: TriageIncident[], o: DigestOptions): SlackMessage {
  const open = incidents.filter((i) => i.status === 'open' || i.status === 'acknowledged');
  const counts = (['critical', 'high', 'medium', 'low'] as Severity[]).map((s) => [s, open.filter((i) => i.severity === s).length] as const).filter(([, n]) => n > 0);
  const blocks: Block[] = [];
  blocks.push({ type: 'header', text: { type: 'plain_text', text: plain(`On-call digest: ${open.length} open incident${open.length === 1 ? '' : 's'}`), emoji: true } });
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: open.length
        ? counts.map(([s, n]) => `${MARK[s]} *${n}* ${s}`).join('   ') + `\n${open.filter((i) => i.happeningNow).length} happening now · ${open.filter((i) => !i.ownerDetail && !i.owner).length} without an owner`
        : 'Nothing open. :white_check_mark:',
    },
  });
  const shown = open.slice(0, 15);
  for (const inc of shown) {
    const link = o.links?.get(inc.id);
    const title = link ? `<${link}|${mrkdwn(inc.title)}>` : `*${mrkdwn(inc.title)}*`;
    const first = inc.actions.find((a) => a.urgency === 'now');
    const line = `${MARK[inc.severity]} #${inc.rank} ${title}${o.fresh?.has(inc.id) ? ' _(new)_' : ''}\n` +
      mrkdwn(`Owner: ${ownerLine(inc)} · confidence ${Math.round(inc.confidence * 100)}%${inc.happeningNow ? ' · happening now' : ''}`) +
      (first ? `\n${mrkdwn(`Do now: ${actionPhrase(inc, first)}`)}` : `\n${mrkdwn(gist(inc.whatIsHappening || inc.title))}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: line } });
  }
  const rest = open.length - shown.length + (o.more ?? 0);
  const tail = [`data as of ${o.asOf.slice(0, 16)}Z`, rest > 0 ? `${rest} more: \`idcopilot triage\`` : null, 'the copilot proposes; it changes nothing'].filter(Boolean).join(' · ');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(tail) }] });
  if (o.listLink) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'All incidents' }, url: o.listLink }] });
  const text = `On-call digest: ${open.length} open (${counts.map(([s, n]) => `${n} ${s}`).join(', ') || 'none'})`;
  return fitMessage({ text: mrkdwn(text), blocks });
}
