import { OWNER_SOURCE_CONFIDENCE, Provider, type CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';

/**
 * Ids and person links shared by the agent registry and the MCP client configurations, so that the
 * same assistant described in both merges into one identity (docs/connectors.md, "AI agents"):
 *
 *   agent       `agent:<client>:<owner>` (a client application used by one person), else `agent:<name>`
 *   MCP server  `mcp:server:<client>:<owner>/<server name>`: one per agent, because a local server runs
 *               with the tokens of the person whose configuration starts it
 */
export function agentId(client: string, owner: string): string {
  return `agent:${slugOf(client)}:${ownerSlug(owner)}`;
}

export function namedAgentId(name: string): string {
  return name.startsWith('agent:') ? name : `agent:${slugOf(name)}`;
}

export function mcpServerId(agent: string, serverName: string): string {
  return `mcp:server:${agent.replace(/^agent:/, '')}/${serverName.trim().toLowerCase().replace(/[^a-z0-9._@-]+/g, '-')}`;
}

/** The owner part of an agent id: an email's local part, an id's last segment, else the handle, lower-cased. */
export function ownerSlug(owner: string): string {
  const o = owner.trim();
  const base = isIdentityRef(o) ? o.slice(Math.max(o.lastIndexOf(':'), o.lastIndexOf('/')) + 1) : o.includes('@') ? o.slice(0, o.indexOf('@')) : o;
  return slugOf(base) || 'unknown';
}

export function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

const PROVIDERS = new Set<string>(Provider.options);
/** An identity id (`hr:employee:E1`, `okta:user:00u1`, an ARN) rather than an email or a username. */
export function isIdentityRef(ref: string): boolean {
  if (ref.startsWith('arn:')) return true;
  const m = /^([a-z0-9-]+):[a-z0-9-]+:./.exec(ref);
  return m !== null && PROVIDERS.has(m[1]);
}

/**
 * Whom an agent acts for. A person given by id gets the `acts_for` edge now; an email or a username
 * cannot be resolved without the store, so it is returned for `attributes.actsFor`, which identity
 * resolution turns into the edge.
 */
export function actsForLink(agent: string, person: string, evidence: string[]): { records: CanonicalRecord[]; actsFor: string | null } {
  const ref = person.trim();
  if (!isIdentityRef(ref)) return { records: [], actsFor: ref };
  return { records: [rec.edge({ from: agent, kind: 'acts_for', to: ref, evidence, attributes: { source: 'registry' } })], actsFor: null };
}

/** The person accountable for an agent, as a claim the ownership engine resolves to an `owns` edge. */
export function ownerClaimFor(agent: string, owner: string, evidence: string[], confidence: number = OWNER_SOURCE_CONFIDENCE.registry): CanonicalRecord {
  const ref = owner.trim();
  return rec.ownerClaim({
    target: agent, ref, refType: isIdentityRef(ref) ? 'identity' : ref.includes('@') ? 'email' : 'username',
    source: 'registry', confidence, evidence,
  });
}

/** Client applications as configuration files reveal them. */
export const CLIENTS = ['claude-desktop', 'claude-code', 'vscode', 'cursor', 'windsurf', 'mcp-client'] as const;
export type Client = (typeof CLIENTS)[number];

export const CLIENT_TITLES: Record<Client, string> = {
  'claude-desktop': 'Claude Desktop', 'claude-code': 'Claude Code', vscode: 'VS Code', cursor: 'Cursor', windsurf: 'Windsurf', 'mcp-client': 'MCP client',
};
