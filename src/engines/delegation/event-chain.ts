import type { EdgeKind, EventChain } from '../../model/index.js';
import { CopilotError } from '../../lib/errors.js';
import type { Db, Row } from '../../store/index.js';
import { iso } from './adjacency.js';
import type { Hop, TraceResult } from './types.js';

interface EventRow {
  id: string;
  time: string;
  action: string;
  actor_id: string;
  chain: EventChain;
  target: string | null;
  resources: string[];
}

const MAX_LINKS = 12;

/**
 * The actual chain behind one logged action, across providers: person -> AI assistant -> token or
 * service account -> assumed role session -> resource. Built from what the logs state: the credential
 * that signed the call and the event that issued it (role chaining, followed back), the source identity
 * and on-behalf-of a session carries, delegation lists, the holders of keys and the people agents act
 * for. `identity` is the event's actor; `upstream` holds one path from the root to it; `downstream` the
 * resources the event touched.
 */
export async function traceEvent(db: Db, eventId: string): Promise<TraceResult & { notes: string[] }> {
  const event = await loadEvent(db, eventId);
  if (!event) throw new CopilotError('E_NOT_FOUND', `no event ${eventId} in the store`);
  const notes: string[] = [];
  const hops: Hop[] = []; // built from the actor backwards, reversed at the end
  const inChain = new Set<string>([event.actor_id]);
  let current = event;
  let root = event.actor_id;

  for (let i = 0; i < MAX_LINKS; i++) {
    const issued = await issuingEvent(db, current);
    if (issued && !inChain.has(issued.actor_id)) {
      hops.push(await hopFor(db, issued.actor_id, root, 'assumed', [issued.id, current.id]));
      inChain.add(issued.actor_id);
      root = issued.actor_id;
      current = issued;
      continue;
    }
    // A long-lived key: the principal it authenticates as, and whoever else holds it (an agent).
    const cred = current.chain.credentialId;
    if (cred && !inChain.has(cred)) {
      const holders = await db.query(`SELECT from_id FROM edges WHERE kind = 'owns_credential' AND to_id = $1 AND from_id <> $2 ORDER BY observed DESC, from_id`, [cred, root]);
      const keyIsIdentity = (await db.query('SELECT 1 FROM identities WHERE id = $1', [cred])).length > 0;
      if (keyIsIdentity) {
        hops.push(await hopFor(db, cred, root, 'authenticates_as', [current.id]));
        inChain.add(cred);
        root = cred;
        if (holders.length) {
          const holder = holders[0].from_id as string;
          hops.push(await hopFor(db, holder, cred, 'owns_credential', []));
          inChain.add(holder);
          root = holder;
          if (holders.length > 1) notes.push(`${cred} is also held by ${holders.slice(1).map((h) => h.from_id).join(', ')}`);
        }
      }
    }
    break;
  }

  // The people behind the chain: an agent's principal, a session's source identity, on-behalf-of.
  // An agent that acts for several people (the copilot itself, a shared assistant): the one the event names first.
  const agentFor = await db.query(`SELECT to_id FROM edges WHERE kind = 'acts_for' AND from_id = $1 ORDER BY (to_id = $2) DESC, observed DESC, to_id LIMIT 1`, [root, event.chain.onBehalfOf ?? '']);
  if (agentFor.length && !inChain.has(agentFor[0].to_id)) {
    const h = await hopFor(db, root, agentFor[0].to_id, 'acts_for', []);
    hops.push({ ...h, from: agentFor[0].to_id, to: root, reversed: true });
    inChain.add(agentFor[0].to_id);
    root = agentFor[0].to_id;
  }
  for (const handle of [event.chain.sourceIdentity, event.chain.onBehalfOf, current.chain.sourceIdentity]) {
    if (!handle) continue;
    const person = await resolveHandle(db, handle);
    if (!person) {
      notes.push(`the session names "${handle}", which matches no identity in the store`);
      continue;
    }
    if (inChain.has(person)) continue;
    const same = await db.query(`SELECT 1 FROM identities a JOIN identities b ON lower(a.email) = lower(b.email) WHERE a.id = $1 AND b.id = $2 AND a.email IS NOT NULL`, [person, root]);
    const h = await hopFor(db, root, person, same.length ? 'same_as' : 'acts_for', [event.id]);
    hops.push({ ...h, from: person, to: root, reversed: true });
    inChain.add(person);
    root = person;
  }
  // GCP-style delegation lists: each listed principal impersonated the next, the last the actor.
  const delegation = event.chain.delegation ?? [];
  if (delegation.length && hops.length === 0) {
    let to = event.actor_id;
    for (const d of [...delegation].reverse()) {
      if (inChain.has(d)) continue;
      hops.push(await hopFor(db, d, to, 'impersonates', [event.id]));
      inChain.add(d);
      to = d;
    }
  }
  if (event.chain.invokedBy) notes.push(`made through ${event.chain.invokedBy} on the actor's behalf`);

  const downstream = [...new Set([event.target, ...(event.resources ?? [])].filter((r): r is string => Boolean(r) && r !== event.actor_id))].map((r) => ({
    hops: [{ from: event.actor_id, to: r, edge: 'can_access' as EdgeKind, reversed: false, potential: false, observed: true, firstSeen: event.time, lastSeen: event.time, count: 1, evidence: [event.id] }],
  }));
  const upstream = hops.length ? [{ hops: hops.reverse() }] : [];
  const rootRow = (await db.query('SELECT id, name, kind FROM identities WHERE id = $1', [upstream[0]?.hops[0].from ?? event.actor_id]))[0];
  return {
    identity: event.actor_id,
    upstream,
    downstream,
    roots: rootRow ? [{ id: rootRow.id, name: rootRow.name, kind: rootRow.kind, observed: true }] : [],
    blastRadius: null,
    truncated: [],
    notes,
  };
}

