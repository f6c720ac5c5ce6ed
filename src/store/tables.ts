import type { RecordKind, RecordOf } from '../model/index.js';

/**
 * How each canonical record kind maps to its table, declared as data (as Cartography declares nodes):
 * columns, key, and how a new value merges with the stored one. The bulk writer generates both the
 * in-batch de-duplication and the SQL `ON CONFLICT` clause from these declarations, so the two can
 * never disagree.
 */
export type ColumnType = 'text' | 'bool' | 'int' | 'real' | 'timestamptz' | 'jsonb';

/**
 * - replace: the new value wins
 * - keep: the first value stays
 * - stronger: the value from the stronger origin wins (inventory > derived > log), nulls never win
 * - greatest / least: later last-seen, earlier first-seen
 * - or / sum: flags and counts
 * - jsonMerge: objects merged key by key, the stronger origin's keys win
 * - union: arrays merged, distinct, first 20 kept
 */
export type Merge = 'replace' | 'keep' | 'stronger' | 'greatest' | 'least' | 'or' | 'sum' | 'jsonMerge' | 'union';

export interface Column {
  name: string;
  type: ColumnType;
  get: (r: any) => unknown;
  merge: Merge;
  /** A value that means "not known" and never overrides a known one (`unknown`). */
  unknown?: string;
}

export interface TableSpec<K extends RecordKind = RecordKind> {
  kind: K;
  table: string;
  key: string[];
  keyOf: (r: RecordOf<K>) => string;
  columns: Column[];
  /** Whether rows carry an `origin` that ranks their facts. */
  ranked: boolean;
  /** `nothing`: an existing row is left as it is (events are immutable). */
  onConflict: 'update' | 'nothing';
}

export const UNION_CAP = 20;

const c = (name: string, type: ColumnType, get: (r: any) => unknown, merge: Merge = 'replace', unknown?: string): Column => ({ name, type, get, merge, unknown });

