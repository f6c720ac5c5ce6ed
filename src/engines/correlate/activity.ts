import { networkOf } from '../../lib/network.js';
import type { Db } from '../../store/index.js';
import { agentFamily } from '../baseline/profile.js';
import type { ChainResolver } from './chains.js';
import { EVENT_LITE_SQL, eventFromRow, isWrite, loadEvents, type EventLite } from './events.js';
import { jsonRows } from './rows.js';
import type { Story } from './grouping.js';

/**
 * A story's own activity: the events its alerts cite plus every event in its time span that went
 * through one of its chains (same root, same path), so that "what happened" covers the whole session
 * and not only the calls a detector flagged, and so that a shared role's other, legitimate callers
 * stay out of it.
 */
export interface StoryActivity {
  events: EventLite[];
  firstMs: number;
  lastMs: number;
  /** Resources touched: calls, writes, last time, actions. */
  touched: Map<string, { count: number; writes: number; lastMs: number; actions: Set<string> }>;
  /** Keys created during the story (CreateAccessKey responses), as credential ids. */
  createdKeys: string[];
  /** Console sign-ins by the chain's identities. */
  consoleLogins: EventLite[];
  /** It acted through temporary sessions (role sessions, console sessions). */
  sessions: boolean;
  networks: Map<string, number>;
  agents: Map<string, number>;
  failures: number;
  writes: number;
  actions: Map<string, number>;
}

export interface ActivityOptions {
  /** Events read per story (newest part of its span first). */
  cap?: number;
  asOfMs: number;
}

const HOUR = 3_600_000;

export async function storyActivity(db: Db, stories: Story[], resolver: ChainResolver, opts: ActivityOptions): Promise<Map<Story, StoryActivity>> {
  const cap = opts.cap ?? 1000;
  const lanes = await lanesOf(db, stories);
  const perStory: EventLite[][] = stories.map(() => []);
  if (lanes.length) {
    const rows = await jsonRows(db, `
      SELECT l.s, e.* FROM json_to_recordset($1::json) AS l(s int, actor text, creds jsonb, t0 timestamptz)
      CROSS JOIN LATERAL (
        ${EVENT_LITE_SQL}
        WHERE actor_id = l.actor AND time >= l.t0 AND time <= $2
          AND (l.creds IS NULL OR chain->>'credentialId' IN (SELECT jsonb_array_elements_text(l.creds)))
        ORDER BY time DESC, id LIMIT ${cap}) e`,
      [JSON.stringify(lanes.map((l) => ({ s: l.story, actor: l.actor, creds: l.credentials, t0: new Date(stories[l.story].firstMs - HOUR).toISOString() }))), new Date(opts.asOfMs)]);
    for (const r of rows) perStory[r.s].push(eventFromRow(r));
  }
  const cited = await loadEvents(db, stories.flatMap((s) => s.events));
  const all = new Map<string, EventLite>();
  for (const list of perStory) for (const e of list) all.set(e.id, e);
  for (const e of cited.values()) if (e) all.set(e.id, e);
  const chains = await resolver.resolveEvents([...all.values()]);
  const out = new Map<Story, StoryActivity>();
  stories.forEach((s, i) => {
    const signatures = new Set(s.chains.map((c) => c.join('>')));
    const own = new Map<string, EventLite>();
    for (const e of perStory[i]) {
      const c = chains.get(e.id);
      if (c && signatures.has(c.links.map((l) => l.identity).join('>'))) own.set(e.id, e);
    }
    for (const id of s.events) {
      const e = cited.get(id);
      if (e) own.set(e.id, e);
    }
    out.set(s, summarise([...own.values()].sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : 1)), s));
  });
  return out;
}

interface Lane {
  story: number;
  actor: string;
  /** Only events signed with these credentials (a role's sessions issued to the chain), or null for all of the actor's. */
  credentials: string[] | null;
}

