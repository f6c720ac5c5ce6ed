import { FormatError, RecordError } from '../../lib/errors.js';
import { shortHash } from '../../lib/secrets.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec, type Connector, type ParseOptions, type Sample, type SourceItem } from '../contract.js';
import type { SourceFile } from '../shared/source-file.js';
import { CLIENT_TITLES, actsForLink, agentId, ownerClaimFor, type Client } from '../agent-registry/agents.js';
import { parseJsonc } from './jsonc.js';
import { serverRecords } from './server.js';

type Obj = Record<string, unknown>;

/**
 * MCP client configuration files as people keep them: Claude Desktop `claude_desktop_config.json` and
 * Cursor / Claude Code / Windsurf `mcp.json` (`{"mcpServers": {...}}`), VS Code `.vscode/mcp.json`
 * (`{"servers": {...}, "inputs": [...]}`, JSONC) and VS Code user settings (`{"mcp": {"servers"}}`).
 *
 * The client application is an `ai_agent` acting for the person whose file it is (`--owner PERSON`,
 * else the home folder in the path, else unknown until a registry entry names the file); each server is
 * a workload it can use; each token in a server's env, headers, arguments or URL is a credential both
 * hold, known only by its fingerprint.
 */
export const connector: Connector = {
  name: 'mcp-client-config',
  title: 'MCP client configuration (Claude Desktop, VS Code, Cursor)',
  category: 'inventory',
  produces: 'claude_desktop_config.json, .vscode/mcp.json, ~/.cursor/mcp.json, .mcp.json (ingest with --owner PERSON)',
  detect,
  async *parse(file, options) {
    const text = await file.text();
    yield parseConfig(file, parseJsonc(file.path, text), options, text);
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  const path = sample.path.replace(/\\/g, '/');
  if (/(^|\/)claude_desktop_config\.json$/i.test(path)) return 0.95;
  if (/"mcpServers"\s*:\s*\{/.test(head)) return 0.9;
  if (/(^|\/)\.vscode\/mcp\.json$|(^|\/)mcp\.json$/i.test(path) && /"servers"\s*:\s*\{/.test(head)) return 0.9;
  if (/"servers"\s*:\s*\{/.test(head) && /"inputs"\s*:\s*\[/.test(head) && /"(command|url)"\s*:/.test(head)) return 0.85;
  if (/"mcp"\s*:\s*\{\s*"servers"\s*:/.test(head)) return 0.7;
  return 0;
}

/** Which client wrote the file: its usual name and place, else its shape. */
export function clientOf(path: string, doc: Obj): Client {
  const p = path.replace(/\\/g, '/').toLowerCase();
  if (p.endsWith('claude_desktop_config.json')) return 'claude-desktop';
  if (p.includes('/.cursor/') || p.startsWith('.cursor/') || p.includes('cursor')) return 'cursor';
  if (p.includes('windsurf') || p.includes('codeium')) return 'windsurf';
  if (p.endsWith('.vscode/mcp.json') || p.includes('/code/user/') || p.includes('vscode') || (!('mcpServers' in doc) && ('servers' in doc || 'mcp' in doc))) return 'vscode';
  if (p.endsWith('.mcp.json') || p.endsWith('.claude.json') || p.includes('/.claude/')) return 'claude-code';
  return 'mcp-client';
}

const HOME = /(?:^|\/)(?:Users|home)\/([^/]+)\/|^[A-Za-z]:\/Users\/([^/]+)\//;
const NOT_PEOPLE = new Set(['root', 'shared', 'public', 'default', 'runner', 'ubuntu', 'admin', 'user']);

/** The person a file belongs to when `--owner` is not given: the home folder it sits in, if any. */
export function ownerFromPath(path: string): string | null {
  const m = HOME.exec(path.replace(/\\/g, '/'));
  const name = m?.[1] ?? m?.[2] ?? null;
  return name && !NOT_PEOPLE.has(name.toLowerCase()) ? name : null;
}

function parseConfig(file: SourceFile, doc: unknown, options: ParseOptions, text: string): SourceItem[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new FormatError(file.path, 'expected a JSON object with "mcpServers" or "servers"', { line: 1 });
  const root = doc as Obj;
  const vscodeSettings = obj(root.mcp);
  const servers = obj(root.mcpServers) ?? obj(root.servers) ?? obj(vscodeSettings?.servers);
  if (!servers) {
    const bad = ['mcpServers', 'servers'].find((k) => k in root);
    throw new FormatError(file.path, bad ? `"${bad}" must be an object of servers by name` : 'no "mcpServers" or "servers" object (not an MCP client configuration)', { line: 1 });
  }
  const client = clientOf(file.path, root);
  const explicit = options.owner?.trim() || null;
  const owner = explicit ?? ownerFromPath(file.path);
  const agent = owner ? agentId(client, owner) : `agent:${client}:config-${shortHash(file.path, 8)}`;
  const evidence = `${file.path}`;
  const inputs = inputsOf(root.inputs ?? vscodeSettings?.inputs);

  const items: SourceItem[] = [{ index: 0, line: 1, records: agentRecords(agent, client, owner, explicit !== null, Object.keys(servers), file.path) }];
  let index = 1;
  let from = 0;
  for (const [name, spec] of Object.entries(servers)) {
    const i = index++;
    // The line where the server's key appears, searching on from the previous one: servers come in file order.
    const at = text.indexOf(JSON.stringify(name), from);
    const line = at === -1 ? undefined : lineAt(text, at);
    if (at !== -1) from = at + 1;
    try {
      items.push({ index: i, line, records: serverRecords(name, spec, { agent, client, evidence, inputs }) });
    } catch (err) {
      items.push({ index: i, line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
    }
  }
  return items;
}

function agentRecords(agent: string, client: Client, owner: string | null, explicit: boolean, serverNames: string[], path: string): CanonicalRecord[] {
  const out: CanonicalRecord[] = [];
  let actsFor: string | null = null;
  if (owner) {
    const link = actsForLink(agent, owner, [path]);
    out.push(...link.records);
    actsFor = link.actsFor;
    // A home folder name is a weaker claim than an owner the person ingesting the file states.
    out.push(ownerClaimFor(agent, owner, [path], explicit ? 0.9 : 0.6));
  }
  out.unshift(rec.identity({
    id: agent,
    kind: 'ai_agent',
    provider: 'agent',
    name: `${CLIENT_TITLES[client]} (${owner ?? 'unknown owner'})`,
    status: 'active',
    // Clients ask before each tool call unless told otherwise; the registry states the real autonomy.
    autonomy: 'assisted',
    origin: 'derived',
    attributes: {
      client,
      configPaths: [path],
      mcpServers: serverNames,
      ...(actsFor ? { actsFor } : {}),
      ...(owner && !explicit ? { ownerFrom: 'path' } : {}),
    },
  }));
  return out;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function inputsOf(v: unknown): Map<string, { password: boolean; description: string | null }> {
  const out = new Map<string, { password: boolean; description: string | null }>();
  if (!Array.isArray(v)) return out;
  for (const i of v) {
    const o = obj(i);
    if (o && typeof o.id === 'string') out.set(o.id, { password: o.password === true, description: typeof o.description === 'string' ? o.description : null });
  }
  return out;
}

function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}
