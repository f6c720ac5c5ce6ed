import { networkOf } from '../../lib/network.js';
import type { Event } from '../../model/index.js';
import type { Db, Row } from '../../store/index.js';

/**
 * An event as rules and baselines see it: the canonical event plus what the store knows about the
 * identities it names (the actor's kind, name, account and environment; the target's; the holder of
 * the credential that signed it). Rule paths address these fields by name (docs/engines.md).
 */
export interface EventView {
  id: string;
  time: string;
  /** Epoch milliseconds of `time`: windows and hour buckets compare numbers, not strings. */
  ms: number;
  provider: string;
  service: string;
  action: string;
  outcome: string;
  errorCode: string | null;
  actorId: string;
  chain: Record<string, unknown>;
  target: string | null;
  resources: string[];
  sourceIp: string | null;
  sourceKind: string;
  userAgent: string | null;
  region: string | null;
  account: string | null;
  detail: Record<string, unknown>;
  actor: IdentityFacts;
  targetIdentity: IdentityFacts;
  /** The credential that signed the call: who holds it, and who it was issued to (a session's assumer) and that one's kind. */
  credential: { id: string | null; holder: string | null; issuedTo: string | null; issuedToKind: string | null };
  /** The /24 or /48 of sourceIp (lib/network networkOf), null for service names and text. */
  network: string | null;
  /** The last segment of chain.session (an assumed-role session name: often an instance id or a username). */
  sessionName: string | null;
}

export interface IdentityFacts {
  kind: string | null;
  name: string | null;
  account: string | null;
  environment: string | null;
  provider: string | null;
}

const NO_FACTS: IdentityFacts = { kind: null, name: null, account: null, environment: null, provider: null };

/**
 * Event columns only: the facts about the identities an event names are filled in from a cache
 * (FactsCache), since a page of events names few distinct identities and PGlite pays per value
 * returned. JSON columns come back as text and are parsed here.
 */
export const EVENT_SQL = `
  SELECT e.id, e.time, e.provider, e.service, e.action, e.outcome, e.error_code, e.actor_id, e.chain::text AS chain, e.target,
         e.resources::text AS resources, e.source_ip, e.source_kind, e.user_agent, e.region, e.account, e.detail::text AS detail
  FROM events e`;

const networks = new Map<string, string | null>();
/** Addresses repeat endlessly in logs: parse each once. */
export function cachedNetwork(ip: string | null): string | null {
  if (!ip) return null;
  let n = networks.get(ip);
  if (n === undefined) {
    n = networkOf(ip);
    if (networks.size > 50_000) networks.clear();
    networks.set(ip, n);
  }
  return n;
}

/** The account field of an ARN (`arn:aws:iam::111122223333:role/x` -> 111122223333). */
export function arnAccount(id: string | null): string | null {
  if (!id || !id.startsWith('arn:')) return null;
  const parts = id.split(':', 5);
  return parts.length === 5 && /^\d{12}$/.test(parts[4]) ? parts[4] : null;
}

function sessionNameOf(session: unknown): string | null {
  if (typeof session !== 'string' || !session) return null;
  const slash = session.lastIndexOf('/');
  return slash >= 0 && slash < session.length - 1 ? session.slice(slash + 1) : null;
}

function facts(kind: unknown, name: unknown, account: unknown, env: unknown, provider: unknown, id: string | null): IdentityFacts {
  return {
    kind: (kind as string) ?? null,
    name: (name as string) ?? null,
    account: (account as string) ?? arnAccount(id),
    environment: (env as string) ?? null,
    provider: (provider as string) ?? null,
  };
}

const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);

/** A row of EVENT_SQL as a view; identity facts are empty until FactsCache.hydrate fills them. */
export function viewFromRow(r: Row): EventView {
  const time = r.time instanceof Date ? r.time : new Date(r.time);
  const chain = (json(r.chain) ?? {}) as Record<string, unknown>;
  return {
    id: r.id,
    time: time.toISOString(),
    ms: time.getTime(),
    provider: r.provider,
    service: r.service ?? '',
    action: r.action,
    outcome: r.outcome,
    errorCode: r.error_code ?? null,
    actorId: r.actor_id,
    chain,
    target: r.target ?? null,
    resources: json(r.resources) ?? [],
    sourceIp: r.source_ip ?? null,
    sourceKind: r.source_kind ?? 'unknown',
    userAgent: r.user_agent ?? null,
    region: r.region ?? null,
    account: r.account ?? null,
    detail: json(r.detail) ?? {},
    actor: facts(null, null, null, null, null, r.actor_id),
    targetIdentity: r.target ? facts(null, null, null, null, null, r.target) : NO_FACTS,
    credential: { id: (chain.credentialId as string) ?? null, holder: null, issuedTo: null, issuedToKind: null },
    network: cachedNetwork(r.source_ip ?? null),
    sessionName: sessionNameOf(chain.session),
  };
}

/**
 * What the store knows about the identities and credentials events name, fetched once per id for a
 * whole run: kind, name, account, environment of actors and targets; holder and issuer of credentials.
 */
export class FactsCache {
  private readonly identities = new Map<string, IdentityFacts | null>();
  private readonly credentials = new Map<string, { holder: string | null; issuedTo: string | null } | null>();
  private uniqueIds: Map<string, string> | null = null;

