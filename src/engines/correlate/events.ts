import type { Db, Row } from '../../store/index.js';
import { jsonRows } from './rows.js';

/** The columns of an event that correlation reads: no detail, no resources unless asked. */
export interface EventLite {
  id: string;
  time: string;
  ms: number;
  provider: string;
  service: string;
  action: string;
  outcome: string;
  actorId: string;
  chain: {
    sessionIssuer?: string | null;
    session?: string | null;
    sourceIdentity?: string | null;
    onBehalfOf?: string | null;
    credentialId?: string | null;
    invokedBy?: string | null;
    delegation?: string[];
    mfa?: boolean | null;
  };
  target: string | null;
  sourceIp: string | null;
  sourceKind: string;
  userAgent: string | null;
  account: string | null;
  /** The caller's unique id on a cross-account copy of an AssumeRole (detail.principalId). */
  principalId: string | null;
  resources: string[];
  readOnly: boolean | null;
  /** The session key an AssumeRole* or GetSessionToken response returned. */
  issuedKey: string | null;
  /** The access key a CreateAccessKey response returned (a new long-lived key). */
  createdKey: string | null;
}

export const EVENT_LITE_SQL = `SELECT id, time, provider, service, action, outcome, actor_id, chain, target,
  source_ip, source_kind, user_agent, account, detail->>'principalId' AS principal_id, resources,
  detail->>'readOnly' AS read_only, detail->'responseElements'->'credentials'->>'accessKeyId' AS issued_key,
  detail->'responseElements'->'accessKey'->>'accessKeyId' AS created_key FROM events`;

/** Just what a chain needs: who, with what credential and session, doing what to what. */
export const EVENT_CHAIN_SQL = `SELECT id, time, provider, action, outcome, actor_id, chain, target FROM events`;

const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

export function eventFromRow(r: Row): EventLite {
  const time = r.time instanceof Date ? r.time : new Date(r.time);
  return {
    id: r.id,
    time: time.toISOString(),
    ms: time.getTime(),
    provider: r.provider,
    service: r.service ?? '',
    action: r.action,
    outcome: r.outcome ?? 'unknown',
    actorId: r.actor_id,
    chain: json(r.chain) ?? {},
    target: r.target ?? null,
    sourceIp: r.source_ip ?? null,
    sourceKind: r.source_kind ?? 'unknown',
    userAgent: r.user_agent ?? null,
    account: r.account ?? null,
    principalId: r.principal_id ?? null,
    resources: json(r.resources) ?? [],
    readOnly: r.read_only === 'true' ? true : r.read_only === 'false' ? false : null,
    issuedKey: r.issued_key ?? null,
    createdKey: r.created_key ?? null,
  };
}

/** Events by id, in chunks (an ANY() of tens of thousands of ids is one query per chunk, not per id). */
export async function loadEvents(db: Db, ids: Iterable<string>, cache: Map<string, EventLite | null> = new Map(), sql: string = EVENT_LITE_SQL): Promise<Map<string, EventLite | null>> {
  const want = [...new Set(ids)].filter((id) => !cache.has(id));
  for (let i = 0; i < want.length; i += 20_000) {
    const chunk = want.slice(i, i + 20_000);
    for (const r of await jsonRows(db, `${sql} WHERE id = ANY($1::text[])`, [chunk])) cache.set(r.id, eventFromRow(r));
    for (const id of chunk) if (!cache.has(id)) cache.set(id, null);
  }
  return cache;
}

/** Writes change things; reads, lists and failed calls mostly do not (CloudTrail's readOnly where stated). */
export function isWrite(e: EventLite): boolean {
  if (e.readOnly !== null) return !e.readOnly;
  return !/^(get|list|describe|head|search|query|scan|lookup|view|check|batchget|select|download|read|watch|user\.session|user\.authentication)/i.test(e.action);
}
