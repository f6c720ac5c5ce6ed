import { RecordError } from '../../lib/errors.js';
import { Autonomy, Environment, IdentityStatus, OWNER_SOURCE_CONFIDENCE, type CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { credentialIdOf } from '../aws-cloudtrail/ids.js';
import { heldCredential, serverRecords } from '../mcp-client-config/server.js';
import { recogniseSecret } from '../mcp-client-config/tokens.js';
import { actsForLink, agentId, isIdentityRef, mcpServerId, namedAgentId, ownerClaimFor } from './agents.js';

type Obj = Record<string, unknown>;

const AUTONOMY = ['assisted', 'partial', 'full'] as const;
const AWS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;

/**
 * One registry entry -> the agent identity, its owner and team claims, whom it acts for, the
 * credentials it holds (`owns_credential`), the principals it runs as (`runs_as`) and its MCP servers.
 */
export function registryEntryRecords(value: unknown, at: { path: string; index: number }): CanonicalRecord[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new RecordError('expected an agent entry (a mapping with name, owner, autonomy, ...)');
  const e = value as Obj;
  const name = str(e.name) ?? str(e.id);
  if (!name) throw new RecordError('missing name');
  const autonomyText = str(e.autonomy);
  if (autonomyText === null) throw new RecordError('missing autonomy (expected assisted | partial | full)');
  if (!(AUTONOMY as readonly string[]).includes(autonomyText)) throw new RecordError(`bad autonomy "${autonomyText}" (expected assisted | partial | full)`);
  const environment = str(e.environment) ?? 'unknown';
  if (!Environment.safeParse(environment).success) throw new RecordError(`bad environment "${environment}" (expected prod | staging | dev | unknown)`);
  const status = str(e.status) ?? 'active';
  if (!IdentityStatus.safeParse(status).success) throw new RecordError(`bad status "${status}"`);

  const owner = str(e.owner);
  const actsForRef = str(e.actsFor) ?? str(e.acts_for) ?? owner;
  const client = str(e.client);
  const id = str(e.id) ? namedAgentId(str(e.id)!) : client && actsForRef ? agentId(client, actsForRef) : namedAgentId(name);
  const evidence = [`${at.path}#${at.index}`];
  const out: CanonicalRecord[] = [];

  let actsFor: string | null = null;
  if (actsForRef) {
    const link = actsForLink(id, actsForRef, evidence);
    out.push(...link.records);
    actsFor = link.actsFor;
  }
  if (owner) out.push(ownerClaimFor(id, owner, evidence));
  const team = str(e.team);
  if (team) out.push(rec.ownerClaim({ target: id, ref: team, refType: 'team', role: 'team', source: 'registry', confidence: OWNER_SOURCE_CONFIDENCE.registry, evidence }));

  for (const [i, c] of list(e.credentials ?? e.tokens, 'credentials').entries()) out.push(...credentialLink(id, c, `credentials[${i}]`, evidence, null, null));
  for (const [i, p] of list(e.runsAs ?? e.runs_as, 'runsAs').entries()) {
    const target = str(p);
    if (!target || !isIdentityRef(target)) throw new RecordError(`runsAs[${i}]: expected an identity id (an ARN, gcp:sa:..., k8s:serviceaccount:...)`);
    out.push(rec.edge({ from: id, kind: 'runs_as', to: target, evidence, attributes: { source: 'registry' } }));
  }
  const serverNames: string[] = [];
  for (const [name_, spec] of servers(e.mcpServers ?? e.mcp_servers)) {
    serverNames.push(name_);
    const s = spec as Obj;
    out.push(...serverRecords(name_, s, { agent: id, client: client ?? 'registry', evidence: evidence[0] }));
    const server = mcpServerId(id, name_);
    for (const [i, c] of list(s.credentials ?? s.tokens, `mcpServers.${name_}.credentials`).entries()) {
      out.push(...credentialLink(id, c, `mcpServers.${name_}.credentials[${i}]`, evidence, server, name_));
    }
  }

  out.unshift(rec.identity({
    id,
    kind: 'ai_agent',
    provider: 'agent',
    name,
    environment: environment as Environment,
    status: status as IdentityStatus,
    autonomy: autonomyText as Autonomy,
    tags: tags(e.tags),
    attributes: compact({
      registry: true,
      client,
      description: str(e.description),
      model: str(e.model),
      vendor: str(e.vendor),
      actsFor,
      mcpServers: serverNames.length ? serverNames : null,
      mcpConfigs: list(e.mcpConfigs ?? e.mcp_configs, 'mcpConfigs').filter((p): p is string => typeof p === 'string'),
    }),
  }));
  return out;
}

/**
 * A credential the registry says the agent holds: an id (`aws:access-key:AKIA...`, `github:pat:123`),
 * a bare AWS key id, or (discouraged) a token value, which is fingerprinted and never kept.
 */
function credentialLink(agent: string, c: unknown, where: string, evidence: string[], server: string | null, serverName: string | null): CanonicalRecord[] {
  const ref = str(c) ?? str((c as Obj | null)?.id);
  if (!ref) throw new RecordError(`${where}: expected a credential id`);
  const attrs = compact({ source: 'registry', server: serverName });
  const link = (to: string): CanonicalRecord[] => [
    rec.edge({ from: agent, kind: 'owns_credential', to, evidence, attributes: attrs }),
    ...(server ? [rec.edge({ from: server, kind: 'owns_credential', to, evidence, attributes: attrs })] : []),
  ];
  if (AWS_KEY_ID.test(ref)) {
    const key = credentialIdOf(ref, false).id;
    return [rec.identity({ id: key, kind: 'api_key', provider: 'aws', name: ref, origin: 'log' }), ...link(key)];
  }
  if (isIdentityRef(ref)) return link(ref);
  const secret = recogniseSecret('token', ref, where);
  if (secret) return heldCredential(secret, { agent, evidence: evidence[0] }, server, serverName);
  throw new RecordError(`${where}: "${ref.slice(0, 24)}" is not a credential id (expected e.g. aws:access-key:AKIA..., github:pat:123)`);
}

function servers(v: unknown): [string, unknown][] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    return v.map((s, i) => {
      const name = str((s as Obj | null)?.name);
      if (!name) throw new RecordError(`mcpServers[${i}]: missing name`);
      return [name, s];
    });
  }
  if (typeof v === 'object') return Object.entries(v as Obj);
  throw new RecordError('mcpServers: expected a list or a mapping of servers');
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new RecordError(`${what}: expected a list`);
  return v;
}

function tags(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, String(x)]));
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}
