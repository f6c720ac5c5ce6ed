import { RecordError } from '../../lib/errors.js';
import { fingerprint } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { openaiIds } from './ids.js';

type Obj = Record<string, unknown>;

/** What the file says around a record: the project a member listing is about, when it says so once. */
export interface ListingContext {
  project: string | null;
  ref: string;
}

/**
 * One object of the OpenAI Administration API (users, projects, project users, project service
 * accounts, project API keys, admin API keys) -> identities, credentials and edges. Keys are
 * credentials of their owner (`owns_credential` owner -> key); a key's secret `value`, which the API
 * returns once at creation, is only fingerprinted, so that a token found in an MCP configuration can be
 * matched to the key.
 */
export function openaiObjectRecords(v: Obj, ctx: ListingContext): CanonicalRecord[] {
  const object = str(v.object) ?? '';
  if (object.endsWith('organization.user')) return userRecords(v, null);
  if (object.endsWith('organization.project')) return projectRecords(v);
  if (object.endsWith('project.user')) return userRecords(v, projectOf(v, ctx));
  if (object.endsWith('project.service_account')) return serviceAccountRecords(v, projectOf(v, ctx));
  if (object.endsWith('project.api_key')) return keyRecords(v, 'project', projectOf(v, ctx), ctx.ref);
  if (object.endsWith('admin_api_key')) return keyRecords(v, 'admin', null, ctx.ref);
  if (object.endsWith('invite')) throw new RecordError('organization.invite: an invitation is not an identity yet (not loaded)');
  throw new RecordError(object ? `unrecognised object "${object.slice(0, 60)}"` : 'missing object (expected organization.user, organization.project, ...)');
}

function userRecords(v: Obj, project: string | null): CanonicalRecord[] {
  const id = need(v, 'id');
  const user = openaiIds.user(id);
  const role = str(v.role);
  const out: CanonicalRecord[] = [rec.identity({
    id: user,
    kind: 'human',
    provider: 'openai',
    name: str(v.name) ?? str(v.email) ?? id,
    email: str(v.email),
    status: 'active',
    createdAt: time(v.added_at, 'added_at'),
    attributes: compact({ userId: id, orgRole: project ? null : role }),
  })];
  if (project) out.push(rec.edge({ from: user, kind: 'member_of', to: openaiIds.project(project), attributes: compact({ role }) }));
  return out;
}

function projectRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const status = str(v.status);
  return [rec.identity({
    id: openaiIds.project(id),
    kind: 'group',
    provider: 'openai',
    name: str(v.name) ?? id,
    status: status === 'archived' ? 'inactive' : status === 'active' ? 'active' : 'unknown',
    createdAt: time(v.created_at, 'created_at'),
    attributes: compact({ projectId: id, archivedAt: time(v.archived_at, 'archived_at'), container: 'project' }),
  })];
}

function serviceAccountRecords(v: Obj, project: string | null): CanonicalRecord[] {
  const id = need(v, 'id');
  const sa = openaiIds.serviceAccount(id);
  const out: CanonicalRecord[] = [rec.identity({
    id: sa,
    kind: 'service_account',
    provider: 'openai',
    name: str(v.name) ?? id,
    status: 'active',
    createdAt: time(v.created_at, 'created_at'),
    attributes: compact({ serviceAccountId: id, projectRole: str(v.role), project }),
  })];
  if (project) out.push(rec.edge({ from: sa, kind: 'member_of', to: openaiIds.project(project), attributes: compact({ role: str(v.role) }) }));
  return out;
}

function keyRecords(v: Obj, which: 'project' | 'admin', project: string | null, ref: string): CanonicalRecord[] {
  const keyId = need(v, 'id');
  const id = which === 'admin' ? openaiIds.adminKey(keyId) : openaiIds.apiKey(keyId);
  const owner = ownerOf(obj(v.owner));
  const secret = str(v.value);
  const createdAt = time(v.created_at, 'created_at');
  const lastUsedAt = time(v.last_used_at, 'last_used_at');
  const holder = owner?.id ?? (project ? openaiIds.project(project) : null);
  if (!holder) throw new RecordError('missing owner (a key belongs to a user or a service account)');
  const attributes = compact({ keyId, scope: which, project, hint: str(v.redacted_value), owner: owner?.id ?? null, knownBy: secret ? 'value' : 'id' });
  const out: CanonicalRecord[] = [];
  if (owner) out.push(rec.identity(owner.identity));
  out.push(
    rec.identity({ id, kind: 'api_key', provider: 'openai', name: str(v.name) ?? keyId, status: 'active', createdAt, lastSeenAt: lastUsedAt, attributes }),
    rec.credential({
      id, identityId: holder, type: 'api_token',
      // The value, when the listing carries it, makes the key recognisable wherever the token is pasted.
      fingerprint: fingerprint(secret ?? id), createdAt, lastUsedAt, status: 'active', attributes,
    }),
    rec.edge({ from: holder, kind: 'owns_credential', to: id, evidence: [ref] }),
  );
  return out;
}

/** A key's owner as the key states it: a stub (origin derived) that the user or service account listing overrides. */
interface Owner {
  id: string;
  identity: Parameters<typeof rec.identity>[0];
}

/** A key's owner as project keys (`{type, user: {...}}`) and admin keys (`{type, id, name}`) state it. */
function ownerOf(o: Obj | null): Owner | null {
  if (!o) return null;
  const type = str(o.type);
  const nested = obj(o[type ?? '']) ?? obj(o.user) ?? obj(o.service_account);
  const id = str(nested?.id) ?? str(o.id);
  if (!id) return null;
  const name = str(nested?.name) ?? str(o.name) ?? id;
  if (type === 'service_account' || str(o.object)?.includes('service_account')) {
    const sa = openaiIds.serviceAccount(id);
    return { id: sa, identity: { id: sa, kind: 'service_account', provider: 'openai', name, origin: 'derived', createdAt: time(nested?.created_at ?? o.created_at, 'owner.created_at') } };
  }
  const user = openaiIds.user(id);
  return { id: user, identity: { id: user, kind: 'human', provider: 'openai', name, origin: 'derived', email: str(nested?.email) ?? str(o.email) } };
}

function projectOf(v: Obj, ctx: ListingContext): string | null {
  return str(v.project_id) ?? str(obj(v.project)?.id) ?? ctx.project;
}

function need(v: Obj, key: string): string {
  const s = str(v[key]);
  if (!s) throw new RecordError(`missing ${key}`);
  return s;
}

function time(v: unknown, field: string): string | null {
  try {
    return toIso(v, field);
  } catch (err) {
    throw new RecordError(`bad ${field}: ${(err as Error).message}`);
  }
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}

export function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

export function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}
