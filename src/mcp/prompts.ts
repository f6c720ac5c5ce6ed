import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hasScope, type Principal, type Scope } from '../audit/index.js';
import { audited, CALL_LIMITS, type Runtime } from './call.js';
import { renderBriefing } from './briefing.js';
import { fencedAnswer } from './fence.js';
import type { CallerOf } from './resources.js';
import type { McpTool } from './registry.js';

const DIR = fileURLToPath(new URL('../../prompts/mcp/', import.meta.url));

/** A prompt text from prompts/mcp with `{{name}}` placeholders filled; unknown placeholders are left visible. */
export function promptText(file: string, vars: Record<string, string>): string {
  return readFileSync(DIR + file, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, k: string) => (k in vars ? vars[k] : m)).trim();
}

export const PROMPTS: Record<string, { scope: Scope; file: string }> = {
  triage: { scope: 'read:incidents', file: 'triage.md' },
  'investigate-identity': { scope: 'read:inventory', file: 'investigate-identity.md' },
  'ciso-briefing': { scope: 'read:briefing', file: 'ciso-briefing.md' },
};

/** The prompts a caller's scopes allow: triage, investigate-identity, ciso-briefing (texts in prompts/mcp). */
export function registerPrompts(server: McpServer, rt: Runtime, tools: Map<string, McpTool>, principal: Principal, callerOf: CallerOf): number {
  const run = (extra: unknown, name: string, args: Record<string, unknown>, make: (p: Principal) => Promise<string>) => {
    const caller = callerOf(extra);
    return audited(rt, { principal: caller.principal, client: caller.client, kind: 'prompt', name, args, target: (args.id as string) ?? null }, async () => {
      if (!hasScope(caller.principal.scopes, PROMPTS[name].scope)) throw new Error(`forbidden: the prompt ${name} needs the scope ${PROMPTS[name].scope}`);
      const text = await make(caller.principal);
      return { value: { messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] }, outcome: 'ok' };
    });
  };
  if (hasScope(principal.scopes, PROMPTS.triage.scope)) {
    server.registerPrompt('triage', {
      title: 'Triage identity incidents',
      description: 'Rank the open identity incidents, explain the top ones and say what needs action now.',
      argsSchema: { since: z.string().optional().describe('only incidents since, e.g. 24h or 7d'), top: z.string().optional().describe('how many incidents, default 5') },
    }, (args, extra) => run(extra, 'triage', args, async () => promptText('triage.md', {
      sinceClause: args.since ? ` with since "${args.since.replace(/[^0-9a-zA-Z:.+-]/g, '')}"` : '',
      top: String(Math.min(100, Math.max(1, Number(args.top) || 5))),
    })));
  }
  if (hasScope(principal.scopes, PROMPTS['investigate-identity'].scope)) {
    server.registerPrompt('investigate-identity', {
      title: 'Investigate an identity',
      description: 'Who or what an identity is, who owns it, who can act as it, what it can reach, why it is risky.',
      argsSchema: { id: z.string().min(1).max(2048).describe('identity id (ARN, provider:type:id), name, email or key id') },
    }, (args, extra) => run(extra, 'investigate-identity', args, async () => promptText('investigate-identity.md', { id: args.id.replace(/[\r\n]+/g, ' ') })));
  }
  if (hasScope(principal.scopes, PROMPTS['ciso-briefing'].scope)) {
    server.registerPrompt('ciso-briefing', {
      title: 'CISO briefing',
      description: 'A one-page briefing for a CISO: posture, the risks that matter, decisions needed now.',
    }, (extra) => run(extra, 'ciso-briefing', {}, async (p) => {
      const b = await renderBriefing({ db: rt.db, config: rt.config, tools, principal: p, deadlineMs: rt.deadlineMs ?? CALL_LIMITS.deadlineMs });
      return promptText('ciso-briefing.md', { briefing: fencedAnswer('The latest briefing:', b.markdown, 'briefing') });
    }));
  }
  return Object.values(PROMPTS).filter((p) => hasScope(principal.scopes, p.scope)).length;
}
