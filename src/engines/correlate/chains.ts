import type { ChainLink, EdgeKind } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import { isWrite, loadEvents, type EventLite } from './events.js';
import { jsonRows } from './rows.js';
import type { FactBook } from './facts.js';

/**
 * The delegation chain behind events, resolved in batches: the same reading of the logs as
 * delegation's traceEvent (issuing AssumeRole events followed back through the session keys they
 * returned, long-lived keys to whoever holds them, agents to the people they act for, on-behalf-of and
 * GCP delegation lists), but one query per step for thousands of events at once instead of a dozen
 * queries per event. Events that share actor, credential and session share one walk.
 *
 * Two readings differ from traceEvent on purpose: a key with no other holder is held by the principal
 * it belongs to (so a user's own key reads `user -> key -> role`, not `key -> user -> role`), and people
 * known only as HR records stay beside the chain as `person` rather than in it, so that the root is
 * always an account that can be disabled.
 */
export interface ResolvedChain {
  root: string;
  /** Root first; each link names the edge that leads to it from the previous one. */
  links: ChainLink[];
  /** The person behind the root: an HR record (same_as, a session's source identity), when known. */
  person: string | null;
  /** Credentials the chain used, long-lived and session. */
  credentials: string[];
}

interface BackHop {
  from: string;
  to: string;
  edge: EdgeKind;
}

interface Walk {
  event: EventLite;
  current: EventLite;
  root: string;
  back: BackHop[];
  seen: Set<string>;
  creds: string[];
  person: string | null;
}

interface CredRow {
  identityId: string;
  issuedBy: string | null;
}

const MAX_LEVELS = 8;
const PROVIDER_PRINCIPAL = /^(aws:service:|azure:service:)/;

const HOP_ACTIONS = new Map<string, EdgeKind>([
  ['AssumeRole', 'assumed'], ['AssumeRoleWithSAML', 'assumed'], ['AssumeRoleWithWebIdentity', 'assumed'], ['AssumeRoot', 'assumed'],
  ['Consent to application', 'granted'],
  ['GenerateAccessToken', 'impersonates'], ['GenerateIdToken', 'impersonates'], ['SignBlob', 'impersonates'], ['SignJwt', 'impersonates'],
]);

/** Caches across calls; not for concurrent use (calls run one after the other). */
export class ChainResolver {
  private readonly creds = new Map<string, CredRow | null>();
  private readonly events = new Map<string, EventLite | null>();
  private readonly identityKinds = new Map<string, string | null>();
  private readonly origins = new Map<string, string>();
  private readonly holders = new Map<string, string[]>();
  private readonly actsFor = new Map<string, string | null>();
  private readonly handles = new Map<string, string | null>();
  private readonly hrOf = new Map<string, string | null>();
  private uniqueIds: Map<string, string> | null = null;

  /** With a FactBook, identities are read once for both the chains and the weighing that follows. */
  constructor(private readonly db: Db, private readonly facts?: FactBook) {}

  /** Chains of many events: one walk per distinct (actor, credential, session, people) combination. */
  async resolveEvents(list: EventLite[]): Promise<Map<string, ResolvedChain>> {
    const byKey = new Map<string, Walk>();
    const keyOf = new Map<string, string>();
    for (const e of list) {
      const c = e.chain;
      const key = [e.actorId, c.credentialId, c.session, c.sessionIssuer, c.sourceIdentity, c.onBehalfOf, (c.delegation ?? []).join(','), c.invokedBy].join('\u0000');
      keyOf.set(e.id, key);
      if (!byKey.has(key)) byKey.set(key, { event: e, current: e, root: e.actorId, back: [], seen: new Set([e.actorId]), creds: [], person: null });
    }
    const walks = [...byKey.values()];
    await this.followIssuers(walks);
    await this.followKeys(walks);
    await this.followPeople(walks);
    const out = new Map<string, ResolvedChain>();
    const done = new Map<string, ResolvedChain>();
    for (const [key, w] of byKey) done.set(key, finish(w));
    for (const e of list) out.set(e.id, done.get(keyOf.get(e.id)!)!);
    return out;
  }

