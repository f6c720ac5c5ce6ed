import { z } from 'zod';
import type { Principal, Scope } from '../src/audit/index.js';
import type { Config } from '../src/model/index.js';
import type { Db } from '../src/store/index.js';

/**
 * The tool registry: one family per file (incidents, identities, graph, events), each tool a definition
 * (name, a description written for a model, zod input and output schemas, honest annotations, the
 * scope a caller needs) plus a handler that calls an engine. The LLM narrator and the MCP server use
 * the same definitions. Every tool is bounded (LIMITS: rows, hops, time), and a failure is a result
 * with isError that a model can read, never an exception out of runTool.
 */
export const LIMITS = { rows: 100, hops: 10, deadlineMs: 30_000 } as const;

/** What a handler gets. The MCP server passes its own richer context; these are the fields tools use. */
export interface ToolContext {
  db: Db;
  config: Config;
  principal?: Principal;
  /** Aborted at the deadline or when the caller cancels. */
  signal?: AbortSignal;
  /** Epoch ms by which the handler must answer. */
  deadline?: number;
}

export interface ToolAnnotations {
  title?: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  scope: Scope;
  handler(ctx: ToolContext, input: z.infer<I>): Promise<z.infer<O>>;
  /** A one-line answer for the text part of a result (the structured part carries the data). */
  summarize?(output: z.infer<O>): string;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  if (!/^[a-z][a-z0-9_]{1,63}$/.test(def.name)) throw new Error(`tool ${def.name}: names are snake_case`);
  return def;
}

export interface ToolResult {
  isError: boolean;
  structuredContent: Record<string, unknown> | null;
  content: { type: 'text'; text: string }[];
}

/** A tool failure a model can read and act on (bad id, nothing found), as opposed to a crash. */
export class ToolError extends Error {}

/**
 * Validate, check scope, run under the deadline, validate the output. Whatever goes wrong comes back as
 * an isError result with a sentence saying what, so that a model can correct its call.
 */
export async function runTool(def: ToolDefinition, ctx: ToolContext & { scopes?: ReadonlySet<string> }, raw: unknown): Promise<ToolResult> {
  const fail = (text: string): ToolResult => ({ isError: true, structuredContent: null, content: [{ type: 'text', text: `${def.name}: ${text}` }] });
  if (ctx.scopes && !ctx.scopes.has(def.scope)) return fail(`forbidden: this caller lacks the ${def.scope} scope`);
  const parsed = def.input.safeParse(raw ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return fail(`invalid arguments: ${i.path.join('.') || '(input)'}: ${i.message}`);
  }
  const deadline = Math.min(ctx.deadline ?? Infinity, Date.now() + LIMITS.deadlineMs);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ToolError(`deadline of ${Math.round((deadline - Date.now()) / 1000 + LIMITS.deadlineMs / 1000)} s reached`));
      }, Math.max(0, deadline - Date.now()));
    });
    const value = await Promise.race([def.handler({ ...ctx, signal: controller.signal, deadline }, parsed.data), timeout]);
    const checked = def.output.safeParse(value);
    if (!checked.success) return fail(`internal error: the answer did not match its schema (${checked.error.issues[0].path.join('.')}: ${checked.error.issues[0].message})`);
    const data = checked.data as Record<string, unknown>;
    return { isError: false, structuredContent: data, content: [{ type: 'text', text: def.summarize?.(data as never) ?? JSON.stringify(data) }] };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof ToolError || e.code === 'E_NOT_FOUND' || e.code === 'E_USAGE') return fail(e.message);
    return fail(`failed: ${String(e.message ?? err).split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener('abort', onAbort);
  }
}

/** Cap a list at the row limit, saying so. */
export function capRows<T>(list: T[], limit: number = LIMITS.rows): { rows: T[]; truncated: boolean } {
  const n = Math.min(limit, LIMITS.rows);
  return { rows: list.slice(0, n), truncated: list.length > n };
}
