import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { fingerprint, redact } from '../../lib/secrets.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord, EventChain, IdentityInput } from '../../model/index.js';
import { rec } from '../contract.js';
import { anthropicIds } from '../anthropic-admin/ids.js';
import { compact, obj, str } from '../openai-admin/records.js';

type Obj = Record<string, unknown>;

/** Top-level fields that are the envelope, not the payload kept in `detail`. */
const ENVELOPE = new Set(['id', 'created_at', 'type', 'actor', 'organization_id']);

/**
 * One Anthropic organization activity entry (the Compliance / activity feed; Panther
 * `Anthropic.Activity`) -> the event, its actor and what it names. Users act as themselves; a call made
 * with an API key has the key as actor and credential (the feed does not say whose key it is).
 */
export function anthropicActivityRecords(v: Obj, rawRef: string): CanonicalRecord[] {
  const type = str(v.type);
  if (!type) throw new RecordError('missing type');
  const rawId = str(v.id);
  if (!rawId) throw new RecordError('missing id');
  let time: string;
  try {
    time = requireIso(v.created_at, 'created_at');
  } catch (err) {
    throw new RecordError((err as Error).message);
  }
  const actorObj = obj(v.actor);
  if (!actorObj) throw new RecordError('missing actor');
  const actor = actorOf(actorObj);
  const id = `anthropic:activity:${rawId}`;
  const named = namedIn(v);
  const out: CanonicalRecord[] = [...actor.records];
  for (const n of named) if (n.identity && n.id !== actor.id) out.push(rec.identity(n.identity));
  const failed = /_failed$/.test(type);
  const payload: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!ENVELOPE.has(k)) payload[k] = x;

  out.push(rec.event({
    id,
    time,
    provider: 'anthropic',
    service: 'anthropic',
    action: type,
    outcome: failed ? 'failure' : 'success',
    actorId: actor.id,
    chain: actor.chain,
    target: named[0]?.id ?? null,
    resources: named.map((n) => n.id),
    sourceIp: actor.ip,
    sourceKind: classifySource(actor.ip),
    userAgent: actor.userAgent,
    account: str(v.organization_id),
    rawRef,
    detail: compact({ payload: Object.keys(payload).length ? redact(payload) : null, actorType: str(actorObj.type), actorEmail: actor.email }),
  }));
  if (!failed && /_created$/.test(type) && named[0]?.identity) out.push(rec.observation({ eventId: id, from: actor.id, kind: 'created', to: named[0].id, time }));
  return out;
}

interface Actor {
  id: string;
  chain: EventChain;
  records: CanonicalRecord[];
  ip: string | null;
  userAgent: string | null;
  email: string | null;
}