export const TABLES: { [K in Exclude<RecordKind, 'observation'>]: TableSpec<K> } = {
  identity: {
    kind: 'identity', table: 'identities', key: ['id'], ranked: true, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('kind', 'text', (r) => r.kind, 'stronger'),
      c('provider', 'text', (r) => r.provider, 'stronger'),
      c('name', 'text', (r) => r.name, 'stronger'),
      c('email', 'text', (r) => r.email, 'stronger'),
      c('account', 'text', (r) => r.account, 'stronger'),
      c('environment', 'text', (r) => r.environment, 'stronger', 'unknown'),
      c('status', 'text', (r) => r.status, 'stronger', 'unknown'),
      c('created_at', 'timestamptz', (r) => r.createdAt, 'least'),
      c('last_seen_at', 'timestamptz', (r) => r.lastSeenAt, 'greatest'),
      c('autonomy', 'text', (r) => r.autonomy, 'stronger'),
      c('tags', 'jsonb', (r) => r.tags, 'jsonMerge'),
      c('attributes', 'jsonb', (r) => r.attributes, 'jsonMerge'),
      c('origin', 'text', (r) => r.origin, 'stronger'),
    ],
  },
  credential: {
    kind: 'credential', table: 'credentials', key: ['id'], ranked: true, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('identity_id', 'text', (r) => r.identityId, 'stronger'),
      c('type', 'text', (r) => r.type, 'stronger'),
      c('fingerprint', 'text', (r) => r.fingerprint, 'stronger'),
      c('created_at', 'timestamptz', (r) => r.createdAt, 'least'),
      c('last_used_at', 'timestamptz', (r) => r.lastUsedAt, 'greatest'),
      c('expires_at', 'timestamptz', (r) => r.expiresAt, 'stronger'),
      c('last_rotated_at', 'timestamptz', (r) => r.lastRotatedAt, 'greatest'),
      c('status', 'text', (r) => r.status, 'stronger', 'unknown'),
      c('attributes', 'jsonb', (r) => r.attributes, 'jsonMerge'),
      c('origin', 'text', (r) => r.origin, 'stronger'),
    ],
  },
  edge: {
    kind: 'edge', table: 'edges', key: ['from_id', 'kind', 'to_id'], ranked: false, onConflict: 'update',
    keyOf: (r) => `${r.from}\u0000${r.kind}\u0000${r.to}`,
    columns: [
      c('from_id', 'text', (r) => r.from, 'keep'),
      c('kind', 'text', (r) => r.kind, 'keep'),
      c('to_id', 'text', (r) => r.to, 'keep'),
      c('potential', 'bool', (r) => r.potential, 'or'),
      c('observed', 'bool', (r) => r.observed, 'or'),
      c('first_seen', 'timestamptz', (r) => r.firstSeen, 'least'),
      c('last_seen', 'timestamptz', (r) => r.lastSeen, 'greatest'),
      c('count', 'int', (r) => r.count, 'sum'),
      c('conditions', 'jsonb', (r) => r.conditions, 'stronger'),
      c('evidence', 'jsonb', (r) => r.evidence, 'union'),
      c('attributes', 'jsonb', (r) => r.attributes, 'jsonMerge'),
    ],
  },
  policy: {
    kind: 'policy', table: 'policies', key: ['id'], ranked: true, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('provider', 'text', (r) => r.provider, 'stronger'),
      c('name', 'text', (r) => r.name, 'stronger'),
      c('kind', 'text', (r) => r.kind, 'stronger'),
      c('document', 'jsonb', (r) => r.document, 'stronger'),
      c('attributes', 'jsonb', (r) => r.attributes, 'jsonMerge'),
      c('origin', 'text', (r) => r.origin, 'stronger'),
    ],
  },
  entitlement: {
    kind: 'entitlement', table: 'entitlements', key: ['id'], ranked: false, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('identity_id', 'text', (r) => r.identityId),
      c('effect', 'text', (r) => r.effect),
      c('actions', 'jsonb', (r) => r.actions),
      c('not_actions', 'jsonb', (r) => r.notActions),
      c('resources', 'jsonb', (r) => r.resources),
      c('not_resources', 'jsonb', (r) => r.notResources),
      c('conditions', 'jsonb', (r) => r.conditions),
      c('privilege', 'text', (r) => r.privilege),
      c('source_policy', 'text', (r) => r.sourcePolicy),
      c('via', 'text', (r) => r.via),
      c('via_id', 'text', (r) => r.viaId),
    ],
  },
  event: {
    kind: 'event', table: 'events', key: ['id'], ranked: false, onConflict: 'nothing',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id),
      c('time', 'timestamptz', (r) => r.time),
      c('provider', 'text', (r) => r.provider),
      c('service', 'text', (r) => r.service),
      c('action', 'text', (r) => r.action),
      c('outcome', 'text', (r) => r.outcome),
      c('error_code', 'text', (r) => r.errorCode),
      c('actor_id', 'text', (r) => r.actorId),
      c('chain', 'jsonb', (r) => r.chain),
      c('target', 'text', (r) => r.target),
      c('resources', 'jsonb', (r) => r.resources),
      c('source_ip', 'text', (r) => r.sourceIp),
      c('source_kind', 'text', (r) => r.sourceKind),
      c('user_agent', 'text', (r) => r.userAgent),
      c('region', 'text', (r) => r.region),
      c('account', 'text', (r) => r.account),
      c('raw_ref', 'text', (r) => r.rawRef),
      c('detail', 'jsonb', (r) => r.detail),
    ],
  },
  alert: {
    kind: 'alert', table: 'alerts', key: ['id'], ranked: false, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('time', 'timestamptz', (r) => r.time, 'least'),
      c('source', 'text', (r) => r.source),
      c('severity', 'text', (r) => r.severity),
      c('title', 'text', (r) => r.title),
      c('description', 'text', (r) => r.description),
      c('rule', 'text', (r) => r.rule),
      c('identities', 'jsonb', (r) => r.identities, 'union'),
      c('credentials', 'jsonb', (r) => r.credentials, 'union'),
      c('events', 'jsonb', (r) => r.events, 'union'),
      c('entities', 'jsonb', (r) => r.entities, 'jsonMerge'),
      c('mitre', 'jsonb', (r) => r.mitre, 'union'),
      c('confidence', 'real', (r) => r.confidence),
      c('raw_ref', 'text', (r) => r.rawRef),
      c('detail', 'jsonb', (r) => r.detail, 'jsonMerge'),
    ],
  },
  resource: {
    kind: 'resource', table: 'resources', key: ['id'], ranked: false, onConflict: 'update',
    keyOf: (r) => r.id,
    columns: [
      c('id', 'text', (r) => r.id, 'keep'),
      c('provider', 'text', (r) => r.provider),
      c('type', 'text', (r) => r.type),
      c('name', 'text', (r) => r.name),
      c('account', 'text', (r) => r.account, 'stronger'),
      c('environment', 'text', (r) => r.environment, 'stronger', 'unknown'),
      c('classification', 'text', (r) => r.classification, 'stronger'),
      c('tags', 'jsonb', (r) => r.tags, 'jsonMerge'),
      c('attributes', 'jsonb', (r) => r.attributes, 'jsonMerge'),
    ],
  },
  ownerClaim: {
    kind: 'ownerClaim', table: 'owner_claims', key: ['target', 'ref', 'ref_type', 'role', 'source'], ranked: false, onConflict: 'update',
    keyOf: (r) => [r.target, r.ref, r.refType, r.role, r.source].join('\u0000'),
    columns: [
      c('target', 'text', (r) => r.target, 'keep'),
      c('ref', 'text', (r) => r.ref, 'keep'),
      c('ref_type', 'text', (r) => r.refType, 'keep'),
      c('role', 'text', (r) => r.role, 'keep'),
      c('source', 'text', (r) => r.source, 'keep'),
      c('confidence', 'real', (r) => r.confidence, 'greatest'),
      c('evidence', 'jsonb', (r) => r.evidence, 'union'),
    ],
  },
};

const ORIGIN_RANK: Record<string, number> = { inventory: 3, derived: 2, log: 1, alert: 0 };
export const originRank = (o: unknown): number => ORIGIN_RANK[String(o)] ?? 0;
