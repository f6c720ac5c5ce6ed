import { z } from 'zod';
import { narrateIncident } from '../src/agent/narrate.js';
import { runTriage } from '../src/agent/triage.js';
import { assessIncident, incidentHistory, setIncidentStatus, sinceFrom, STATUS_VERBS, type StatusVerb } from '../src/engines/correlate/index.js';
import { similarIncidents } from '../src/engines/correlate/similar.js';
import { getStoredIncident } from '../src/engines/correlate/stored.js';
import { toMermaid } from '../src/engines/delegation/index.js';
import { IncidentStatus, RecommendedAction, Severity, TriageIncident } from '../src/model/index.js';
import { capRows, defineTool, LIMITS, ToolError, type ToolContext } from './registry.js';

/**
 * Incidents: triage, the full story of one, its actions, its events, similar ones, and the analyst's
 * decision on it (the only write, to the copilot's own data).
 */
const IncidentId = z.string().regex(/^inc-[0-9a-f]{10}$/, 'incident ids look like inc-0123456789').describe('An incident id from triage_incidents, e.g. inc-3f2a9c1b7e');

const ActionBrief = RecommendedAction.pick({ action: true, target: true, urgency: true, reason: true });

export const triageIncidents = defineTool({
  name: 'triage_incidents',
  title: 'Triage incidents',
  description:
    'Correlate alerts, logs and ownership into ranked identity incidents and answer "what is happening, and what needs action now?". ' +
    'Each incident has a root identity and its delegation chain, a severity and score explained factor by factor, and ordered recommended ' +
    'actions (target, urgency, reason). Time is the data\'s: asOf is the latest event. Refreshes the copilot\'s own incident list (ids are ' +
    'stable across runs); it never changes the systems it watches. Use explain_incident for one incident\'s commands, dependents and evidence.',
  input: z.object({
    since: z.string().optional().describe('Only alerts from this far back from asOf (a duration: 24h, 7d) or since this time (ISO-8601)'),
    top: z.number().int().min(1).max(20).default(10).describe('How many incidents to return, strongest first (1-20)'),
    asOf: z.string().optional().describe('Judge the store as of this time (ISO-8601); default its latest event'),
  }),
  output: z.object({
    asOf: z.string(),
    totals: z.object({ alerts: z.number(), incidents: z.number(), shown: z.number(), suppressedAlerts: z.number() }),
    incidents: z.array(z.object({
      id: z.string(), rank: z.number(), severity: Severity, score: z.number(), title: z.string(), status: IncidentStatus,
      rootIdentity: z.string(), owner: z.string().nullable(), happeningNow: z.boolean(), whatIsHappening: z.string(), actions: z.array(ActionBrief),
    })),
    notices: z.array(z.string()),
  }),
  annotations: { title: 'Triage incidents', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx: ToolContext, input) {
    const since = await sinceFrom(ctx.db, input.since, input.asOf);
    const r = await runTriage(ctx.db, { config: ctx.config, top: input.top, since, asOf: input.asOf ?? null, narrator: 'deterministic', embed: false });
    return {
      asOf: r.asOf,
      totals: { alerts: r.totals.alerts, incidents: r.totals.incidents, shown: r.totals.shown, suppressedAlerts: r.totals.suppressedAlerts },
      incidents: r.incidents.map((i) => ({
        id: i.id, rank: i.rank, severity: i.severity, score: i.score, title: i.title, status: i.status, rootIdentity: i.rootIdentity,
        owner: i.owner, happeningNow: i.happeningNow, whatIsHappening: i.whatIsHappening,
        actions: i.actions.map((a) => ({ action: a.action, target: a.target, urgency: a.urgency, reason: a.reason })),
      })),
      notices: r.notices,
    };
  },
  summarize: (o) => `${o.incidents.length} of ${o.totals.incidents} incident(s) as of ${o.asOf}: ${o.incidents.slice(0, 5).map((i) => `#${i.rank} ${i.id} ${i.severity} ${i.title}`).join('; ')}`,
});

