import { z } from 'zod';
import { listStoredIncidents } from '../src/engines/correlate/stored.js';
import { getIdentity, lookup, posture } from '../src/engines/inventory.js';
import { ownersOf } from '../src/engines/ownership.js';
import { Identity, Severity } from '../src/model/index.js';
import { capRows, defineTool, LIMITS, ToolError } from './registry.js';

/** Identities: find them, see one whole (owner, credentials, risk, alerts, incidents), posture and top risks. */
const Owner = z.object({ id: z.string(), name: z.string(), email: z.string().nullable(), status: z.string(), team: z.string().nullable(), source: z.string() }).nullable();
const Finding = z.object({ identity: z.string(), code: z.string(), title: z.string(), severity: z.string(), weight: z.number(), evidence: z.array(z.string()) });

export const inventoryLookup = defineTool({
  name: 'inventory_lookup',
  title: 'Find identities',
  description: 'Find identities by what you know: an id or ARN, a name, an email, an access key id, a tag value, or a description (semantic match). Returns at most 100, best first, with the accountable owner.',
  input: z.object({ query: z.string().min(1).max(500), limit: z.number().int().min(1).max(LIMITS.rows).default(20) }),
  output: z.object({
    identities: z.array(Identity.pick({ id: true, kind: true, provider: true, name: true, environment: true, status: true }).extend({ match: z.string(), score: z.number(), owner: z.string().nullable() })),
    notice: z.string().nullable(),
  }),
  annotations: { title: 'Find identities', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:inventory',
  async handler(ctx, input) {
    const { hits, notice } = await lookup(ctx.db, input.query, { limit: input.limit, embedBudget: 2000 });
    return {
      identities: hits.map((h) => ({ id: h.identity.id, kind: h.identity.kind, provider: h.identity.provider, name: h.identity.name, environment: h.identity.environment, status: h.identity.status, match: h.match, score: h.score, owner: h.owner })),
      notice,
    };
  },
  summarize: (o) => o.identities.map((i) => `${i.id} (${i.kind}, ${i.name}, owner ${i.owner ?? 'none'})`).join('\n') || 'no identity matches',
});

export const getIdentityTool = defineTool({
  name: 'get_identity',
  title: 'Get an identity',
  description: 'One identity whole: kind, provider, status, environment, autonomy, tags, the accountable owner, its credentials (fingerprints only, never secrets), its risk findings, recent alerts that name it, and the incidents it is part of.',
  input: z.object({ id: z.string().min(3).max(2048).describe('An identity id (ARN, provider:type:id)') }),
  output: z.object({
    identity: Identity,
    owner: Owner,
    credentials: z.array(z.object({ id: z.string(), type: z.string(), status: z.string(), createdAt: z.string().nullable(), lastUsedAt: z.string().nullable(), expiresAt: z.string().nullable() })),
    findings: z.array(Finding),
    alerts: z.array(z.object({ id: z.string(), time: z.string(), severity: Severity, title: z.string(), source: z.string() })),
    incidents: z.array(z.object({ id: z.string(), title: z.string(), severity: z.string(), status: z.string() })),
  }),
  annotations: { title: 'Get an identity', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:inventory',
  async handler(ctx, input) {
    const identity = await getIdentity(ctx.db, input.id);
    if (!identity) throw new ToolError(`no identity ${input.id} (try inventory_lookup)`);
    const [owners, creds, alerts, incidents, findings] = await Promise.all([
      ownersOf(ctx.db, [input.id]),
      ctx.db.query(`SELECT id, type, status, created_at, last_used_at, expires_at FROM credentials WHERE identity_id = $1 ORDER BY last_used_at DESC NULLS LAST, id LIMIT 20`, [input.id]),
      ctx.db.query(`SELECT id, time, severity, title, source FROM alerts WHERE identities ? $1 OR credentials ? $1 ORDER BY time DESC LIMIT 20`, [input.id]),
      listStoredIncidents(ctx.db, { identity: input.id, limit: 10 }),
      findingsOf(ctx.db, input.id, 20),
    ]);
    const o = owners.get(input.id);
    const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
    return {
      identity,
      owner: o ? { id: o.ownerId, name: o.ownerName, email: o.ownerEmail, status: o.ownerStatus, team: o.team, source: o.source } : null,
      credentials: creds.map((c) => ({ id: c.id, type: c.type, status: c.status, createdAt: iso(c.created_at), lastUsedAt: iso(c.last_used_at), expiresAt: iso(c.expires_at) })),
      findings,
      alerts: alerts.map((a) => ({ id: a.id, time: new Date(a.time).toISOString(), severity: a.severity, title: a.title, source: a.source })),
      incidents: incidents.map((i) => ({ id: i.id, title: i.title, severity: i.severity, status: i.status })),
    };
  },
  summarize: (o) => `${o.identity.id}: ${o.identity.kind} ${o.identity.name} (${o.identity.status}), owner ${o.owner?.name ?? 'none'}, ${o.findings.length} finding(s), ${o.alerts.length} recent alert(s), ${o.incidents.length} incident(s)`,
});

/** The risk engine's findings (its own table); empty when risk scoring has not run. */
async function findingsOf(db: import('../src/store/index.js').Db, id: string | null, limit: number, code?: string): Promise<z.infer<typeof Finding>[]> {
  try {
    const rows = await db.query(`SELECT identity_id, code, title, severity, weight, evidence FROM findings
      WHERE ($1::text IS NULL OR identity_id = $1) AND ($2::text IS NULL OR code = $2) ORDER BY weight DESC, identity_id, code LIMIT $3`, [id, code ?? null, limit]);
    return rows.map((r) => ({ identity: r.identity_id, code: r.code, title: r.title, severity: r.severity, weight: Number(r.weight), evidence: (r.evidence ?? []).slice(0, 10) }));
  } catch {
    return [];
  }
}

export const scoreRisk = defineTool({
  name: 'score_risk',
  title: 'Risk of an identity',
  description: 'Why an identity is risky: its risk factors (OWASP Non-Human Identities Top 10 codes NHI1-NHI10 and the copilot\'s own), each with a weight and the evidence ids, as the risk engine last scored them.',
  input: z.object({ id: z.string().min(3).max(2048) }),
  output: z.object({ id: z.string(), factors: z.array(Finding) }),
  annotations: { title: 'Risk of an identity', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:risk',
  async handler(ctx, input) {
    return { id: input.id, factors: await findingsOf(ctx.db, input.id, LIMITS.rows) };
  },
  summarize: (o) => o.factors.map((f) => `${f.code} ${f.title} (${f.weight})`).join('; ') || 'no risk factors on record',
});

export const topRisks = defineTool({
  name: 'top_risks',
  title: 'Top risks',
  description: 'The strongest posture risk findings across the estate (optionally one factor code, e.g. NHI1 for improper offboarding), strongest first, at most 100.',
  input: z.object({ code: z.string().regex(/^[A-Z][A-Z0-9]*$/).optional(), limit: z.number().int().min(1).max(LIMITS.rows).default(20) }),
  output: z.object({ findings: z.array(Finding) }),
  annotations: { title: 'Top risks', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:risk',
  async handler(ctx, input) {
    return { findings: capRows(await findingsOf(ctx.db, null, input.limit, input.code), input.limit).rows };
  },
  summarize: (o) => o.findings.slice(0, 10).map((f) => `${f.identity} ${f.code} (${f.weight})`).join('\n') || 'no findings on record',
});

export const postureSummary = defineTool({
  name: 'posture_summary',
  title: 'Posture summary',
  description: 'The identity estate in figures: identities by kind and provider, people, machine identities per person, ownership coverage, orphaned machine identities (no owner, or an owner who left), AI agents by autonomy.',
  input: z.object({ orphans: z.number().int().min(0).max(LIMITS.rows).default(10) }),
  output: z.object({
    identities: z.number(), humans: z.number(), machines: z.number(), machineToHuman: z.number().nullable(),
    byKind: z.record(z.string(), z.number()), byProvider: z.record(z.string(), z.number()),
    ownership: z.object({ ownable: z.number(), owned: z.number(), coverage: z.number().nullable() }),
    orphanedCount: z.number(), orphaned: z.array(z.object({ id: z.string(), kind: z.string(), name: z.string(), reason: z.string() })),
    agentsByAutonomy: z.record(z.string(), z.number()),
  }),
  annotations: { title: 'Posture summary', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:briefing',
  async handler(ctx, input) {
    const p = await posture(ctx.db, { orphanLimit: input.orphans });
    return { ...p, orphaned: p.orphaned.map(({ id, kind, name, reason }) => ({ id, kind, name, reason })) };
  },
  summarize: (o) => `${o.identities} identities, ${o.machines} machine per ${o.humans} people (${o.machineToHuman ?? '-'}:1), ownership coverage ${o.ownership.coverage ?? '-'}, ${o.orphanedCount} orphaned`,
});

export const identityTools = [inventoryLookup, getIdentityTool, scoreRisk, topRisks, postureSummary];
