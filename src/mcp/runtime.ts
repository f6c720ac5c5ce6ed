import { AuditLog, auditKeyFromEnv, ensureCopilotIdentity, localPrincipal, type Principal, type Scope } from '../audit/index.js';
import type { Config } from '../model/index.js';
import type { Db } from '../store/index.js';
import { CALL_LIMITS, type Runtime } from './call.js';
import { loadRegistry, type McpTool } from './registry.js';

export interface ServingRuntime extends Runtime {
  /** Things an operator should know at start (missing tools, a tampered audit tail, a too-strong DB role). */
  notices: string[];
  close(): Promise<void>;
}

/**
 * What `serve` holds for its lifetime: the tools, an audit writer (its chain checked against the table's
 * latest record at start), and the copilot's own identity in the inventory.
 */
export async function startRuntime(db: Db, config: Config, opts: { surface: string; tools?: McpTool[]; principals?: Principal[]; deadlineMs?: number } = { surface: 'serve' }): Promise<ServingRuntime> {
  const notices: string[] = [];
  let tools = opts.tools;
  if (!tools) {
    const loaded = await loadRegistry();
    tools = loaded.tools;
    notices.push(...loaded.problems);
  }
  const audit = await AuditLog.open(db, {
    agentName: config.copilot.name,
    key: auditKeyFromEnv(),
    onTailMismatch: (ref) => notices.push(`the audit log's latest record ${ref} does not match its hash: it was changed; run \`idcopilot audit verify\``),
  });
  const scopes = [...new Set(tools.map((t) => t.scope).filter((s): s is Scope => s !== null))];
  await ensureCopilotIdentity(db, config, {
    surface: opts.surface,
    scopes: scopes.length ? scopes : undefined,
    principals: (opts.principals ?? []).map((p) => ({ name: p.name, kind: p.kind, scopes: p.scopes })),
  });
  notices.push(...(await roleNotices(db)));
  return {
    db, config, audit, tools, notices,
    deadlineMs: opts.deadlineMs ?? CALL_LIMITS.deadlineMs,
    close: () => audit.close(),
  };
}

/** On a PostgreSQL server, say so when the analysis side runs with more rights than it needs. */
async function roleNotices(db: Db): Promise<string[]> {
  if (db.driver !== 'pg') return [];
  const [r] = await db.query<{ su: boolean; analysis: boolean; ingest: boolean; user: string }>(`
    SELECT current_user AS user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
      EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idcopilot_analysis') AND pg_has_role(current_user, 'idcopilot_analysis', 'MEMBER') AS analysis,
      EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'idcopilot_ingest') AND pg_has_role(current_user, 'idcopilot_ingest', 'MEMBER') AS ingest`);
  if (r.analysis && !r.ingest && !r.su) return [];
  return [`connected to PostgreSQL as ${r.user}${r.su ? ' (a superuser)' : ''}, which can write identity data: run the server as a login user in idcopilot_analysis (docs/mcp.md, "Database roles")`];
}

export { localPrincipal };