/** The stored assessment, or a fresh one when the incident was never among those shown. */
export async function incidentAssessment(ctx: ToolContext, id: string): Promise<TriageIncident> {
  const stored = await getStoredIncident(ctx.db, id);
  if (!stored) throw new ToolError(`no incident ${id} (run triage_incidents to list the current ones)`);
  if (stored.assessment) return stored.assessment;
  const fresh = await assessIncident(ctx.db, id, { config: ctx.config });
  if (!fresh) throw new ToolError(`incident ${id} has no alerts left to assess (they may have been removed)`);
  return { ...fresh, ...narrateIncident(fresh) };
}

export const explainIncident = defineTool({
  name: 'explain_incident',
  title: 'Explain an incident',
  description:
    'Everything about one incident: what is happening and what needs action now in plain English with evidence ids, the delegation chain ' +
    '(root identity first) with a Mermaid diagram, the priority factors, business impact (what the touched systems hold), recommended actions ' +
    'with the exact command for each and who depends on the target, the accountable owner, and the analyst history.',
  input: z.object({ id: IncidentId }),
  output: z.object({
    incident: TriageIncident,
    mermaid: z.string(),
    history: z.array(z.object({ at: z.string(), action: z.string(), actor: z.string(), reason: z.string().nullable() })),
  }),
  annotations: { title: 'Explain an incident', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx, input) {
    const incident = await incidentAssessment(ctx, input.id);
    const history = (await incidentHistory(ctx.db, input.id)).slice(-20).map(({ at, action, actor, reason }) => ({ at, action, actor, reason }));
    const capped = { ...incident, events: incident.events.slice(0, LIMITS.rows), identities: incident.identities.slice(0, LIMITS.rows), alerts: incident.alerts.slice(0, LIMITS.rows) };
    return { incident: capped, mermaid: chainMermaid(incident), history };
  },
  summarize: (o) => `${o.incident.id} (${o.incident.severity}, score ${o.incident.score}): ${o.incident.whatIsHappening} What needs action now: ${o.incident.whatNeedsActionNow}`,
});

export function chainMermaid(inc: TriageIncident): string {
  const names = new Map(Object.entries(inc.entities).map(([k, v]) => [k, v.name]));
  const hops = inc.chain.slice(1).map((l, i) => ({ from: inc.chain[i].identity, to: l.identity, edge: l.edge ?? 'same_as', reversed: false, potential: false, observed: true, firstSeen: null, lastSeen: null, count: 0, evidence: [] }));
  return toMermaid({ identity: inc.chain[inc.chain.length - 1]?.identity ?? inc.rootIdentity, upstream: hops.length ? [{ hops }] : [], downstream: [], roots: [], blastRadius: null, truncated: [] }, names);
}

export const recommendActions = defineTool({
  name: 'recommend_actions',
  title: 'Recommend actions',
  description:
    'The ordered actions for one incident: rotate or deactivate a credential, disable an identity, revoke sessions, revoke an OAuth grant, ' +
    'remove a trust, scope down a policy (a least-privilege policy from observed use), contact the named owner. Each has a target, an urgency ' +
    '(now, today, this_week), a reason, the exact command for a person to run after review, what depends on the target, and a safe order. ' +
    'Proposals only: the copilot never runs them.',
  input: z.object({ id: IncidentId }),
  output: z.object({ id: z.string(), actions: z.array(RecommendedAction) }),
  annotations: { title: 'Recommend actions', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx, input) {
    const inc = await incidentAssessment(ctx, input.id);
    return { id: inc.id, actions: inc.actions };
  },
  summarize: (o) => o.actions.map((a, i) => `${i + 1}. [${a.urgency}] ${a.action} ${a.target}: ${a.reason}`).join('\n'),
});

