import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { digest, hasScope, type AuditKind, type AuditLog, type AuditOutcome, type Principal } from '../audit/index.js';
import { redactText } from '../lib/secrets.js';
import type { Config } from '../model/index.js';
import type { Db } from '../store/index.js';
import { fencedAnswer } from './fence.js';
import type { McpTool } from './registry.js';

/** Bounds every call has, whatever the tool: the issue's 30 s deadline and a cap on argument size. */
export const CALL_LIMITS = { deadlineMs: 30_000, maxArgsChars: 64 * 1024 } as const;

export interface Client {
  ip?: string | null;
  userAgent?: string | null;
  session?: string | null;
}

/** What every surface of the server shares: the store, the configuration, the audit log and the tools. */
export interface Runtime {
  db: Db;
  config: Config;
  audit: AuditLog;
  tools: McpTool[];
  /** Deadline per call; CALL_LIMITS.deadlineMs unless a test shortens it. */
  deadlineMs?: number;
}

export interface Call {
  principal: Principal;
  client?: Client;
  kind: AuditKind;
  name: string;
  args: unknown;
  target?: string | null;
}

/**
 * Run fn and append its audit record (who, through what, arguments, digest of the result, duration,
 * outcome). The record is written before the result is released: a result that could not be audited
 * is replaced by an error.
 */
export async function audited<T>(rt: Runtime, call: Call, fn: () => Promise<{ value: T; outcome: AuditOutcome; error?: string | null }>): Promise<T> {
  const started = performance.now();
  const time = new Date();
  let result: { value: T | null; outcome: AuditOutcome; error?: string | null };
  let thrown: unknown = null;
  try {
    result = await fn();
  } catch (err) {
    thrown = err;
    const message = String((err as Error)?.message ?? err);
    result = { value: null, outcome: message.startsWith('forbidden') ? 'denied' : 'error', error: message.slice(0, 500) };
  }
  const { value, outcome, error } = result;
  await rt.audit.append({
    principal: call.principal.name,
    transport: call.principal.transport,
    kind: call.kind,
    name: call.name,
    args: call.args ?? {},
    resultDigest: digest(value),
    durationMs: performance.now() - started,
    outcome,
    error: error ?? null,
    target: call.target ?? null,
    client: call.client ?? {},
    time,
  });
  if (thrown) throw thrown;
  return value as T;
}

/** The identity, incident or event a call is about, from its arguments, for the audit event's target. */
export function targetOf(args: unknown): string | null {
  if (!args || typeof args !== 'object') return null;
  const a = args as Record<string, unknown>;
  for (const k of ['id', 'identityId', 'identity', 'incidentId', 'incident', 'eventId', 'event']) {
    if (typeof a[k] === 'string' && a[k]) return (a[k] as string).slice(0, 2048);
  }
  return null;
}

function errorResult(name: string, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: fencedAnswer(`${name} failed.`, redactText(message), `tool:${name}`) }] };
}

/**
 * The tool's own text, its data as JSON (for clients that do not read structuredContent), and a Mermaid
 * diagram as a code block where the data carries one; all of it goes inside the fence.
 */
function answerBody(text: string, structured: Record<string, unknown> | null): string {
  const json = structured ? JSON.stringify(structured) : '';
  const parts: string[] = [];
  if (text && text !== json) parts.push(text);
  if (structured && typeof structured.mermaid === 'string') parts.push('```mermaid\n' + structured.mermaid + '\n```');
  if (json) parts.push(json);
  return parts.join('\n\n');
}

/** A trusted one-line summary: row counts of the top-level lists, computed here rather than taken from the tool. */
function header(name: string, structured: Record<string, unknown> | null): string {
  if (!structured) return `${name} answered.`;
  const counts = Object.entries(structured)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${(v as unknown[]).length} ${k}`);
  return `${name} answered${counts.length ? ` (${counts.join(', ')})` : ''}.`;
}

/**
 * One tools/call, on any transport: scope, argument size and schema, a deadline, the handler, the
 * output schema; untrusted text fenced; every outcome audited, denials and bad arguments included.
 * Never throws: a failure is an isError result a model can read.
 */
export async function invokeTool(rt: Runtime, tools: Map<string, McpTool>, name: string, rawArgs: unknown, principal: Principal, client: Client = {}, signal?: AbortSignal): Promise<CallToolResult> {
  const tool = tools.get(name);
  const args = rawArgs ?? {};
  const call: Call = { principal, client, kind: 'tool', name, args, target: targetOf(args) };
  try {
    return await audited(rt, call, async () => {
      if (!tool) return { value: errorResult(name, `there is no tool named "${name}"`), outcome: 'error', error: 'unknown tool' };
      if (!hasScope(principal.scopes, tool.scope)) {
        return {
          value: errorResult(name, `forbidden: ${name} needs the scope ${tool.scope}, which this caller does not hold`),
          outcome: 'denied',
          error: `missing scope ${tool.scope}`,
        };
      }
      if (JSON.stringify(args).length > CALL_LIMITS.maxArgsChars) {
        return { value: errorResult(name, `arguments larger than ${CALL_LIMITS.maxArgsChars} characters are refused`), outcome: 'error', error: 'arguments too large' };
      }
      const parsed = tool.input.safeParse(args);
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
        return { value: errorResult(name, `invalid arguments: ${issues}`), outcome: 'error', error: `invalid arguments: ${issues}` };
      }
      const deadlineMs = rt.deadlineMs ?? CALL_LIMITS.deadlineMs;
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort(new Error('deadline'));
          reject(new Error(`deadline exceeded: no answer within ${Math.round(deadlineMs / 1000)} s; narrow the request (fewer hops, a smaller limit)`));
        }, deadlineMs);
      });
      try {
        const outcome = await Promise.race([
          tool.run({ db: rt.db, config: rt.config, principal, signal: controller.signal, deadline: Date.now() + deadlineMs }, parsed.data as Record<string, unknown>),
          expired,
        ]);
        if (outcome.isError) {
          return { value: errorResult(name, outcome.text || 'the tool reported an error'), outcome: 'error', error: outcome.text.slice(0, 500) };
        }
        if (tool.output && outcome.structured && !tool.validatesOutput) {
          const checked = tool.output.safeParse(outcome.structured);
          if (!checked.success) {
            const issue = checked.error.issues[0];
            return { value: errorResult(name, `the tool's answer did not match its output schema (${issue.path.join('.')}: ${issue.message}); nothing was released`), outcome: 'error', error: 'output schema' };
          }
        }
        const body = answerBody(outcome.text, outcome.structured);
        const value: CallToolResult = { content: [{ type: 'text', text: fencedAnswer(header(name, outcome.structured), body, `tool:${name}`) }] };
        if (outcome.structured) value.structuredContent = outcome.structured;
        return { value, outcome: 'ok' };
      } catch (err) {
        const message = (err as Error)?.message ?? String(err);
        return { value: errorResult(name, message.split('\n')[0]), outcome: 'error', error: message.slice(0, 500) };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    });
  } catch (err) {
    // The audit record could not be written: the result is withheld.
    return { isError: true, content: [{ type: 'text', text: `${name} could not be audited, so its result was withheld (${(err as Error).message.split('\n')[0]}). Tell the copilot's operator.` }] };
  }
}
