import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { fingerprint, redact } from '../../lib/secrets.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord, EventChain, IdentityInput } from '../../model/index.js';
import { rec } from '../contract.js';
import { openaiIds } from '../openai-admin/ids.js';
import { compact, obj, str } from '../openai-admin/records.js';

type Obj = Record<string, unknown>;

/**
 * One OpenAI audit log entry (GET /v1/organization/audit_logs, or the Panther `OpenAI.Audit` shape)
 * -> the event, its actor and the identities it names. A call made with an API key acts as the key's
 * owner, with the key as the chain's credential. The payload sits under the event type (`"api_key.created":
 * {...}`; log pipelines write `api_key_created`).
 */
export function openaiAuditRecords(v: Obj, rawRef: string): CanonicalRecord[] {
  const type = str(v.type);
  if (!type) throw new RecordError('missing type');
  const time = iso(v.effective_at, 'effective_at');
  const actorObj = obj(v.actor);
  if (!actorObj) throw new RecordError('missing actor');
  const actor = actorOf(actorObj);
  const id = str(v.id) ? `openai:audit:${str(v.id)}` : null;
  if (!id) throw new RecordError('missing id');

  const payload = obj(v[type]) ?? obj(v[type.replace(/\./g, '_')]);
  const target = targetOf(type, payload);
  const project = obj(v.project);
  const projectId = str(project?.id);
  const failed = /\.failed$/.test(type);
  const out: CanonicalRecord[] = [...actor.records];
  if (target?.identity && target.id !== actor.id) out.push(rec.identity(target.identity));

  out.push(rec.event({
    id,
    time,
    provider: 'openai',
    service: 'openai',
    action: type,
    outcome: failed ? 'failure' : 'success',
    errorCode: failed ? str(payload?.error_code) : null,
    actorId: actor.id,
    chain: actor.chain,
    target: target?.id ?? null,
    resources: [target?.id, projectId ? openaiIds.project(projectId) : null].filter((x): x is string => Boolean(x)),
    sourceIp: actor.ip,
    sourceKind: classifySource(actor.ip),
    userAgent: actor.userAgent,
    account: projectId,
    rawRef,
    detail: compact({
      payload: payload ? redact(payload) : null,
      project: project ? redact(project) : null,
      geo: actor.geo,
      actorType: str(actorObj.type),
      actorEmail: actor.email,
    }),
  }));
  // A key made by someone is a fact of history; its use by its owner is a delegation hop.
  if (!failed && target?.identity && /\.created$/.test(type)) out.push(rec.observation({ eventId: id, from: actor.id, kind: 'created', to: target.id, time }));
  if (actor.chain.credentialId) out.push(rec.observation({ eventId: id, from: actor.id, kind: 'owns_credential', to: actor.chain.credentialId, time }));
  return out;
}

interface Actor {
  id: string;
  chain: EventChain;
  records: CanonicalRecord[];
  ip: string | null;
  userAgent: string | null;
  email: string | null;
  geo: Obj | null;
}

