import { CopilotError } from '../lib/errors.js';
import { CONTRACT_VERSION, IdentityExplain, IncidentExplain, type TriageIncident } from '../model/index.js';
import type { Db } from '../store/index.js';
import type { Config } from '../model/index.js';
import { resolveAsOf } from '../engines/correlate/index.js';
import { incidentHistory } from '../engines/correlate/persist.js';
import { runTool, type ToolDefinition, type ToolResult } from '../../tools/registry.js';
import { tools } from '../../tools/index.js';
import { pickNarrator } from './triage.js';

/**
 * The investigator: gathers evidence through the same tools the MCP server exposes (explain_incident,
 * similar_incidents, get_identity, trace_delegation, score_risk) and assembles a structured assessment
 * (IncidentExplain / IdentityExplain, zod). Tool failures surface as errors with the tool's own words.
 */
export interface InvestigateOptions {
  db: Db;
  config: Config;
  narrator?: 'deterministic' | 'llm' | 'auto';
}

async function call(opts: InvestigateOptions, name: string, input: unknown): Promise<Record<string, any>> {
  const def = (tools as ToolDefinition[]).find((t) => t.name === name);
  if (!def) throw new Error(`tool ${name} is not registered`);
  const r: ToolResult = await runTool(def, { db: opts.db, config: opts.config }, input);
  if (r.isError) {
    const text = r.content.map((c) => c.text).join(' ');
    throw new CopilotError(/no incident|no identity|no event/.test(text) ? 'E_NOT_FOUND' : 'E_USAGE', text);
  }
  return r.structuredContent!;
}

export async function investigateIncident(opts: InvestigateOptions, id: string): Promise<IncidentExplain> {
  const explained = await call(opts, 'explain_incident', { id });
  const incident = explained.incident as TriageIncident;
  if (opts.narrator && opts.narrator !== 'deterministic') {
    const { narrator, notice } = pickNarrator(opts.db, opts.config, opts.narrator);
    const n = await narrator.narrate(incident);
    Object.assign(incident, { whatIsHappening: n.whatIsHappening, whatNeedsActionNow: n.whatNeedsActionNow, narrator: notice ? { ...n.info, fallbackReason: notice } : n.info });
  }
  const similar = await call(opts, 'similar_incidents', { id, k: 5 }).catch(() => ({ similar: [] }));
  return IncidentExplain.parse({
    contractVersion: CONTRACT_VERSION,
    kind: 'incident',
    asOf: (await resolveAsOf(opts.db, null)).toISOString(),
    incident,
    history: await incidentHistory(opts.db, id),
    mermaid: explained.mermaid,
    similar: similar.similar.map((s: Record<string, any>) => ({ id: s.id, title: s.title, score: s.score, status: s.status })),
  });
}

export async function investigateIdentity(opts: InvestigateOptions, id: string): Promise<IdentityExplain> {
  const who = await call(opts, 'get_identity', { id });
  const [traced, risk] = await Promise.all([
    call(opts, 'trace_delegation', { id, direction: 'both', depth: 4, maxPaths: 10 }).catch(() => null),
    call(opts, 'score_risk', { id }),
  ]);
  const i = who.identity;
  const t = traced?.trace;
  const upstream: string[][] = (t?.upstream ?? []).slice(0, 10).map((p: { hops: { from: string; to: string }[] }) => [p.hops[0].from, ...p.hops.map((h) => h.to)]);
  const radius = t?.blastRadius ?? null;
  const owner = who.owner ? { ...who.owner, of: id } : null;
  const bits = [
    `${i.name} is a${/^[aeiou]/.test(i.kind) ? 'n' : ''} ${i.kind.replace('_', ' ')} in ${i.provider}${i.account ? ` (${i.account})` : ''}, ${i.status}, environment ${i.environment}${i.autonomy ? `, autonomy ${i.autonomy}` : ''}.`,
    owner ? `Its accountable owner is ${owner.name}${owner.email ? ` <${owner.email}>` : ''} (${owner.status}, from ${owner.source}).` : 'No accountable owner is on record.',
    upstream.length ? `${upstream.length} path(s) lead to it, e.g. ${upstream[0].join(' -> ')}.` : 'Nothing upstream can act as it, as far as the data shows.',
    radius ? `It can reach ${radius.identities} identities and ${radius.resources} resources${radius.crownJewels.length ? `, including crown jewels ${radius.crownJewels.slice(0, 3).join(', ')}` : ''}.` : '',
    risk.factors.length ? `Risk factors: ${risk.factors.slice(0, 5).map((f: { code: string; title: string }) => `${f.code} ${f.title}`).join('; ')}.` : '',
    who.incidents.length ? `It is part of ${who.incidents.length} incident(s): ${who.incidents.slice(0, 3).map((x: { id: string; status: string }) => `${x.id} (${x.status})`).join(', ')}.` : '',
  ].filter(Boolean);
  const similar = await opts.db.query(`SELECT 1 FROM embeddings LIMIT 1`).then(async () => {
    const { lookup } = await import('../engines/inventory.js');
    const { hits } = await lookup(opts.db, `${i.kind} ${i.name} ${i.provider}`, { limit: 6, embedBudget: 2000 });
    return hits.filter((h) => h.identity.id !== id).slice(0, 5).map((h) => ({ id: h.identity.id, name: h.identity.name, score: h.score }));
  }).catch(() => []);
  return IdentityExplain.parse({
    contractVersion: CONTRACT_VERSION,
    kind: 'identity',
    asOf: (await resolveAsOf(opts.db, null)).toISOString(),
    identity: { id: i.id, kind: i.kind, name: i.name, provider: i.provider, status: i.status, environment: i.environment, autonomy: i.autonomy ?? null },
    owner,
    whatIsIt: bits.join(' '),
    upstream,
    downstream: radius ? { identities: radius.identities, resources: radius.resources, crownJewels: radius.crownJewels } : null,
    risk: risk.factors.map((f: Record<string, any>) => ({ code: f.code, title: f.title, weight: f.weight, evidence: f.evidence })),
    incidents: who.incidents.map((x: Record<string, any>) => ({ id: x.id, title: x.title, severity: x.severity, status: x.status, lastSeen: null })),
    recentAlerts: who.alerts.map((a: Record<string, any>) => ({ id: a.id, source: a.source, severity: a.severity, title: a.title, time: a.time, rule: null })),
    similar,
  });
}
