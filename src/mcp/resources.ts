import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, type ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { hasScope, type Principal, type Scope } from '../audit/index.js';
import { getIdentity } from '../engines/inventory.js';
import { ownersOf } from '../engines/ownership.js';
import { audited, CALL_LIMITS, type Client, type Runtime } from './call.js';
import { renderBriefing } from './briefing.js';
import { fencedAnswer } from './fence.js';
import type { McpTool } from './registry.js';

/** The resources, the scope each needs, and the URI a client reads. */
export const RESOURCES = {
  identity: { template: 'identity://{+id}', scope: 'read:inventory' as Scope },
  incident: { template: 'incident://{+id}', scope: 'read:incidents' as Scope },
  briefing: { uri: 'briefing://latest', scope: 'read:briefing' as Scope },
} as const;

export type CallerOf = (extra: unknown) => { principal: Principal; client: Client };

/** The scope a resource URI needs, for the HTTP layer's 403 before the body reaches the server. */
export function resourceScope(uri: string): Scope | null {
  if (uri.startsWith('identity://')) return RESOURCES.identity.scope;
  if (uri.startsWith('incident://')) return RESOURCES.incident.scope;
  if (uri.startsWith('briefing://')) return RESOURCES.briefing.scope;
  return null;
}

function decodeVar(v: string | string[]): string {
  const s = Array.isArray(v) ? v.join(',') : v;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function runData(rt: Runtime, tools: Map<string, McpTool>, principal: Principal, names: string[], argsList: Record<string, unknown>[]): Promise<Record<string, unknown> | null> {
  for (const name of names) {
    const tool = tools.get(name);
    if (!tool) continue;
    for (const args of argsList) {
      const parsed = tool.input.safeParse(args);
      if (!parsed.success) continue;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), rt.deadlineMs ?? CALL_LIMITS.deadlineMs);
      try {
        const out = await tool.run({ db: rt.db, config: rt.config, principal, signal: controller.signal, deadline: Date.now() + (rt.deadlineMs ?? CALL_LIMITS.deadlineMs) }, parsed.data as Record<string, unknown>);
        if (out.isError) throw new McpError(ErrorCode.InvalidParams, out.text.split('\n')[0] || `${name} failed`);
        return out.structured;
      } finally {
        clearTimeout(timer);
      }
    }
  }
  return null;
}

function fencedJson(uri: string, title: string, data: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'text/markdown', text: fencedAnswer(title, JSON.stringify(data, null, 1), uri.split('://')[0]) }] };
}

/**
 * identity://{id}, incident://{id} (ids percent-encoded: ARNs hold ':' and '/'), briefing://latest.
 * Each read checks its scope, is audited like a tool call, and fences what came from the data.
 */
export function registerResources(server: McpServer, rt: Runtime, tools: Map<string, McpTool>, principal: Principal, callerOf: CallerOf): number {
  let count = 0;
  const guarded = async (extra: unknown, scope: Scope, name: string, args: Record<string, unknown>, target: string | null, read: (p: Principal) => Promise<ReadResourceResult>): Promise<ReadResourceResult> => {
    const caller = callerOf(extra);
    let failure: unknown = null;
    const value = await audited(rt, { principal: caller.principal, client: caller.client, kind: 'resource', name, args, target }, async () => {
      if (!hasScope(caller.principal.scopes, scope)) {
        failure = new McpError(ErrorCode.InvalidRequest, `forbidden: ${name} needs the scope ${scope}`);
        return { value: null, outcome: 'denied', error: `missing scope ${scope}` };
      }
      try {
        return { value: await read(caller.principal), outcome: 'ok' };
      } catch (err) {
        failure = err instanceof McpError ? err : new McpError(ErrorCode.InternalError, (err as Error).message.split('\n')[0]);
        return { value: null, outcome: 'error', error: (err as Error).message.slice(0, 500) };
      }
    });
    if (failure) throw failure;
    return value!;
  };

  if (hasScope(principal.scopes, RESOURCES.identity.scope)) {
    count++;
    server.registerResource('identity', new ResourceTemplate(RESOURCES.identity.template, { list: undefined }), {
      title: 'Identity',
      description: 'One identity (human, service account, role, key, OAuth app, AI agent ...) with its owner and credentials. The id is percent-encoded: identity://arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdeploy',
      mimeType: 'text/markdown',
    }, async (uri, vars, extra) => {
      const id = decodeVar(vars.id);
      return guarded(extra, RESOURCES.identity.scope, 'identity://', { id }, id, async (p) => {
        const data = (await runData(rt, tools, p, ['get_identity'], [{ id }, { identityId: id }])) ?? (await identityFallback(rt, id));
        return fencedJson(uri.href, `Identity ${JSON.stringify(id)} as identity-copilot holds it.`, data);
      });
    });
  }
  if (hasScope(principal.scopes, RESOURCES.incident.scope)) {
    count++;
    server.registerResource('incident', new ResourceTemplate(RESOURCES.incident.template, { list: undefined }), {
      title: 'Incident',
      description: 'One incident: what is happening, the chain from the person at the root, evidence ids, recommended actions and status.',
      mimeType: 'text/markdown',
    }, async (uri, vars, extra) => {
      const id = decodeVar(vars.id);
      return guarded(extra, RESOURCES.incident.scope, 'incident://', { id }, id, async (p) => {
        const data = await runData(rt, tools, p, ['explain_incident', 'get_incident'], [{ id }, { incidentId: id }]);
        if (!data) throw new McpError(ErrorCode.InvalidParams, `incident ${id} could not be read (no incident tool on this server)`);
        return fencedJson(uri.href, `Incident ${JSON.stringify(id)}.`, data);
      });
    });
  }
  if (hasScope(principal.scopes, RESOURCES.briefing.scope)) {
    count++;
    server.registerResource('briefing', RESOURCES.briefing.uri, {
      title: 'Identity briefing',
      description: 'A short Markdown briefing: posture (machine:human ratio, ownership, orphaned), top risks, incidents needing action.',
      mimeType: 'text/markdown',
    }, async (uri, extra) => guarded(extra, RESOURCES.briefing.scope, 'briefing://latest', {}, null, async (p) => {
      const b = await renderBriefing({ db: rt.db, config: rt.config, tools, principal: p, deadlineMs: rt.deadlineMs ?? CALL_LIMITS.deadlineMs });
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: fencedAnswer(`Identity briefing${b.asOf ? ` (data as of ${b.asOf})` : ''}.`, b.markdown, 'briefing') }] };
    }));
  }
  return count;
}

async function identityFallback(rt: Runtime, id: string): Promise<Record<string, unknown>> {
  const identity = await getIdentity(rt.db, id);
  if (!identity) throw new McpError(ErrorCode.InvalidParams, `no identity ${id} in the store`);
  const owner = (await ownersOf(rt.db, [id])).get(id) ?? null;
  return { identity, owner };
}