function actorOf(a: Obj): Actor {
  const type = str(a.type);
  const chain: EventChain = { sessionIssuer: null, session: null, sourceIdentity: null, onBehalfOf: null, credentialId: null, invokedBy: null, federatedProvider: null, mfa: null, delegation: [] };
  if (type === 'session') {
    const session = obj(a.session);
    const user = obj(session?.user);
    const userId = str(user?.id);
    if (!userId) throw new RecordError('missing actor.session.user.id');
    const email = str(user?.email);
    const id = openaiIds.user(userId);
    return {
      id, chain, email,
      records: [rec.identity({ id, kind: 'human', provider: 'openai', name: email ?? userId, email, origin: 'log' })],
      ip: str(session?.ip_address), userAgent: str(session?.user_agent), geo: obj(session?.ip_address_details),
    };
  }
  if (type === 'api_key') {
    const key = obj(a.api_key);
    const keyId = str(key?.id);
    if (!keyId) throw new RecordError('missing actor.api_key.id');
    const ownerType = str(key?.type);
    const user = obj(key?.user);
    const sa = obj(key?.service_account);
    const keyIdentity = openaiIds.apiKey(keyId);
    chain.credentialId = keyIdentity;
    const records: CanonicalRecord[] = [rec.identity({ id: keyIdentity, kind: 'api_key', provider: 'openai', name: keyId, origin: 'log' })];
    let owner: IdentityInput;
    if (ownerType === 'service_account' || (sa && !user)) {
      const saId = str(sa?.id);
      if (!saId) throw new RecordError('missing actor.api_key.service_account.id');
      owner = { id: openaiIds.serviceAccount(saId), kind: 'service_account', provider: 'openai', name: saId, origin: 'log' };
    } else {
      const userId = str(user?.id);
      if (!userId) throw new RecordError('missing actor.api_key.user.id');
      const email = str(user?.email);
      owner = { id: openaiIds.user(userId), kind: 'human', provider: 'openai', name: email ?? userId, email, origin: 'log' };
    }
    records.unshift(rec.identity(owner));
    records.push(
      rec.credential({ id: keyIdentity, identityId: owner.id, type: 'api_token', fingerprint: fingerprint(keyIdentity), origin: 'log' }),
      rec.edge({ from: owner.id, kind: 'owns_credential', to: keyIdentity }),
    );
    return { id: owner.id, chain, records, ip: null, userAgent: null, email: owner.email ?? null, geo: null };
  }
  throw new RecordError(type ? `unrecognised actor.type "${type}"` : 'missing actor.type');
}

interface Target {
  id: string;
  identity: IdentityInput | null;
}

/** What an event acts on, by the object its type names (`api_key.created` -> the key, `role.assignment.created` -> the principal). */
function targetOf(type: string, p: Obj | null): Target | null {
  if (!p) return null;
  const object = type.slice(0, type.lastIndexOf('.')).replace(/\.config$/, '');
  const pid = str(p.id) ?? str(obj(Array.isArray(p.configs) ? p.configs[0] : null)?.id);
  const log = { provider: 'openai' as const, origin: 'log' as const };
  switch (object) {
    case 'role.assignment': {
      const principal = str(p.principal_id);
      if (!principal) return null;
      const ptype = str(p.principal_type);
      if (ptype === 'group') return { id: openaiIds.group(principal), identity: { id: openaiIds.group(principal), kind: 'group', name: principal, ...log } };
      if (ptype === 'service_account') return { id: openaiIds.serviceAccount(principal), identity: { id: openaiIds.serviceAccount(principal), kind: 'service_account', name: principal, ...log } };
      return { id: openaiIds.user(principal), identity: { id: openaiIds.user(principal), kind: 'human', name: principal, ...log } };
    }
    case 'api_key':
      return pid ? { id: openaiIds.apiKey(pid), identity: { id: openaiIds.apiKey(pid), kind: 'api_key', name: str(obj(p.data)?.name) ?? pid, ...log } } : null;
    case 'service_account':
      return pid ? { id: openaiIds.serviceAccount(pid), identity: { id: openaiIds.serviceAccount(pid), kind: 'service_account', name: pid, ...log } } : null;
    case 'user':
      return pid ? { id: openaiIds.user(pid), identity: { id: openaiIds.user(pid), kind: 'human', name: str(obj(p.data)?.email) ?? pid, email: str(obj(p.data)?.email), ...log } } : null;
    case 'group':
      return pid ? { id: openaiIds.group(pid), identity: { id: openaiIds.group(pid), kind: 'group', name: str(obj(p.data)?.name) ?? pid, ...log } } : null;
    case 'project':
      return pid ? { id: openaiIds.project(pid), identity: { id: openaiIds.project(pid), kind: 'group', name: str(obj(p.data)?.title) ?? pid, ...log } } : null;
    case 'scim':
    case 'organization':
      return pid ? { id: openaiIds.org(pid), identity: null } : null;
    case 'invite':
      return pid ? { id: openaiIds.invite(pid), identity: null } : null;
    default:
      return pid ? { id: openaiIds.other(object, pid), identity: null } : null;
  }
}

function iso(v: unknown, field: string): string {
  try {
    return requireIso(v, field);
  } catch (err) {
    throw new RecordError((err as Error).message);
  }
}
