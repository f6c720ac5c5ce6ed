import { ROLE_SCOPES, type Principal } from '../audit/index.js';
import { posture } from '../engines/inventory.js';
import type { Config } from '../model/index.js';
import type { Db } from '../store/index.js';
import type { McpTool, ToolOutcome } from './registry.js';

export interface BriefingContext {
  db: Db;
  config: Config;
  tools: Map<string, McpTool>;
  /** The caller, for the tools the renderer runs on its behalf. */
  principal: Principal;
  deadlineMs: number;
}

export interface Briefing {
  markdown: string;
  /** Data time the figures describe, when known. */
  asOf: string | null;
}

export type BriefingRenderer = (ctx: BriefingContext) => Promise<Briefing>;

/**
 * briefing://latest renders through a replaceable renderer: this short Markdown one by default; the
 * audiences issue registers the full CISO briefing with setBriefingRenderer() and the resource stays.
 */
let renderer: BriefingRenderer = shortBriefing;

export function setBriefingRenderer(r: BriefingRenderer): void {
  renderer = r;
}

export function renderBriefing(ctx: BriefingContext): Promise<Briefing> {
  return renderer(ctx);
}

/** Run a registry tool for the renderer: it reads on the caller's behalf, within the server's bounds. */
async function runTool(ctx: BriefingContext, name: string, args: Record<string, unknown>): Promise<ToolOutcome | null> {
  const tool = ctx.tools.get(name);
  if (!tool) return null;
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) return null;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('deadline')), ctx.deadlineMs);
  try {
    // The briefing is a summary a read:briefing caller may see; its parts run with the reading scopes they need.
    const principal = { ...ctx.principal, scopes: [...new Set([...ctx.principal.scopes, ...ROLE_SCOPES.ciso])] };
    const out = await tool.run({ db: ctx.db, config: ctx.config, principal, signal: controller.signal, deadline: Date.now() + ctx.deadlineMs }, parsed.data as Record<string, unknown>);
    return out.isError ? null : out;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const cell = (v: unknown) => String(v ?? '-').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 120);
const list = (v: unknown): Record<string, any>[] => (Array.isArray(v) ? v : []);

/** Posture, top risks and open incidents in a page of Markdown. */
export async function shortBriefing(ctx: BriefingContext): Promise<Briefing> {
  const [p, risks, incidents] = await Promise.all([
    posture(ctx.db, { orphanLimit: 5 }),
    runTool(ctx, 'top_risks', { limit: 5 }),
    runTool(ctx, 'triage_incidents', { top: 5 }),
  ]);
  const out: string[] = [];
  const asOf = (incidents?.structured?.asOf as string | undefined) ?? (risks?.structured?.asOf as string | undefined) ?? null;
  out.push(`# Identity briefing${asOf ? ` (data as of ${asOf})` : ''}`);
  out.push('');
  out.push('## Posture');
  const coverage = p.ownership.coverage === null ? '-' : `${(p.ownership.coverage * 100).toFixed(1)}%`;
  out.push(`- ${p.identities} identities: ${p.humans} people, ${p.machines} machine identities (${p.machineToHuman ?? '-'} per person)`);
  out.push(`- Ownership coverage: ${coverage} (${p.ownership.owned} of ${p.ownership.ownable} machine identities have an active owner)`);
  out.push(`- Orphaned: ${p.orphanedCount}${p.orphaned.length ? ` (e.g. ${p.orphaned.slice(0, 3).map((o) => `\`${o.id}\``).join(', ')})` : ''}`);
  const agents = Object.entries(p.agentsByAutonomy);
  if (agents.length) out.push(`- AI agents by autonomy: ${agents.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  out.push('');
  out.push('## Top risks');
  // top_risks answers with findings (identity, factor code, weight), strongest first.
  const riskRows = list(risks?.structured?.findings ?? risks?.structured?.identities);
  if (!risks) out.push('_Risk scores are not available on this server._');
  else if (riskRows.length === 0) out.push('_No risk findings: risk scoring has not run, or found nothing._');
  else {
    out.push('| identity | factor | weight |');
    out.push('|---|---|---|');
    for (const r of riskRows.slice(0, 5)) out.push(`| \`${cell(r.identity ?? r.id)}\` | ${cell(r.code)} ${cell(r.title)} | ${cell(r.weight ?? r.score)} |`);
  }
  out.push('');
  out.push('## Incidents needing action');
  const incidentRows = list(incidents?.structured?.incidents);
  if (!incidents) out.push('_Incident triage is not available on this server._');
  else if (incidentRows.length === 0) out.push('_No open incidents._');
  else {
    out.push('| rank | severity | incident | root identity | owner |');
    out.push('|---|---|---|---|---|');
    for (const i of incidentRows.slice(0, 5)) {
      const owner = typeof i.owner === 'object' && i.owner ? i.owner.name ?? i.owner.id : i.owner;
      out.push(`| ${cell(i.rank)} | ${cell(i.severity)} | ${cell(i.title)} (\`${cell(i.id)}\`) | \`${cell(i.rootIdentity)}\` | ${cell(owner)} |`);
    }
  }
  return { markdown: out.join('\n') + '\n', asOf };
}
