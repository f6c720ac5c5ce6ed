import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTool, LIMITS, runTool, tools, type ToolDefinition } from '../../tools/index.js';
import { Config } from '../../src/model/index.js';
import { openStore, type Db } from '../../src/store/index.js';
import { seed } from '../helpers/seed.js';
import { ETL, JO, JO_KEY, PROD_ROLE, estate } from '../engines/correlate/estate.js';

/**
 * The tool registry both the narrator's agent and the MCP server use: definitions with honest
 * annotations and scopes, bounded answers, and failures as isError results a model can read.
 */
const tool = (name: string) => (tools as ToolDefinition[]).find((t) => t.name === name)!;

describe('tool registry', () => {
  let db: Db;
  const ctx = () => ({ db, config: Config.parse({}) });
  beforeAll(async () => {
    db = await openStore({ data: ':memory:' });
    await seed(db, estate());
  });
  afterAll(async () => {
    await db?.close();
  });

  it('defines each tool once, snake_case, with a description for a model, schemas, annotations and a scope', () => {
    const names = (tools as ToolDefinition[]).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['triage_incidents', 'explain_incident', 'recommend_actions', 'similar_incidents', 'set_incident_status', 'incident_events',
      'inventory_lookup', 'get_identity', 'score_risk', 'top_risks', 'posture_summary', 'trace_delegation', 'search_events', 'list_alerts']));
    for (const t of tools as ToolDefinition[]) {
      expect(t.description.length).toBeGreaterThan(60);
      expect(t.input).toBeInstanceOf(z.ZodObject);
      expect(t.output).toBeInstanceOf(z.ZodObject);
      expect(typeof t.annotations.readOnlyHint).toBe('boolean');
      expect(t.annotations.destructiveHint).toBe(false);
    }
    // Only these two write, and only the copilot's own incident records.
    expect((tools as ToolDefinition[]).filter((t) => !t.annotations.readOnlyHint).map((t) => t.name).sort()).toEqual(['set_incident_status', 'triage_incidents']);
    expect(tool('set_incident_status').scope).toBe('write:incidents');
  });

  it('triages, explains, recommends and records a decision through the tools', async () => {
    const tri = await runTool(tool('triage_incidents'), ctx(), { top: 5 });
    expect(tri.isError).toBe(false);
    const incidents = (tri.structuredContent as { incidents: { id: string; rootIdentity: string; rank: number }[] }).incidents;
    expect(incidents.map((i) => i.rootIdentity)).toEqual(expect.arrayContaining([JO, ETL]));
    const prod = incidents.find((i) => i.rootIdentity === ETL)!;
    const ex = await runTool(tool('explain_incident'), ctx(), { id: prod.id });
    const out = ex.structuredContent as { incident: { actions: { action: string; target: string; command: string | null }[] }; mermaid: string };
    expect(out.incident.actions.find((a) => a.action === 'remove_trust')?.target).toBe(PROD_ROLE);
    expect(out.mermaid).toMatch(/^flowchart LR/);
    expect(ex.content[0].text).toMatch(/What needs action now/);
    const rec = await runTool(tool('recommend_actions'), ctx(), { id: prod.id });
    expect((rec.structuredContent as { actions: unknown[] }).actions).toEqual(out.incident.actions);
    const set = await runTool(tool('set_incident_status'), { ...ctx(), principal: { name: 'mcp:alice', kind: 'human', scopes: ['write:incidents'], transport: 'http', tokenId: 't1', expiresAt: null } }, { id: prod.id, status: 'ack', reason: 'on it' });
    expect(set.structuredContent).toEqual({ id: prod.id, from: 'open', to: 'acknowledged' });
    const events = await runTool(tool('incident_events'), ctx(), { id: prod.id, limit: 5 });
    expect((events.structuredContent as { events: unknown[]; truncated: boolean })).toMatchObject({ truncated: true });
    expect((events.structuredContent as { events: unknown[] }).events).toHaveLength(5);
  });

  it('answers identity, graph and evidence questions within bounds', async () => {
    const who = await runTool(tool('get_identity'), ctx(), { id: JO });
    expect(who.structuredContent).toMatchObject({ identity: { id: JO, kind: 'human' }, credentials: [{ id: JO_KEY }] });
    const tr = await runTool(tool('trace_delegation'), ctx(), { id: ETL, direction: 'down', depth: 3 });
    expect(tr.isError).toBe(false);
    expect((tr.structuredContent as { trace: { downstream: { hops: { to: string }[] }[] } }).trace.downstream.flatMap((p) => p.hops.map((h) => h.to))).toContain('aws:access-key:AKIAETLLOADER0000002');
    const ev = await runTool(tool('search_events'), ctx(), { actor: PROD_ROLE, limit: 3 });
    expect((ev.structuredContent as { events: unknown[]; truncated: boolean })).toMatchObject({ truncated: true });
    // (triage_incidents ran the detections, which own the copilot's alerts: the vendor's finding is the stable one to ask about.)
    const al = await runTool(tool('list_alerts'), ctx(), { identity: JO_KEY, minSeverity: 'high' });
    expect((al.structuredContent as { alerts: { id: string }[] }).alerts.map((a) => a.id)).toEqual(['guardduty:jo-key']);
  });

  it('turns bad calls into isError results a model can read', async () => {
    const bad = await runTool(tool('explain_incident'), ctx(), { id: 'nope' });
    expect(bad).toMatchObject({ isError: true, structuredContent: null });
    expect(bad.content[0].text).toBe('explain_incident: invalid arguments: id: incident ids look like inc-0123456789');
    expect((await runTool(tool('explain_incident'), ctx(), { id: 'inc-00000000ff' })).content[0].text).toMatch(/no incident inc-00000000ff/);
    expect((await runTool(tool('trace_delegation'), ctx(), { id: ETL, depth: LIMITS.hops + 1 })).content[0].text).toMatch(/depth/);
    expect((await runTool(tool('search_events'), ctx(), { actor: ETL, limit: 101 })).isError).toBe(true);
    expect((await runTool(tool('get_identity'), ctx(), { id: 'arn:aws:iam::1:user/ghost' })).content[0].text).toMatch(/no identity/);
    expect((await runTool(tool('set_incident_status'), { ...ctx(), scopes: new Set(['read:incidents']) }, { id: 'inc-00000000ff', status: 'ack', reason: 'x y z' })).content[0].text).toMatch(/forbidden: this caller lacks the write:incidents scope/);
  });

  it('stops a handler at its deadline and says so', async () => {
    const slow = defineTool({
      name: 'slow_tool', title: 'slow', description: 'x'.repeat(61), input: z.object({}), output: z.object({ ok: z.boolean() }),
      annotations: { readOnlyHint: true, destructiveHint: false }, scope: 'read:inventory',
      handler: (c) => new Promise((res) => { const t = setTimeout(() => res({ ok: true }), 5000); c.signal?.addEventListener('abort', () => clearTimeout(t)); }),
    });
    const r = await runTool(slow as unknown as ToolDefinition, { ...ctx(), deadline: Date.now() + 50 }, {});
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(/^slow_tool: deadline of/);
  });
});