async function loadEvent(db: Db, id: string): Promise<EventRow | null> {
  const [r] = await db.query('SELECT id, time, action, actor_id, chain, target, resources FROM events WHERE id = $1', [id]);
  return r ? toEvent(r) : null;
}

function toEvent(r: Row): EventRow {
  return { id: r.id, time: new Date(r.time).toISOString(), action: r.action, actor_id: r.actor_id, chain: r.chain ?? {}, target: r.target, resources: r.resources ?? [] };
}

/**
 * The event that issued the session this event ran in: the credential's `issuedBy` (an AssumeRole
 * response names the session key it returned), else the latest role assumption into the same session
 * before the event.
 */
async function issuingEvent(db: Db, e: EventRow): Promise<EventRow | null> {
  const cred = e.chain.credentialId;
  if (cred) {
    const [c] = await db.query(`SELECT attributes->>'issuedBy' AS issued_by FROM credentials WHERE id = $1`, [cred]);
    if (c?.issued_by && c.issued_by !== e.id) {
      const issued = await loadEvent(db, c.issued_by);
      if (issued) return issued;
    }
  }
  if (e.chain.session && e.chain.sessionIssuer) {
    const sessionName = e.chain.session.split('/').pop();
    const [r] = await db.query(
      `SELECT id, time, action, actor_id, chain, target, resources FROM events
       WHERE action LIKE 'AssumeRole%' AND outcome <> 'failure' AND target = $1 AND time <= $2 AND id <> $4
         AND (detail->'requestParameters'->>'roleSessionName' = $3 OR detail->'responseElements'->'assumedRoleUser'->>'arn' = $5)
       ORDER BY time DESC LIMIT 1`,
      [e.chain.sessionIssuer, e.time, sessionName, e.id, e.chain.session]);
    if (r) return toEvent(r);
  }
  return null;
}

/** A hop with the stored edge's facts where there is one (potential, observed counts, evidence). */
async function hopFor(db: Db, from: string, to: string, kind: EdgeKind, evidence: string[]): Promise<Hop> {
  const [e] = await db.query('SELECT * FROM edges WHERE from_id = $1 AND kind = $2 AND to_id = $3', [from, kind, to]);
  return {
    from, to, edge: kind, reversed: false,
    potential: e?.potential ?? false,
    observed: e?.observed ?? evidence.length > 0,
    firstSeen: iso(e?.first_seen), lastSeen: iso(e?.last_seen), count: e?.count ?? evidence.length,
    evidence: [...new Set([...evidence, ...((e?.evidence as string[]) ?? [])])].slice(0, 10),
  };
}

/** A name as a log writes it (an email, a username, an id) -> the identity it means, people first. */
export async function resolveHandle(db: Db, handle: string): Promise<string | null> {
  const [r] = await db.query(
    `SELECT id FROM identities
     WHERE id = $1 OR lower(email) = lower($1) OR (kind = 'human' AND lower(name) = lower($1))
        OR (kind = 'human' AND email IS NOT NULL AND lower(split_part(email, '@', 1)) = lower($1))
     ORDER BY (id = $1) DESC, (provider = 'hr') DESC, (kind = 'human') DESC, id LIMIT 1`, [handle]);
  return r?.id ?? null;
}
