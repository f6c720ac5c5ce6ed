import type { StoredSummary } from '../../engines/correlate/stored.js';
import type { BriefingDecision, BriefingIncident, CisoBriefing } from '../../model/index.js';

/**
 * The three things that need a decision, from the figures: at most two open incidents of high or
 * critical severity (containment a person must approve, because it breaks what depends on the target),
 * then the posture problems that touch the most identities (a programme, a policy, a budget). Always
 * at least one posture decision when there is one: a board hears about incidents anyway.
 */
interface DecisionInput {
  incidents: BriefingIncident[];
  posture: CisoBriefing['posture'];
  owasp: CisoBriefing['owasp'];
  stored: Map<string, StoredSummary>;
}

const pct = (n: number, of: number) => (of > 0 ? `${Math.round((n / of) * 100)}%` : '-');
const fmt = (n: number) => n.toLocaleString('en-US');

/** At most `max` characters, cut at a word. */
function words(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim().replace(/[.]$/, '');
  return t.length <= max ? t : t.slice(0, t.lastIndexOf(' ', max - 1) > 0 ? t.lastIndexOf(' ', max - 1) : max - 1) + ' …';
}

export function decide(d: DecisionInput): BriefingDecision[] {
  const out: BriefingDecision[] = [];
  const urgent = d.incidents.filter((i) => i.status === 'open' && (i.severity === 'critical' || i.severity === 'high')).slice(0, 2);
  for (const i of urgent) {
    const a = d.stored.get(i.id)?.assessment;
    const now = a?.actions.filter((x) => x.urgency === 'now') ?? [];
    const dependents = now.reduce((s, x) => s + x.dependents.length, 0);
    const kinds = [...new Set(now.map((x) => x.action.replace(/_/g, ' ')))];
    const facts = [
      `${i.severity[0].toUpperCase()}${i.severity.slice(1)} incident, score ${i.score}/100${a?.happeningNow ? ', happening now' : ''}`,
      a ? `${a.signals.length} alert(s)${a.providers.length ? ` in ${a.providers.join(', ')}` : ''}` : null,
      a?.impact?.summary ? words(a.impact.summary, 220) : null,
    ].filter(Boolean);
    out.push({
      kind: 'incident', ref: i.id,
      title: `Approve containment: ${i.title}`,
      why: ((w) => (w.endsWith('…') ? w : `${w}.`))(facts.join('; ')),
      ask: now.length
        ? `Approve ${now.length} action(s) now (${kinds.slice(0, 3).join(', ')})${dependents ? `, accepting that ${dependents} observed dependent(s) must move first` : ''}.`
        : 'Decide who leads the response and by when.',
      owner: i.owner,
    });
  }

  const p = d.posture;
  const by = Object.fromEntries(d.owasp.map((o) => [o.code, o.identities]));
  const posture: (BriefingDecision & { weight: number })[] = [];
  if (p.orphaned > 0) {
    posture.push({
      kind: 'posture', ref: 'NHI1', weight: p.orphaned * 1.2,
      title: 'Make every machine identity someone\'s responsibility',
      why: `${fmt(p.orphaned)} machine identities have no active owner (ownership coverage ${p.ownership.coverage === null ? '-' : pct(p.ownership.owned, p.ownership.ownable)}); nobody notices when they are misused.`,
      ask: 'Mandate an accountable owner per machine identity within 30 days; disable what stays unclaimed.',
      owner: 'Head of platform engineering',
    });
  }
  if (p.longLived > 0) {
    posture.push({
      kind: 'posture', ref: 'NHI7', weight: p.longLived,
      title: 'Retire long-lived secrets',
      why: `${fmt(p.longLived)} identities hold secrets older than the rotation policy allows (OWASP NHI7).`,
      ask: 'Set a maximum key age (90 days) and fund the move to federation and short-lived credentials.',
      owner: 'Cloud platform team',
    });
  }
  if (p.overprivileged > 0) {
    posture.push({
      kind: 'posture', ref: 'NHI5', weight: p.overprivileged * 1.5,
      title: 'Cut standing admin rights of machine identities',
      why: `${fmt(p.overprivileged)} machine identities can administer or escalate (OWASP NHI5); any one leaked is a full compromise.`,
      ask: 'Approve a least-privilege programme: scope policies to observed use, starting with production.',
      owner: 'Identity and access management',
    });
  }
  if (p.humanUseOfNhi > 0) {
    posture.push({
      kind: 'posture', ref: 'NHI10', weight: p.humanUseOfNhi * 2,
      title: 'Stop people using machine identities',
      why: `${fmt(p.humanUseOfNhi)} machine identities are used by people (OWASP NHI10): their actions cannot be attributed.`,
      ask: 'Require personal, audited access for people; forbid interactive use of service credentials.',
      owner: 'Identity and access management',
    });
  }
  const fullAgents = Number(p.agentsByAutonomy.full ?? 0);
  if (fullAgents > 0) {
    posture.push({
      kind: 'posture', ref: 'AUTONOMY', weight: fullAgents * 3,
      title: 'Set guardrails for autonomous AI agents',
      why: `${fmt(fullAgents)} AI agents act with full autonomy; what they may do unattended is not written down.`,
      ask: 'Decide which actions need a person in the loop, and give each agent an owner and its own scoped credential.',
      owner: 'AI platform owner',
    });
  }
  if ((by.NHI2 ?? 0) > 0) {
    posture.push({
      kind: 'posture', ref: 'NHI2', weight: by.NHI2 * 4,
      title: 'Contain leaked secrets',
      why: `${fmt(by.NHI2)} identities have secrets seen where they should not be (OWASP NHI2).`,
      ask: 'Rotate them this week and turn on secret scanning with push protection everywhere.',
      owner: 'Application security',
    });
  }
  posture.sort((a, b) => b.weight - a.weight);
  const room = Math.max(1, 3 - out.length);
  const keep = out.slice(0, 3 - Math.min(room, posture.length));
  return [...keep, ...posture.slice(0, 3 - keep.length).map(({ weight: _w, ...rest }) => rest)].slice(0, 3);
}