export const incidentEvents = defineTool({
  name: 'incident_events',
  title: 'Events of an incident',
  description: 'The logged events behind one incident, oldest first (time, actor, action, outcome, target, source address, user agent). At most 100.',
  input: z.object({ id: IncidentId, limit: z.number().int().min(1).max(LIMITS.rows).default(50) }),
  output: z.object({
    id: z.string(),
    events: z.array(z.object({ id: z.string(), time: z.string(), actor: z.string(), action: z.string(), outcome: z.string(), target: z.string().nullable(), sourceIp: z.string().nullable(), userAgent: z.string().nullable() })),
    truncated: z.boolean(),
  }),
  annotations: { title: 'Events of an incident', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx, input) {
    const stored = await getStoredIncident(ctx.db, input.id);
    if (!stored) throw new ToolError(`no incident ${input.id}`);
    const ids = stored.assessment?.events ?? stored.events;
    const rows = await ctx.db.query(`SELECT id, time, actor_id, action, outcome, target, source_ip, user_agent FROM events WHERE id = ANY($1::text[]) ORDER BY time, id LIMIT $2`, [ids, input.limit + 1]);
    const { rows: list, truncated } = capRows(rows, input.limit);
    return {
      id: input.id,
      events: list.map((r) => ({ id: r.id, time: new Date(r.time).toISOString(), actor: r.actor_id, action: r.action, outcome: r.outcome, target: r.target ?? null, sourceIp: r.source_ip ?? null, userAgent: r.user_agent ?? null })),
      truncated: truncated || ids.length > input.limit,
    };
  },
  summarize: (o) => `${o.events.length} event(s) of ${o.id}${o.truncated ? ' (more exist)' : ''}`,
});

export const similarIncidentsTool = defineTool({
  name: 'similar_incidents',
  title: 'Similar incidents',
  description: 'Incidents like a given one (by id) or like a description (free text), nearest first, with their status: "has this happened before, and how was it closed?"',
  input: z.object({
    id: IncidentId.optional(),
    text: z.string().min(3).max(2000).optional().describe('A description to match when there is no incident id'),
    k: z.number().int().min(1).max(10).default(5),
  }).refine((v) => v.id || v.text, { message: 'give an incident id or a text' }),
  output: z.object({ similar: z.array(z.object({ id: z.string(), title: z.string(), score: z.number(), status: z.string(), severity: z.string() })) }),
  annotations: { title: 'Similar incidents', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx, input) {
    return { similar: await similarIncidents(ctx.db, { id: input.id, text: input.text }, input.k) };
  },
  summarize: (o) => o.similar.map((s) => `${s.id} (${s.status}, ${s.score}): ${s.title}`).join('\n') || 'no similar incidents',
});

export const setIncidentStatusTool = defineTool({
  name: 'set_incident_status',
  title: 'Set an incident\'s status',
  description:
    'Record an analyst\'s decision on an incident: ack (acknowledged, being handled), resolve, false-positive, or reopen, with a reason kept ' +
    'in its history. Changes only the copilot\'s own incident record, never the watched systems. Only call it when the analyst asks to.',
  input: z.object({
    id: IncidentId,
    status: z.enum(Object.keys(STATUS_VERBS) as [StatusVerb, ...StatusVerb[]]),
    reason: z.string().min(3).max(2000).describe('Why: kept in the incident history'),
  }),
  output: z.object({ id: z.string(), from: IncidentStatus, to: IncidentStatus }),
  annotations: { title: 'Set an incident\'s status', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'write:incidents',
  async handler(ctx, input) {
    return setIncidentStatus(ctx.db, input.id, input.status, { actor: ctx.principal?.name ?? 'mcp', reason: input.reason });
  },
  summarize: (o) => `${o.id}: ${o.from} -> ${o.to}`,
});

export const incidentTools = [triageIncidents, explainIncident, recommendActions, incidentEvents, similarIncidentsTool, setIncidentStatusTool];
