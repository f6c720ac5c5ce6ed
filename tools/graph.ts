import { z } from 'zod';
import { nodeInfo, Path, toMermaid, trace, traceEvent, TraceResult } from '../src/engines/delegation/index.js';
import { defineTool, LIMITS, ToolError } from './registry.js';

/** The delegation graph: who can act as an identity, what it can reach, and the real chain behind one event. */
export const traceDelegation = defineTool({
  name: 'trace_delegation',
  title: 'Trace delegation',
  description:
    'Delegation chains for an identity: upstream (who can act as it, back to the people at the root) and downstream (what it can act as and ' +
    'reach: the blast radius by privilege, data classification and crown jewels); or, with eventId, the real chain behind one logged action ' +
    '(person -> AI assistant -> key -> assumed role -> resource). Hops say potential (configuration allows it) and/or observed (logs show it) ' +
    'with evidence ids. Bounded: at most 10 hops and 100 paths per direction. Includes a Mermaid diagram.',
  input: z.object({
    id: z.string().min(3).max(2048).optional().describe('An identity id'),
    eventId: z.string().min(3).max(2048).optional().describe('An event id, to trace the chain behind that one action'),
    direction: z.enum(['up', 'down', 'both']).default('both'),
    depth: z.number().int().min(1).max(LIMITS.hops).default(4),
    observedOnly: z.boolean().default(false).describe('Only hops that logs show'),
    maxPaths: z.number().int().min(1).max(LIMITS.rows).default(20),
  }).refine((v) => v.id || v.eventId, { message: 'give an identity id or an eventId' }),
  output: z.object({ trace: TraceResult.extend({ upstream: z.array(Path), downstream: z.array(Path), notes: z.array(z.string()).default([]) }), mermaid: z.string() }),
  annotations: { title: 'Trace delegation', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'read:graph',
  async handler(ctx, input) {
    const remaining = Math.max(1000, (ctx.deadline ?? Date.now() + LIMITS.deadlineMs) - Date.now() - 1000);
    const t = input.eventId
      ? await traceEvent(ctx.db, input.eventId)
      : await trace(ctx.db, input.id!, { direction: input.direction, depth: input.depth, observedOnly: input.observedOnly, maxPaths: input.maxPaths, deadlineMs: remaining, crownJewels: ctx.config.crownJewels.map((j) => j.resource) });
    const ids = new Set<string>([t.identity]);
    for (const p of [...t.upstream, ...t.downstream]) for (const h of p.hops) ids.add(h.from).add(h.to);
    const info = await nodeInfo(ctx.db, [...ids]);
    if (!input.eventId && !info.has(t.identity)) throw new ToolError(`no identity ${t.identity} (try inventory_lookup)`);
    const capped = { ...t, upstream: t.upstream.slice(0, input.maxPaths), downstream: t.downstream.slice(0, input.maxPaths), notes: 'notes' in t ? (t as { notes: string[] }).notes : [] };
    return { trace: capped, mermaid: toMermaid(capped, new Map([...info].map(([k, v]) => [k, v.name]))) };
  },
  summarize: (o) => `${o.trace.identity}: ${o.trace.upstream.length} upstream path(s), ${o.trace.downstream.length} downstream; roots ${o.trace.roots.slice(0, 5).map((r) => r.id).join(', ') || 'none'}${o.trace.blastRadius ? `; reaches ${o.trace.blastRadius.resources} resources, crown jewels ${o.trace.blastRadius.crownJewels.length}` : ''}`,
});

export const graphTools = [traceDelegation];