  /** The chain of an identity or credential named by an alert that cites no event. */
  async resolveSubjects(subjects: { id: string; credential: boolean }[]): Promise<Map<string, ResolvedChain>> {
    const credIds = subjects.filter((s) => s.credential).map((s) => s.id);
    await Promise.all([this.loadCreds(credIds), this.loadHolders(credIds), this.loadKinds(subjects.map((s) => s.id))]);
    await this.loadKinds(credIds.flatMap((c) => [...(this.holders.get(c) ?? []), this.creds.get(c)?.identityId ?? '']).filter(Boolean));
    const walks = new Map<string, Walk>();
    for (const s of subjects) {
      if (walks.has(s.id)) continue;
      const fake: EventLite = { id: '', time: '', ms: 0, provider: '', service: '', action: '', outcome: '', actorId: s.id, chain: {}, target: null, sourceIp: null, sourceKind: 'unknown', userAgent: null, account: null, principalId: null, resources: [], readOnly: null, issuedKey: null, createdKey: null };
      const w: Walk = { event: fake, current: fake, root: s.id, back: [], seen: new Set([s.id]), creds: [], person: null };
      if (s.credential) {
        w.creds.push(s.id);
        // The credential's own principal, in the spelling the inventory uses when an alert rebuilt its ARN without the path.
        const owner = this.creds.get(s.id)?.identityId ?? null;
        const candidates = [...new Set([...(owner ? [owner] : []), ...(this.holders.get(s.id) ?? [])])].filter((h) => h !== s.id);
        const others = candidates.filter((h) => !(owner && sameAwsUser(h, owner)));
        const spellings = candidates.filter((h) => owner && sameAwsUser(h, owner));
        const holder = others[0] ?? spellings.find((h) => this.origins.get(h) === 'inventory') ?? owner ?? candidates[0] ?? null;
        if (holder && holder !== s.id) {
          if (this.identityKinds.get(s.id)) w.back.push({ from: holder, to: s.id, edge: 'owns_credential' });
          w.root = holder;
          w.seen.add(holder);
        }
      }
      // The walk's event is the subject as an actor: a credential is the holder acting with it.
      w.event = { ...fake, actorId: w.root };
      walks.set(s.id, w);
    }
    await this.followPeople([...walks.values()]);
    return new Map([...walks].map(([k, w]) => [k, finish(w)]));
  }

  /** Session keys back to the AssumeRole (or GetSessionToken, federation) call that issued them, level by level. */
  private async followIssuers(walks: Walk[]): Promise<void> {
    let active = walks;
    for (let level = 0; level < MAX_LEVELS && active.length; level++) {
      const credIds = active.map((w) => w.current.chain.credentialId).filter((c): c is string => !!c);
      await this.loadCreds(credIds);
      const issuerIds: string[] = [];
      for (const w of active) {
        const c = w.current.chain.credentialId;
        const by = c ? this.creds.get(c)?.issuedBy : null;
        if (by && by !== w.current.id) issuerIds.push(by);
      }
      await loadEvents(this.db, issuerIds, this.events);
      await this.fallbackIssuers(active);
      const issued = [...issuerIds.map((id) => this.events.get(id)), ...active.map((w) => this.fallback.get(w.current.id))].filter((e): e is EventLite => !!e);
      await this.callerCopies(issued);
      await this.crossAccountCallers(issued.filter((e) => !this.twins.get(e.id)));
      const next: Walk[] = [];
      for (const w of active) {
        const c = w.current.chain.credentialId;
        if (c && !w.creds.includes(c)) w.creds.push(c);
        const by = c ? this.creds.get(c)?.issuedBy : null;
        const found = (by && by !== w.current.id ? this.events.get(by) : null) ?? this.fallback.get(w.current.id) ?? null;
        if (!found) continue;
        const issued = this.twins.get(found.id) ?? found;
        if (issued.outcome === 'failure') continue;
        const caller = this.callerOf(issued);
        if (w.seen.has(caller)) continue;
        w.back.push({ from: caller, to: w.root, edge: 'assumed' });
        w.seen.add(caller);
        w.root = caller;
        w.current = issued;
        next.push(w);
      }
      active = next;
    }
  }

  private readonly fallback = new Map<string, EventLite | null>();

