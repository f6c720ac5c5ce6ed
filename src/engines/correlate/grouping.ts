import { SEVERITY_RANK, type ChainLink } from '../../model/index.js';
import type { AlertLite } from './alerts.js';
import { ChainResolver, type ResolvedChain } from './chains.js';
import { EVENT_CHAIN_SQL, loadEvents, type EventLite } from './events.js';
import type { Db } from '../../store/index.js';

/**
 * A story: the alerts (and the events they cite) that one root identity and its delegation chain
 * account for, across providers, in one stretch of time. Grouping is by who is behind the activity,
 * not by when: two alerts an hour apart on unrelated identities are two stories, and a week-long
 * abuse of one chain is one.
 */
export interface Story {
  /** The person behind a human root (so one person's accounts in several systems are one story), else the root. */
  key: string;
  root: string;
  person: string | null;
  chain: ChainLink[];
  /** Every distinct chain seen in the story, as id lists (for finding the story's own activity). */
  chains: string[][];
  alerts: AlertLite[];
  events: string[];
  credentials: string[];
  firstMs: number;
  lastMs: number;
}

export interface GroupOptions {
  /** A quiet gap longer than this between a story's alerts starts a new story (default 72 h). */
  gapMs?: number;
  /** Events per story kept as evidence ids. */
  eventCap?: number;
}

export interface Anchored {
  alert: AlertLite;
  chain: ResolvedChain;
}

/**
 * Resolve the chain behind each alert: its first cited event where the store has it (the event says
 * who acted through what), else the credential or identity it names.
 */
export async function anchorAlerts(db: Db, alerts: AlertLite[], resolver = new ChainResolver(db)): Promise<{ anchored: Anchored[]; events: Map<string, EventLite | null> }> {
  // Alerts naming the same identities and credentials come from the same actor through the same
  // credential or session: one representative event per signature is traced, not one per alert.
  const signature = (a: AlertLite) => `${[...a.identities].sort().join(',')}|${[...a.credentials].sort().join(',')}`;
  const representative = new Map<string, AlertLite>();
  for (const a of alerts) {
    const k = signature(a);
    if (!representative.has(k) || (!representative.get(k)!.events[0] && a.events[0])) representative.set(k, a);
  }
  const reps = [...representative.values()];
  const events = await loadEvents(db, reps.map((a) => a.events[0]).filter(Boolean), new Map(), EVENT_CHAIN_SQL);
  const withEvent: EventLite[] = [];
  const subjects: { id: string; credential: boolean }[] = [];
  const subjectOf = new Map<string, string>();
  for (const a of reps) {
    const e = a.events[0] ? events.get(a.events[0]) : null;
    if (e) {
      withEvent.push(e);
      continue;
    }
    const s = a.credentials[0] ? { id: a.credentials[0], credential: true } : a.identities[0] ? { id: a.identities[0], credential: false } : { id: `alert:${a.id}`, credential: false };
    subjects.push(s);
    subjectOf.set(a.id, s.id);
  }
  // One after the other: the resolver's caches mark ids as being read, so two walks at once could see a half-filled answer.
  const byEvent = await resolver.resolveEvents(withEvent);
  const bySubject = await resolver.resolveSubjects(subjects);
  const chainOfRep = new Map<string, ResolvedChain>();
  for (const a of reps) {
    const viaEvent = a.events[0] ? byEvent.get(a.events[0]) : undefined;
    chainOfRep.set(signature(a), viaEvent ?? bySubject.get(subjectOf.get(a.id)!)!);
  }
  const anchored: Anchored[] = alerts.map((a) => ({ alert: a, chain: chainOfRep.get(signature(a))! }));
  return { anchored, events };
}

/**
 * Group anchored alerts into stories: same story key, no quiet gap longer than gapMs. The story's
 * chain is the longest its alerts show (ties: the most severe alert's, then the earliest).
 */
export function groupStories(anchored: Anchored[], kindOf: (id: string) => string | null, opts: GroupOptions = {}): Story[] {
  const gap = opts.gapMs ?? 72 * 3_600_000;
  const cap = opts.eventCap ?? 200;
  const byKey = new Map<string, Anchored[]>();
  for (const a of anchored) {
    const key = storyKey(a.chain, kindOf);
    const list = byKey.get(key);
    if (list) list.push(a);
    else byKey.set(key, [a]);
  }
  const stories: Story[] = [];
  for (const [key, list] of byKey) {
    list.sort((x, y) => x.alert.ms - y.alert.ms || (x.alert.id < y.alert.id ? -1 : 1));
    let current: Anchored[] = [];
    const flush = () => {
      if (current.length) stories.push(toStory(key, current, cap));
      current = [];
    };
    for (const a of list) {
      if (current.length && a.alert.ms - current[current.length - 1].alert.ms > gap) flush();
      current.push(a);
    }
    flush();
  }
  return stories;
}

/** People are grouped as people (their accounts in every system); everything else by its root. */
export function storyKey(c: ResolvedChain, kindOf: (id: string) => string | null): string {
  if (c.person && kindOf(c.root) === 'human') return c.person;
  return c.root;
}

function toStory(key: string, list: Anchored[], cap: number): Story {
  let best = list[0];
  for (const a of list) {
    const longer = a.chain.links.length > best.chain.links.length;
    const same = a.chain.links.length === best.chain.links.length;
    if (longer || (same && SEVERITY_RANK[a.alert.severity] > SEVERITY_RANK[best.alert.severity])) best = a;
  }
  const chains = new Map<string, string[]>();
  const events = new Set<string>();
  const creds = new Set<string>();
  for (const a of list) {
    const ids = a.chain.links.map((l) => l.identity);
    chains.set(ids.join('>'), ids);
    for (const e of a.alert.events) if (events.size < cap) events.add(e);
    for (const c of [...a.chain.credentials, ...a.alert.credentials]) creds.add(c);
  }
  return {
    key,
    root: best.chain.root,
    person: list.find((a) => a.chain.person)?.chain.person ?? null,
    chain: best.chain.links,
    chains: [...chains.values()],
    alerts: list.map((a) => a.alert),
    events: [...events],
    credentials: [...creds],
    firstMs: list[0].alert.ms,
    lastMs: list[list.length - 1].alert.ms,
  };
}
