import { z } from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Principal, Scope } from '../audit/index.js';
import { Scope as ScopeSchema } from '../audit/index.js';
import type { Config } from '../model/index.js';
import type { Db } from '../store/index.js';

/** What a tool handler is given: the store, the configuration, who is calling, and when to stop. */
export interface ToolRunContext {
  db: Db;
  config: Config;
  principal: Principal;
  /** Aborted at the deadline or when the client cancels. */
  signal: AbortSignal;
  /** Epoch milliseconds by which the handler must have answered. */
  deadline: number;
}

export interface ToolOutcome {
  structured: Record<string, unknown> | null;
  /** The tool's own short text (it may quote untrusted strings: the server fences it). */
  text: string;
  isError: boolean;
}

/** A tool as the MCP server serves it, whatever shape the registry gives it in. */
export interface McpTool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject<z.ZodRawShape>;
  output: z.ZodObject<z.ZodRawShape> | null;
  annotations: ToolAnnotations;
  /** The scope a caller needs; null only for tools that read nothing. */
  scope: Scope | null;
  /** The runner checks the answer against the output schema itself (the registry's runTool does). */
  validatesOutput: boolean;
  run(ctx: ToolRunContext, input: Record<string, unknown>): Promise<ToolOutcome>;
}

/** The registry's own runner (tools/registry.ts runTool): validation, deadline, output schema, isError. */
export type RegistryRunner = (def: any, ctx: ToolRunContext, input: unknown) => Promise<unknown>;

type AnyRecord = Record<string, any>;

const asObject = (s: unknown): z.ZodObject<z.ZodRawShape> | null => {
  if (!s) return null;
  if (s instanceof z.ZodObject) return s as z.ZodObject<z.ZodRawShape>;
  if (s instanceof z.ZodType) return null;
  if (typeof s === 'object') return z.object(s as z.ZodRawShape);
  return null;
};

/**
 * Whatever a handler returns (an MCP CallToolResult, `{ structured, text }`, or plain data) as one
 * outcome. A handler that throws is the caller's concern (it becomes an isError result there).
 */
export function toOutcome(value: unknown): ToolOutcome {
  if (value === null || value === undefined) return { structured: null, text: '', isError: false };
  const v = value as AnyRecord;
  const isError = Boolean(v.isError);
  if (Array.isArray(v.content) || 'structuredContent' in v) {
    const text = Array.isArray(v.content) ? v.content.filter((c: AnyRecord) => c?.type === 'text').map((c: AnyRecord) => String(c.text)).join('\n') : String(v.text ?? '');
    return { structured: (v.structuredContent as AnyRecord) ?? null, text, isError };
  }
  if ('structured' in v || 'text' in v) {
    return { structured: (v.structured ?? v.data ?? null) as AnyRecord | null, text: String(v.text ?? v.summary ?? ''), isError };
  }
  return { structured: typeof v === 'object' && !Array.isArray(v) ? v : { value: v }, text: '', isError: false };
}

/** Normalise one registry entry; entries that cannot be served are reported by name, not skipped silently. */
export function normaliseTool(raw: AnyRecord, runner?: RegistryRunner): McpTool {
  const def: AnyRecord = raw.definition ? { ...raw.definition, handler: raw.handler ?? raw.definition.handler } : raw;
  const name = String(def.name ?? '');
  if (!/^[a-z][a-z0-9_]{1,63}$/.test(name)) throw new Error(`tool "${name}": names are snake_case`);
  const input = asObject(def.input ?? def.inputSchema ?? {});
  if (!input) throw new Error(`tool ${name}: its input schema is not a zod object`);
  const output = asObject(def.output ?? def.outputSchema);
  const handler = def.handler ?? def.run ?? def.execute;
  if (typeof handler !== 'function') throw new Error(`tool ${name}: no handler`);
  const scopeRaw = def.scope ?? def.requiredScope ?? null;
  const scope = scopeRaw === null ? null : ScopeSchema.parse(scopeRaw);
  const annotations: ToolAnnotations = { ...(def.annotations ?? {}) };
  // A tool is read-only only when it says so; destructive only when it changes something that matters.
  if (annotations.readOnlyHint === undefined) annotations.readOnlyHint = scope !== null && scope.startsWith('read:');
  if (annotations.openWorldHint === undefined) annotations.openWorldHint = false;
  return {
    name,
    title: String(def.title ?? annotations.title ?? name.replace(/_/g, ' ')),
    description: String(def.description ?? ''),
    input,
    output,
    annotations,
    scope,
    validatesOutput: Boolean(runner),
    async run(ctx, args) {
      return toOutcome(runner ? await runner(def, ctx, args) : await handler(ctx, args));
    },
  };
}

/** Entries of a registry module: an array, a `{ all }` / `{ tools }` / `list()` registry, or a default of those. */
export function registryEntries(mod: AnyRecord): AnyRecord[] {
  const candidates = [mod.tools, mod.registry, mod.TOOLS, mod.allTools, mod.default];
  for (const c of candidates) {
    if (!c) continue;
    if (Array.isArray(c)) return c;
    if (typeof c === 'function') {
      const v = c();
      if (Array.isArray(v)) return v;
    }
    if (Array.isArray(c.all)) return c.all;
    if (Array.isArray(c.tools)) return c.tools;
    if (typeof c.list === 'function') return c.list();
    if (typeof c.all === 'function') return c.all();
    if (c instanceof Map) return [...c.values()];
  }
  return [];
}

/**
 * The tool registry in tools/ (one family per file), loaded once. A missing registry leaves the server
 * with resources and prompts only, and says so.
 */
export async function loadRegistry(): Promise<{ tools: McpTool[]; problems: string[] }> {
  let mod: AnyRecord;
  try {
    mod = await import(new URL('../../tools/index.ts', import.meta.url).href);
  } catch (err) {
    return { tools: [], problems: [`the tool registry (tools/index.ts) could not be loaded: ${(err as Error).message.split('\n')[0]}`] };
  }
  const tools: McpTool[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const runner = typeof mod.runTool === 'function' ? (mod.runTool as RegistryRunner) : undefined;
  for (const raw of registryEntries(mod)) {
    try {
      const t = normaliseTool(raw, runner);
      if (seen.has(t.name)) throw new Error(`tool ${t.name} is registered twice`);
      seen.add(t.name);
      tools.push(t);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return { tools, problems };
}