  /**
   * Sessions whose key the store does not know (the AssumeRole response was not logged with the key):
   * the latest successful assumption of the same role with the same session name before the event.
   */
  private async fallbackIssuers(walks: Walk[]): Promise<void> {
    const want = walks.filter((w) => {
      const c = w.current.chain;
      if (!c.session || !c.sessionIssuer || this.fallback.has(w.current.id)) return false;
      const known = c.credentialId ? this.creds.get(c.credentialId) : null;
      return !known?.issuedBy;
    });
    if (!want.length) return;
    const rows = await this.db.query<{ eid: string; issued: string }>(`
      SELECT w.eid, x.id AS issued FROM json_to_recordset($1::json) AS w(eid text, issuer text, name text, session text, t timestamptz)
      CROSS JOIN LATERAL (
        SELECT id FROM events
        WHERE action LIKE 'AssumeRole%' AND outcome <> 'failure' AND target = w.issuer AND time <= w.t AND id <> w.eid
          AND (detail->'requestParameters'->>'roleSessionName' = w.name OR detail->'responseElements'->'assumedRoleUser'->>'arn' = w.session)
        ORDER BY time DESC LIMIT 1) x`,
      [JSON.stringify(want.map((w) => ({ eid: w.current.id, issuer: w.current.chain.sessionIssuer, name: w.current.chain.session!.split('/').pop(), session: w.current.chain.session, t: w.current.time })))]);
    await loadEvents(this.db, rows.map((r) => r.issued), this.events);
    for (const w of want) this.fallback.set(w.current.id, null);
    for (const r of rows) this.fallback.set(r.eid, this.events.get(r.issued) ?? null);
  }

  private readonly twins = new Map<string, EventLite | null>();

  /**
   * A cross-account AssumeRole is logged twice: in the caller's account (with the caller and the key
   * it signed with) and in the role's account (naming only the caller's account). When a session key
   * points at the role account's copy, the caller's copy (same time, same returned key) carries on.
   */
  private async callerCopies(issued: EventLite[]): Promise<void> {
    const want = issued.filter((e) => e.actorId.endsWith(':root') && !e.chain.credentialId && e.issuedKey && !this.twins.has(e.id));
    if (!want.length) return;
    for (const e of want) this.twins.set(e.id, null);
    const rows = await this.db.query<{ eid: string; twin: string }>(`
      SELECT w.eid, x.id AS twin FROM json_to_recordset($1::json) AS w(eid text, t timestamptz, k text)
      CROSS JOIN LATERAL (
        SELECT id FROM events WHERE time = w.t AND id <> w.eid AND action LIKE 'AssumeRole%'
          AND detail->'responseElements'->'credentials'->>'accessKeyId' = w.k AND chain->>'credentialId' IS NOT NULL
        ORDER BY id LIMIT 1) x`, [JSON.stringify(want.map((e) => ({ eid: e.id, t: e.time, k: e.issuedKey })))]);
    await loadEvents(this.db, rows.map((r) => r.twin), this.events);
    for (const r of rows) this.twins.set(r.eid, this.events.get(r.twin) ?? null);
  }

  /**
   * The role account's copy of a cross-account AssumeRole names only the caller's account root; the
   * caller's unique id (AIDA..., AROA...) in detail.principalId names the user or role when the IAM
   * inventory knows it.
   */
  private async crossAccountCallers(issuers: EventLite[]): Promise<void> {
    this.uniqueIds ??= new Map();
    const want = [...new Set(issuers.filter((e) => e.actorId.endsWith(':root') && e.principalId).map((e) => e.principalId!.split(':')[0]))].filter((u) => !this.uniqueIds!.has(u));
    if (!want.length) return;
    for (const u of want) this.uniqueIds.set(u, '');
    const rows = await this.db.query(`SELECT id, coalesce(attributes->>'userId', attributes->>'roleId') AS uid FROM identities
      WHERE provider = 'aws' AND coalesce(attributes->>'userId', attributes->>'roleId') = ANY($1::text[])`, [want]);
    for (const r of rows) if (r.uid) this.uniqueIds.set(r.uid, r.id);
  }

  private callerOf(e: EventLite): string {
    if (e.actorId.endsWith(':root') && e.principalId && this.uniqueIds) {
      const known = this.uniqueIds.get(e.principalId.split(':')[0]);
      if (known) return known;
    }
    return e.actorId;
  }

  /** A long-lived key (an identity of its own): the principal it authenticates as, and whoever holds it. */
  private async followKeys(walks: Walk[]): Promise<void> {
    const keys = walks.map((w) => w.current.chain.credentialId).filter((c): c is string => !!c);
    await Promise.all([this.loadKinds(keys), this.loadHolders(keys), this.loadCreds(keys)]);
    for (const w of walks) {
      const key = w.current.chain.credentialId;
      if (!key || w.seen.has(key) || !this.identityKinds.get(key)) continue;
      w.back.push({ from: key, to: w.root, edge: 'authenticates_as' });
      w.seen.add(key);
      const principal = w.root;
      w.root = key;
      // Another holder (an agent given the key) is who used it; else the principal holds its own key.
      const owner = this.creds.get(key)?.identityId ?? null;
      const holder = (this.holders.get(key) ?? []).find((h) => h !== principal && h !== key && !sameAwsUser(h, principal))
        ?? (owner && !sameAwsUser(owner, principal) ? owner : principal);
      if (holder && holder !== key) {
        w.back.push({ from: holder, to: key, edge: 'owns_credential' });
        w.seen.add(holder);
        w.root = holder;
      }
    }
  }