  async hydrate(db: Db, views: EventView[]): Promise<void> {
    const creds = new Set<string>();
    for (const v of views) if (v.credential.id && !this.credentials.has(v.credential.id)) creds.add(v.credential.id);
    if (this.credentials.size + creds.size > 500_000) this.credentials.clear();
    if (creds.size) {
      const rows = await db.query(`SELECT id, identity_id, attributes->>'issuedTo' AS issued_to, attributes->>'issuedBy' AS issued_by FROM credentials WHERE id = ANY($1::text[])`, [[...creds]]);
      const viaAccount: { id: string; event: string }[] = [];
      for (const r of rows) {
        this.credentials.set(r.id, { holder: r.identity_id ?? null, issuedTo: r.issued_to ?? null });
        if (r.issued_to?.endsWith(':root') && r.issued_by) viaAccount.push({ id: r.id, event: r.issued_by });
      }
      for (const id of creds) if (!this.credentials.has(id)) this.credentials.set(id, null);
      if (viaAccount.length) await this.resolveCrossAccount(db, viaAccount);
    }
    const ids = new Set<string>();
    for (const v of views) {
      if (!this.identities.has(v.actorId)) ids.add(v.actorId);
      if (v.target && !this.identities.has(v.target)) ids.add(v.target);
      const issuedTo = v.credential.id ? this.credentials.get(v.credential.id)?.issuedTo : null;
      if (issuedTo && !this.identities.has(issuedTo)) ids.add(issuedTo);
    }
    if (this.identities.size + ids.size > 500_000) this.identities.clear();
    if (ids.size) {
      const rows = await db.query('SELECT id, kind, name, account, environment, provider FROM identities WHERE id = ANY($1::text[])', [[...ids]]);
      for (const r of rows) this.identities.set(r.id, facts(r.kind, r.name, r.account, r.environment, r.provider, r.id));
      for (const id of ids) if (!this.identities.has(id)) this.identities.set(id, null);
    }
    for (const v of views) {
      const a = this.identities.get(v.actorId);
      if (a) v.actor = a;
      if (v.target) {
        const t = this.identities.get(v.target);
        if (t) v.targetIdentity = t;
      }
      if (v.credential.id) {
        const c = this.credentials.get(v.credential.id);
        if (c) v.credential = { id: v.credential.id, holder: c.holder, issuedTo: c.issuedTo, issuedToKind: c.issuedTo ? this.identities.get(c.issuedTo)?.kind ?? null : null };
      }
    }
  }

  /**
   * A session issued by a cross-account AssumeRole whose stored copy is the role account's: that copy
   * names only the caller's account, but keeps the caller's unique id (AIDA..., AROA...:session) in
   * detail.principalId, which the IAM inventory knows (attributes userId / roleId).
   */
  private async resolveCrossAccount(db: Db, creds: { id: string; event: string }[]): Promise<void> {
    if (!this.uniqueIds) {
      this.uniqueIds = new Map();
      const rows = await db.query(`SELECT id, coalesce(attributes->>'userId', attributes->>'roleId') AS uid FROM identities
        WHERE provider = 'aws' AND (attributes ? 'userId' OR attributes ? 'roleId')`);
      for (const r of rows) if (r.uid) this.uniqueIds.set(r.uid, r.id);
    }
    const events = await db.query(`SELECT id, detail->>'principalId' AS pid FROM events WHERE id = ANY($1::text[])`, [creds.map((c) => c.event)]);
    const pid = new Map(events.map((e) => [e.id, e.pid as string | null]));
    for (const c of creds) {
      const p = pid.get(c.event);
      const caller = p ? this.uniqueIds.get(p.split(':')[0]) : undefined;
      const known = this.credentials.get(c.id);
      if (caller && known) known.issuedTo = caller;
    }
  }
}

/** What a view needs to know of an identity (an Identity record, or less). */
export type IdentityLike = Partial<Record<'kind' | 'name' | 'account' | 'environment' | 'provider', string | null>>;

/**
 * The same view from canonical records, without a store: what the Panther conformance test and unit
 * tests use. Identities are the ones the connector emitted alongside the event.
 */
export function viewFromEvent(e: Event, identities: ReadonlyMap<string, IdentityLike>): EventView {
  const a = identities.get(e.actorId);
  const t = e.target ? identities.get(e.target) : undefined;
  const chain = e.chain as unknown as Record<string, unknown>;
  return {
    id: e.id,
    time: e.time,
    ms: Date.parse(e.time),
    provider: e.provider,
    service: e.service,
    action: e.action,
    outcome: e.outcome,
    errorCode: e.errorCode,
    actorId: e.actorId,
    chain,
    target: e.target,
    resources: e.resources,
    sourceIp: e.sourceIp,
    sourceKind: e.sourceKind,
    userAgent: e.userAgent,
    region: e.region,
    account: e.account,
    detail: e.detail,
    actor: facts(a?.kind, a?.name, a?.account, a?.environment, a?.provider, e.actorId),
    targetIdentity: e.target ? facts(t?.kind, t?.name, t?.account, t?.environment, t?.provider, e.target) : NO_FACTS,
    credential: { id: e.chain.credentialId, holder: null, issuedTo: null, issuedToKind: null },
    network: cachedNetwork(e.sourceIp),
    sessionName: sessionNameOf(e.chain.session),
  };
}