function actorOf(a: Obj): Actor {
  const type = str(a.type);
  const chain: EventChain = { sessionIssuer: null, session: null, sourceIdentity: null, onBehalfOf: null, credentialId: null, invokedBy: null, federatedProvider: null, mfa: null, delegation: [] };
  const ip = str(a.ip_address);
  const userAgent = str(a.user_agent);
  const log = { provider: 'anthropic' as const, origin: 'log' as const };
  const make = (identity: IdentityInput, email: string | null = null, extra: CanonicalRecord[] = []): Actor => ({
    id: identity.id, chain, records: [rec.identity(identity), ...extra], ip, userAgent, email,
  });
  switch (type) {
    case 'user_actor': {
      const userId = str(a.user_id);
      if (!userId) throw new RecordError('missing actor.user_id');
      const email = str(a.email_address);
      return make({ id: anthropicIds.user(userId), kind: 'human', name: email ?? userId, email, ...log }, email);
    }
    case 'api_actor':
    case 'admin_api_key_actor': {
      const admin = type === 'admin_api_key_actor';
      const keyId = str(admin ? a.admin_api_key_id ?? a.api_key_id : a.api_key_id);
      if (!keyId) throw new RecordError(`missing actor.${admin ? 'admin_api_key_id' : 'api_key_id'}`);
      const id = admin ? anthropicIds.adminKey(keyId) : anthropicIds.apiKey(keyId);
      chain.credentialId = id;
      // The key is its own credential until the key listing says which workspace holds it.
      return make({ id, kind: 'api_key', name: keyId, ...log }, null, [
        rec.credential({ id, identityId: id, type: 'api_token', fingerprint: fingerprint(id), origin: 'log' }),
      ]);
    }
    case 'unauthenticated_user_actor':
      return make({ id: anthropicIds.unauthenticated, kind: 'group', name: 'anyone (unauthenticated)', ...log }, str(a.unauthenticated_email_address));
    case 'scim_directory_sync_actor': {
      const dir = str(a.directory_id) ?? str(a.workos_event_id) ?? 'directory';
      return make({ id: anthropicIds.scim(dir), kind: 'service_account', name: `SCIM directory sync (${str(a.idp_connection_type) ?? dir})`, ...log });
    }
    case 'anthropic_actor':
      return make({ id: anthropicIds.staff, kind: 'service_account', name: 'Anthropic', ...log });
    default:
      throw new RecordError(type ? `unrecognised actor.type "${type.slice(0, 40)}"` : 'missing actor.type');
  }
}

interface Named {
  id: string;
  identity: IdentityInput | null;
}

/** What an entry names, most specific first: the event's target, then the objects it is about. */
function namedIn(v: Obj): Named[] {
  const out: Named[] = [];
  const add = (n: Named | null) => {
    if (n && !out.some((x) => x.id === n.id)) out.push(n);
  };
  const log = { provider: 'anthropic' as const, origin: 'log' as const };
  const targetId = str(v.target_id);
  if (targetId) {
    const t = str(v.target_type) ?? '';
    if (t === 'organization_member' || t === 'user') add({ id: anthropicIds.user(targetId), identity: { id: anthropicIds.user(targetId), kind: 'human', name: targetId, ...log } });
    else if (t === 'api_key') add({ id: anthropicIds.apiKey(targetId), identity: { id: anthropicIds.apiKey(targetId), kind: 'api_key', name: targetId, ...log } });
    else if (t === 'workspace') add({ id: anthropicIds.workspace(targetId), identity: { id: anthropicIds.workspace(targetId), kind: 'group', name: targetId, ...log } });
    else add({ id: anthropicIds.other(t || 'target', targetId), identity: null });
  }
  const deleted = str(v.deleted_user_id);
  if (deleted) {
    const email = str(v.deleted_user_email);
    add({ id: anthropicIds.user(deleted), identity: { id: anthropicIds.user(deleted), kind: 'human', name: email ?? deleted, email, ...log } });
  }
  const mcp = str(v.mcp_server_id);
  if (mcp) add({ id: anthropicIds.mcpServer(mcp), identity: { id: anthropicIds.mcpServer(mcp), kind: 'workload', name: str(v.mcp_server_name) ?? mcp, attributes: { mcpServer: true }, ...log } });
  const apiKey = str(v.api_key_id);
  if (apiKey) add({ id: anthropicIds.apiKey(apiKey), identity: { id: anthropicIds.apiKey(apiKey), kind: 'api_key', name: apiKey, ...log } });
  const artifact = str(v.claude_artifact_id);
  if (artifact) add({ id: anthropicIds.other('artifact', artifact), identity: null });
  const chat = str(v.claude_chat_id);
  if (chat) add({ id: anthropicIds.other('chat', chat), identity: null });
  const resource = str(v.resource_id);
  if (resource) add({ id: anthropicIds.other(str(v.resource_type) ?? 'resource', resource), identity: null });
  const workspace = str(v.workspace_id);
  if (workspace) add({ id: anthropicIds.workspace(workspace), identity: null });
  const integration = str(v.integration_type);
  if (integration) add({ id: anthropicIds.other('integration', integration), identity: null });
  return out;
}