  /** Agents to the accounts they act for, on-behalf-of, GCP delegation lists, pods; HR records as `person`. */
  private async followPeople(walks: Walk[]): Promise<void> {
    await this.loadKinds(walks.map((w) => w.root));
    await this.loadActsFor(walks.map((w) => w.root));
    for (const w of walks) {
      const p = this.actsFor.get(w.root);
      if (!p || w.seen.has(p)) continue;
      if (p.startsWith('hr:')) w.person = p;
      else {
        w.back.push({ from: p, to: w.root, edge: 'acts_for' });
        w.seen.add(p);
        w.root = p;
      }
    }
    const handles = new Set<string>();
    for (const w of walks) for (const h of [w.event.chain.onBehalfOf, w.event.chain.sourceIdentity, w.current.chain.sourceIdentity]) if (h) handles.add(h);
    await this.resolveHandles([...handles]);
    for (const w of walks) {
      const obo = w.event.chain.onBehalfOf ? this.handles.get(w.event.chain.onBehalfOf) : null;
      // An administrative change made to a user is not done on that user's behalf, whatever the log infers.
      const objectOfChange = obo !== null && obo === w.event.target && isWrite(w.event) && !/^(user\.authentication|user\.session|app\.oauth2)/.test(w.event.action);
      if (obo && !w.seen.has(obo) && !objectOfChange) {
        if (obo.startsWith('hr:')) w.person ??= obo;
        else {
          w.back.push({ from: obo, to: w.root, edge: 'acts_for' });
          w.seen.add(obo);
          w.root = obo;
        }
      }
      for (const h of [w.event.chain.sourceIdentity, w.current.chain.sourceIdentity]) {
        const p = h ? this.handles.get(h) : null;
        if (p && !w.seen.has(p)) w.person ??= p;
      }
      const delegation = w.event.chain.delegation ?? [];
      if (delegation.length && w.back.length === 0) {
        let to = w.root;
        for (const d of [...delegation].reverse()) {
          if (w.seen.has(d)) continue;
          w.back.push({ from: d, to, edge: 'impersonates' });
          w.seen.add(d);
          to = d;
          w.root = d;
        }
      }
      const pod = w.event.chain.invokedBy;
      if (pod && (pod.startsWith('k8s:pod:') || pod.startsWith('k8s:workload:')) && w.back.length === 0 && !w.seen.has(pod)) {
        w.back.push({ from: pod, to: w.root, edge: 'runs_as' });
        w.seen.add(pod);
        w.root = pod;
      }
    }
    await this.loadHr(walks.filter((w) => !w.person).map((w) => w.root));
    for (const w of walks) if (!w.person) w.person = this.hrOf.get(w.root) ?? (w.root.startsWith('hr:') ? w.root : null);
  }