/**
 * Where a story's events can be: each identity of its chains as an actor, narrowed for roles to the
 * sessions issued to the link before them (a CI role's thousand other sessions never leave the store),
 * and for a key's principal to calls signed with that key.
 */
async function lanesOf(db: Db, stories: Story[]): Promise<Lane[]> {
  const lanes: Lane[] = [];
  const wantSessions: { story: number; role: string; callers: string[] }[] = [];
  stories.forEach((s, i) => {
    const seen = new Set<string>();
    for (const chain of s.chains.length ? s.chains : [s.chain.map((l) => l.identity)]) {
      for (let j = 0; j < chain.length; j++) {
        const id = chain[j];
        if (seen.has(id) || LONG_LIVED_ID.test(id)) continue;
        seen.add(id);
        const next = chain[j + 1];
        const prev = [...chain.slice(0, j)].reverse().find((x) => !LONG_LIVED_ID.test(x));
        if (j > 0 && prev && id.includes(':role/')) {
          const account = /^arn:aws:iam::(\d{12}):/.exec(prev)?.[1];
          wantSessions.push({ story: i, role: id, callers: [prev, ...(account ? [`arn:aws:iam::${account}:root`] : [])] });
        } else lanes.push({ story: i, actor: id, credentials: next && LONG_LIVED_ID.test(next) ? [next] : null });
      }
    }
  });
  if (wantSessions.length) {
    const rows = await db.query<{ i: number; id: string }>(`
      SELECT w.i, c.id FROM json_to_recordset($1::json) AS w(i int, role text, callers jsonb)
      JOIN credentials c ON c.identity_id = w.role AND c.type = 'session_key'
        AND c.attributes->>'issuedTo' IN (SELECT jsonb_array_elements_text(w.callers))`,
      [JSON.stringify(wantSessions.map((w, i) => ({ i, role: w.role, callers: w.callers })))]);
    const keys = new Map<number, string[]>();
    for (const r of rows) keys.set(r.i, [...(keys.get(r.i) ?? []), r.id]);
    wantSessions.forEach((w, i) => {
      const k = keys.get(i);
      // No session keys on record (logs without the AssumeRole responses): every event of the role, sorted out by chain.
      lanes.push({ story: w.story, actor: w.role, credentials: k && k.length ? k.slice(0, 5000) : null });
    });
  }
  return lanes;
}

const LONG_LIVED_ID = /^(aws:access-key:|github:pat:|github:token:|okta:api-token:|gcp:sa-key:|gcp:api-key:|entra:credential:|k8s:sa-token:)/;

function summarise(events: EventLite[], s: Story): StoryActivity {
  const a: StoryActivity = {
    events, firstMs: events[0]?.ms ?? s.firstMs, lastMs: events[events.length - 1]?.ms ?? s.lastMs,
    touched: new Map(), createdKeys: [], consoleLogins: [], sessions: false, networks: new Map(), agents: new Map(),
    failures: 0, writes: 0, actions: new Map(),
  };
  for (const e of events) {
    const write = isWrite(e);
    if (e.outcome === 'failure') a.failures++;
    else if (write) a.writes++;
    a.actions.set(e.action, (a.actions.get(e.action) ?? 0) + 1);
    if (e.outcome !== 'failure') {
      const keys = new Set<string>();
      for (const r of [...e.resources, ...(e.target && !e.target.startsWith('arn:aws:iam::') ? [e.target] : [])]) if (r !== e.actorId && !r.startsWith('arn:aws:iam::')) keys.add(resourceKey(r));
      for (const key of keys) {
        const t = a.touched.get(key) ?? { count: 0, writes: 0, lastMs: 0, actions: new Set<string>() };
        t.count++;
        if (write) t.writes++;
        t.lastMs = Math.max(t.lastMs, e.ms);
        if (t.actions.size < 10) t.actions.add(e.action);
        a.touched.set(key, t);
      }
    }
    if (e.createdKey) a.createdKeys.push(`aws:access-key:${e.createdKey}`);
    if (e.action === 'ConsoleLogin') a.consoleLogins.push(e);
    const cred = e.chain.credentialId ?? '';
    if (cred.startsWith('aws:session-key:') || e.chain.session) a.sessions = true;
    const net = networkOf(e.sourceIp) ?? (e.sourceIp ? e.sourceKind : null);
    if (net) a.networks.set(net, (a.networks.get(net) ?? 0) + 1);
    const ag = agentFamily(e.userAgent);
    if (ag) a.agents.set(ag, (a.agents.get(ag) ?? 0) + 1);
  }
  a.createdKeys = [...new Set(a.createdKeys)];
  return a;
}

