import { z } from 'zod';
import { Severity, SEVERITY_RANK } from '../src/model/index.js';
import { defineTool, LIMITS } from './registry.js';

/** Raw evidence: events and alerts, filtered and capped at 100 rows. */
const Time = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO-8601 time');

export const searchEvents = defineTool({
  name: 'search_events',
  title: 'Search events',
  description: 'Logged events filtered by actor identity, the credential that signed them, action name and time window (ISO-8601), newest first, at most 100. Use it to see what an identity or key did around an alert.',
  input: z.object({
    actor: z.string().max(2048).optional(),
    credential: z.string().max(2048).optional().describe('A credential id such as aws:access-key:AKIA... or aws:session-key:ASIA...'),
    action: z.string().max(200).optional(),
    since: Time.optional(),
    until: Time.optional(),
    limit: z.number().int().min(1).max(LIMITS.rows).default(50),
  }).refine((v) => v.actor || v.credential || v.action, { message: 'give at least one of actor, credential, action' }),
  output: z.object({
    events: z.array(z.object({ id: z.string(), time: z.string(), actor: z.string(), action: z.string(), outcome: z.string(), target: z.string().nullable(), credential: z.string().nullable(), sourceIp: z.string().nullable(), userAgent: z.string().nullable() })),
    truncated: z.boolean(),
  }),
  annotations: { title: 'Search events', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:graph',
  async handler(ctx, input) {
    const rows = await ctx.db.query(`
      SELECT id, time, actor_id, action, outcome, target, chain->>'credentialId' AS credential, source_ip, user_agent FROM events
      WHERE ($1::text IS NULL OR actor_id = $1) AND ($2::text IS NULL OR chain->>'credentialId' = $2) AND ($3::text IS NULL OR action = $3)
        AND ($4::timestamptz IS NULL OR time >= $4) AND ($5::timestamptz IS NULL OR time <= $5)
      ORDER BY time DESC, id LIMIT $6`, [input.actor ?? null, input.credential ?? null, input.action ?? null, input.since ?? null, input.until ?? null, input.limit + 1]);
    return {
      events: rows.slice(0, input.limit).map((r) => ({ id: r.id, time: new Date(r.time).toISOString(), actor: r.actor_id, action: r.action, outcome: r.outcome, target: r.target ?? null, credential: r.credential ?? null, sourceIp: r.source_ip ?? null, userAgent: r.user_agent ?? null })),
      truncated: rows.length > input.limit,
    };
  },
  summarize: (o) => `${o.events.length} event(s)${o.truncated ? ' (more exist)' : ''}`,
});

export const listAlerts = defineTool({
  name: 'list_alerts',
  title: 'List alerts',
  description: 'Alerts from every detector (GuardDuty, Okta, Entra, GitHub secret scanning, the copilot\'s rules and baselines), optionally naming one identity, from a time, at or above a severity; newest first, at most 100.',
  input: z.object({
    identity: z.string().max(2048).optional(),
    since: Time.optional(),
    minSeverity: Severity.default('low'),
    limit: z.number().int().min(1).max(LIMITS.rows).default(50),
  }),
  output: z.object({
    alerts: z.array(z.object({ id: z.string(), time: z.string(), source: z.string(), severity: Severity, title: z.string(), rule: z.string().nullable(), identities: z.array(z.string()), events: z.array(z.string()) })),
    truncated: z.boolean(),
  }),
  annotations: { title: 'List alerts', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:incidents',
  async handler(ctx, input) {
    const severities = Severity.options.filter((s) => SEVERITY_RANK[s] >= SEVERITY_RANK[input.minSeverity]);
    const rows = await ctx.db.query(`
      SELECT id, time, source, severity, title, rule, identities, events FROM alerts
      WHERE ($1::text IS NULL OR identities ? $1 OR credentials ? $1) AND ($2::timestamptz IS NULL OR time >= $2) AND severity = ANY($3::text[])
      ORDER BY time DESC, id LIMIT $4`, [input.identity ?? null, input.since ?? null, severities, input.limit + 1]);
    return {
      alerts: rows.slice(0, input.limit).map((r) => ({ id: r.id, time: new Date(r.time).toISOString(), source: r.source, severity: r.severity, title: r.title, rule: r.rule ?? null, identities: (r.identities ?? []).slice(0, 10), events: (r.events ?? []).slice(0, 10) })),
      truncated: rows.length > input.limit,
    };
  },
  summarize: (o) => o.alerts.slice(0, 10).map((a) => `${a.time} ${a.severity} ${a.title} [${a.id}]`).join('\n') || 'no alerts',
});

export const eventTools = [searchEvents, listAlerts];
