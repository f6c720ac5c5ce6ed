import type { Command } from 'commander';
import { loadConfig } from '../lib/config.js';
import { Config } from '../model/index.js';
import type { Db } from '../store/index.js';
import { digest } from './canonical.js';
import { auditKeyFromEnv } from './chain.js';
import { ensureCopilotIdentity } from './identity.js';
import { AuditLog } from './log.js';
import { localPrincipal } from './principal.js';

/** Option names whose values are never written to the log, whatever redact() would make of them. */
const QUIET_OPTIONS = new Set(['config']);

/**
 * Run one CLI command's work on an open store and append its audit record: who (the local user), what
 * (the command path and its arguments), the digest of what it produced, how long, and how it ended.
 * The copilot's own identity and the local principal are made sure of first (idempotent). A record that
 * cannot be written fails the command: output that was not audited is not released.
 */
export async function auditCommand<T>(cmd: Command, db: Db, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const time = new Date();
  let config: Config;
  try {
    config = loadConfig((cmd.optsWithGlobals() as { config?: string }).config);
  } catch {
    // An invalid configuration fails the command on its own terms; the record still names the copilot.
    config = Config.parse({});
  }
  const principal = localPrincipal('cli');
  let result: T;
  let failure: unknown = null;
  try {
    result = await fn();
  } catch (err) {
    failure = err;
  }
  const log = await AuditLog.open(db, { agentName: config.copilot.name, key: auditKeyFromEnv(), mirrorEvents: false });
  try {
    await ensureCopilotIdentity(db, config, { surface: 'cli', principals: [{ name: principal.name, kind: 'human', scopes: principal.scopes }] });
    await log.append({
      principal: principal.name,
      transport: 'cli',
      kind: 'command',
      name: commandPath(cmd),
      args: { args: cmd.args, options: visibleOptions(cmd) },
      resultDigest: failure ? null : digest(result!),
      durationMs: performance.now() - started,
      outcome: failure ? 'error' : 'ok',
      error: failure ? String((failure as Error).message ?? failure).slice(0, 500) : null,
      time,
    });
  } finally {
    await log.close();
  }
  if (failure) throw failure;
  return result!;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ') || cmd.name();
}

function visibleOptions(cmd: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cmd.optsWithGlobals())) if (!QUIET_OPTIONS.has(k) && v !== undefined) out[k] = v;
  return out;
}