/** S3 objects count as their bucket: that is the grain data is classified and granted at. */
export function resourceKey(r: string): string {
  if (r.startsWith('arn:aws:s3:::')) {
    const slash = r.indexOf('/', 13);
    return slash === -1 ? r : r.slice(0, slash);
  }
  return r;
}

/** Control-plane calls that give someone a way back in or more rights. */
const PERSISTENCE = /^(CreateAccessKey|CreateLoginProfile|UpdateLoginProfile|CreateUser|CreateRole|AttachUserPolicy|AttachRolePolicy|AttachGroupPolicy|PutUserPolicy|PutRolePolicy|PutGroupPolicy|AddUserToGroup|UpdateAssumeRolePolicy|CreatePolicyVersion|SetDefaultPolicyVersion|CreateServiceAccountKey|SetIamPolicy|system\.api_token\.create|Add service principal credentials|Update application . Certificates and secrets management|Add member to role|create (clusterrolebinding|rolebinding|secret)|personal_access_token\.(create|request_created)|oauth_authorization\.create|Consent to application|deploy_key\.create|public_key\.create|repo\.add_member|repo\.add_outside_collaborator|org\.add_member|protected_branch\.destroy)/i;
const CODE_CHANGE = /^(UpdateFunctionCode|UpdateFunctionConfiguration|SendCommand|StartSession|CreateFunction|PutBucketPolicy|ModifyInstanceAttribute|RunInstances|workflows\.|git\.push|protected_branch\.)/i;

/**
 * What the story's own events did that an attacker does, strongest first: a way back in or more rights
 * (new keys, users, policies, consents), bulk reads of classified data, probing (denied calls in a
 * burst), commands or code pushed to running systems.
 */
export function behaviourOf(a: StoryActivity, classifiedReads: number, isMachine: (id: string) => boolean = () => false): { value: number; note: string } | null {
  const persistence = a.events.filter((e) => e.outcome !== 'failure' && PERSISTENCE.test(e.action));
  if (persistence.length) return { value: 1, note: `gave itself a way back in or more rights: ${[...new Set(persistence.map((e) => e.action))].slice(0, 3).join(', ')}` };
  if (classifiedReads >= 50) return { value: 0.8, note: `${classifiedReads} reads of classified data` };
  if (a.failures >= 5 && a.failures >= 0.3 * a.events.length) return { value: 0.6, note: `probing: ${a.failures} of ${a.events.length} calls denied` };
  const byHand = a.events.filter((e) => isMachine(e.actorId) && (e.action === 'ConsoleLogin' || agentFamily(e.userAgent) === 'browser'));
  if (byHand.length) return { value: 0.7, note: `a machine identity driven by hand: ${byHand.length} call(s) from a console or browser` };
  if (classifiedReads >= 10) return { value: 0.5, note: `${classifiedReads} reads of classified data` };
  const code = a.events.filter((e) => e.outcome !== 'failure' && CODE_CHANGE.test(e.action));
  if (code.length) return { value: 0.3, note: `changed what runs: ${[...new Set(code.map((e) => e.action))].slice(0, 3).join(', ')}` };
  return null;
}