  private async loadCreds(ids: string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.creds.has(id));
    if (!want.length) return;
    for (const r of await jsonRows(this.db, `SELECT id, identity_id, attributes->>'issuedBy' AS issued_by FROM credentials WHERE id = ANY($1::text[])`, [want])) {
      this.creds.set(r.id, { identityId: r.identity_id, issuedBy: r.issued_by ?? null });
    }
    for (const id of want) if (!this.creds.has(id)) this.creds.set(id, null);
  }

  private async loadKinds(ids: string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.identityKinds.has(id));
    if (!want.length) return;
    if (this.facts) {
      await this.facts.load(want);
      for (const id of want) {
        const f = this.facts.get(id);
        this.identityKinds.set(id, f?.kind ?? null);
        if (f) this.origins.set(id, f.origin);
      }
      return;
    }
    for (const r of await jsonRows(this.db, 'SELECT id, kind, origin FROM identities WHERE id = ANY($1::text[])', [want])) {
      this.identityKinds.set(r.id, r.kind);
      this.origins.set(r.id, r.origin);
    }
    for (const id of want) if (!this.identityKinds.has(id)) this.identityKinds.set(id, null);
  }

  private async loadHolders(ids: string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.holders.has(id));
    if (!want.length) return;
    for (const id of want) this.holders.set(id, []);
    for (const r of await jsonRows(this.db, `SELECT from_id, to_id FROM edges WHERE kind = 'owns_credential' AND to_id = ANY($1::text[]) ORDER BY to_id, observed DESC, count DESC, from_id`, [want])) {
      this.holders.get(r.to_id)!.push(r.from_id);
    }
  }

  private async loadActsFor(ids: string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.actsFor.has(id));
    if (!want.length) return;
    for (const id of want) this.actsFor.set(id, null);
    // An agent's person: the acts_for edge it states (agent -> person), strongest first.
    for (const r of await jsonRows(this.db, `SELECT DISTINCT ON (from_id) from_id, to_id FROM edges WHERE kind = 'acts_for' AND from_id = ANY($1::text[])
      ORDER BY from_id, (to_id LIKE 'hr:%') ASC, observed DESC, count DESC, to_id`, [want])) {
      const kind = this.identityKinds.get(r.from_id);
      // Agents act for people; an app's acts_for edges are the people who used it, not who stands behind it.
      if (kind !== 'ai_agent' && kind !== 'bot') continue;
      this.actsFor.set(r.from_id, r.to_id);
    }
  }

  /** A name as a log writes it (an email, a username, an id) -> the identity it means, HR records first. */
  private async resolveHandles(handles: string[]): Promise<void> {
    const want = handles.filter((h) => !this.handles.has(h));
    if (!want.length) return;
    for (const h of want) this.handles.set(h, null);
    const rows = await this.db.query(`
      SELECT h.handle, x.id FROM unnest($1::text[]) AS h(handle)
      CROSS JOIN LATERAL (
        SELECT id FROM identities
        WHERE id = h.handle OR lower(email) = lower(h.handle) OR (kind = 'human' AND lower(name) = lower(h.handle))
        ORDER BY (id = h.handle) DESC, (provider = 'hr') DESC, (kind = 'human') DESC, id LIMIT 1) x`, [want]);
    for (const r of rows) this.handles.set(r.handle, r.id);
  }

  private async loadHr(ids: string[]): Promise<void> {
    const want = [...new Set(ids)].filter((id) => !this.hrOf.has(id) && !id.startsWith('hr:'));
    if (!want.length) return;
    for (const id of want) this.hrOf.set(id, null);
    const rows = await jsonRows(this.db, `
      SELECT from_id AS a, to_id AS b FROM edges WHERE kind = 'same_as' AND from_id = ANY($1::text[]) AND to_id LIKE 'hr:employee:%'
      UNION ALL
      SELECT to_id AS a, from_id AS b FROM edges WHERE kind = 'same_as' AND to_id = ANY($1::text[]) AND from_id LIKE 'hr:employee:%'`, [want]);
    for (const r of rows) if (!this.hrOf.get(r.a)) this.hrOf.set(r.a, r.b);
  }
}

/** Backward hops to links from the root, each node once (a user's own key reads user -> key, not user -> key -> user). */
function finish(w: Walk): ResolvedChain {
  const hops = [...w.back].reverse();
  const links: ChainLink[] = [{ identity: w.root, edge: null }];
  const inLinks = new Set([w.root]);
  for (const h of hops) {
    if (inLinks.has(h.to)) continue;
    links.push({ identity: h.to, edge: h.edge });
    inLinks.add(h.to);
  }
  if (!inLinks.has(w.event.actorId) && w.event.actorId) links.push({ identity: w.event.actorId, edge: null });
  // An event that is itself a hop (a role assumed, an account impersonated) extends the chain to its target.
  const e = w.event;
  const hop = e.target && e.outcome !== 'failure' && !inLinks.has(e.target) ? HOP_ACTIONS.get(e.action) : undefined;
  if (hop) links.push({ identity: e.target!, edge: hop });
  // The provider's own principal (EC2 delivering an instance role's credentials) is not where a story starts: the role is.
  while (links.length > 1 && PROVIDER_PRINCIPAL.test(links[0].identity)) links.shift();
  links[0] = { identity: links[0].identity, edge: null };
  return { root: links[0].identity, links, person: w.person, credentials: w.creds };
}

/**
 * Two spellings of one IAM user: alerts and some logs name a user without its path
 * (`user/ci-deployer` for `user/ci/ci-deployer`), so a rebuilt ARN must not pass for another holder.
 */
export function sameAwsUser(a: string, b: string): boolean {
  const m = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(a);
  const n = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(b);
  return Boolean(m && n && m[1] === n[1] && m[2] === n[2]);
}

/** Canonical chain ids, root first (what ground truth and the scorer compare). */
export function chainIds(c: { links: ChainLink[] }): string[] {
  return c.links.map((l) => l.identity);
}
