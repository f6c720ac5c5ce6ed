import { RecordError } from '../../lib/errors.js';
import { fingerprint } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import { OWNER_SOURCE_CONFIDENCE, type CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { compact, obj, str } from '../openai-admin/records.js';
import { anthropicIds } from './ids.js';

type Obj = Record<string, unknown>;

/**
 * One object of the Anthropic Admin API (users, workspaces, workspace members, API keys) -> identities,
 * credentials and edges. An API key belongs to its workspace (it acts with the workspace's access), and
 * the user who made it is recorded as its creator; only the vendor's partial hint of the key is kept.
 */
export function anthropicObjectRecords(v: Obj, ref: string): CanonicalRecord[] {
  const type = str(v.type);
  switch (type) {
    case 'user': return userRecords(v);
    case 'workspace': return workspaceRecords(v);
    case 'workspace_member': return memberRecords(v);
    case 'api_key': return keyRecords(v, ref);
    case 'invite': throw new RecordError('invite: an invitation is not an identity yet (not loaded)');
    default: throw new RecordError(type ? `unrecognised type "${type.slice(0, 60)}"` : 'missing type (expected user, workspace, workspace_member or api_key)');
  }
}

function userRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  return [rec.identity({
    id: anthropicIds.user(id),
    kind: 'human',
    provider: 'anthropic',
    name: str(v.name) ?? str(v.email) ?? id,
    email: str(v.email),
    status: 'active',
    createdAt: time(v.added_at, 'added_at'),
    attributes: compact({ userId: id, orgRole: str(v.role) }),
  })];
}

function workspaceRecords(v: Obj): CanonicalRecord[] {
  const id = need(v, 'id');
  const archived = time(v.archived_at, 'archived_at');
  return [rec.identity({
    id: anthropicIds.workspace(id),
    kind: 'group',
    provider: 'anthropic',
    name: str(v.name) ?? id,
    status: archived ? 'inactive' : 'active',
    createdAt: time(v.created_at, 'created_at'),
    attributes: compact({ workspaceId: id, archivedAt: archived, container: 'workspace' }),
  })];
}

function memberRecords(v: Obj): CanonicalRecord[] {
  const user = need(v, 'user_id');
  const workspace = need(v, 'workspace_id');
  return [rec.edge({ from: anthropicIds.user(user), kind: 'member_of', to: anthropicIds.workspace(workspace), attributes: compact({ role: str(v.workspace_role) }) })];
}

const KEY_STATUS: Record<string, 'active' | 'inactive' | 'revoked'> = { active: 'active', inactive: 'inactive', archived: 'revoked' };

function keyRecords(v: Obj, ref: string): CanonicalRecord[] {
  const keyId = need(v, 'id');
  const id = anthropicIds.apiKey(keyId);
  const workspaceId = str(v.workspace_id);
  const workspace = workspaceId ? anthropicIds.workspace(workspaceId) : anthropicIds.defaultWorkspace;
  const creator = obj(v.created_by);
  const creatorId = str(creator?.id);
  const creatorIsUser = !creator?.type || creator.type === 'user';
  const status = KEY_STATUS[str(v.status) ?? ''] ?? 'unknown';
  const createdAt = time(v.created_at, 'created_at');
  const attributes = compact({ keyId, workspace, hint: str(v.partial_key_hint), createdBy: creatorId });
  const out: CanonicalRecord[] = [
    rec.identity({ id, kind: 'api_key', provider: 'anthropic', name: str(v.name) ?? keyId, status: status === 'revoked' ? 'deleted' : status, createdAt, attributes }),
    rec.credential({ id, identityId: workspace, type: 'api_token', fingerprint: fingerprint(id), createdAt, status, attributes }),
    rec.edge({ from: workspace, kind: 'owns_credential', to: id, evidence: [ref] }),
  ];
  if (!workspaceId) out.push(rec.identity({ id: workspace, kind: 'group', provider: 'anthropic', name: 'Default workspace', origin: 'derived', attributes: { container: 'workspace' } }));
  if (creatorId && creatorIsUser) {
    const user = anthropicIds.user(creatorId);
    out.push(
      rec.edge({ from: user, kind: 'created', to: id, evidence: [ref] }),
      rec.ownerClaim({ target: id, ref: user, refType: 'identity', source: 'creator', confidence: OWNER_SOURCE_CONFIDENCE.creator, evidence: [ref] }),
    );
  }
  return out;
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
