import { afterAll, beforeAll, expect, it } from 'vitest';
import { rec } from '../../src/connectors/contract.js';
import { deriveAfterIngest } from '../../src/engines/derive.js';
import { toMermaid, trace, traceEvent } from '../../src/engines/delegation/index.js';
import { fingerprint } from '../../src/lib/secrets.js';
import type { Db } from '../../src/store/index.js';
import { seed } from '../helpers/seed.js';
import { describeStores } from '../helpers/stores.js';

const PERSON = 'hr:employee:E1';
const AGENT = 'agent:claude-desktop:alice';
const KEY = 'aws:access-key:AKIAEXAMPLE00000001';
const USER = 'arn:aws:iam::111111111111:user/ai-bot';
const ROLE = 'arn:aws:iam::111111111111:role/ci-deploy';
const ADMIN = 'arn:aws:iam::111111111111:role/admin';
const BUCKET = 'arn:aws:s3:::customer-data';
const SESSION_KEY = 'aws:session-key:ASIAEXAMPLE0000001';

const records = [
  rec.identity({ id: PERSON, kind: 'human', provider: 'hr', name: 'Alice Martin', email: 'alice@example.com', status: 'active' }),
  rec.identity({ id: AGENT, kind: 'ai_agent', provider: 'agent', name: 'Claude Desktop (alice)', autonomy: 'partial' }),
  rec.identity({ id: USER, kind: 'service_account', provider: 'aws', name: 'ai-bot', account: '111111111111' }),
  rec.identity({ id: KEY, kind: 'api_key', provider: 'aws', name: 'AKIAEXAMPLE00000001' }),
  rec.identity({ id: ROLE, kind: 'role', provider: 'aws', name: 'ci-deploy', account: '111111111111' }),
  rec.identity({ id: ADMIN, kind: 'role', provider: 'aws', name: 'admin', account: '111111111111' }),
  rec.credential({ id: KEY, identityId: USER, type: 'access_key', fingerprint: fingerprint(KEY), status: 'active' }),
  rec.credential({ id: SESSION_KEY, identityId: ROLE, type: 'session_key', fingerprint: fingerprint(SESSION_KEY), attributes: { issuedBy: 'aws:ct:e0' }, origin: 'log' }),
  rec.edge({ from: AGENT, to: PERSON, kind: 'acts_for' }),
  rec.edge({ from: AGENT, to: KEY, kind: 'owns_credential' }),
  rec.edge({ from: USER, to: KEY, kind: 'owns_credential' }),
  rec.edge({ from: USER, to: ROLE, kind: 'can_assume', evidence: ['trust:' + ROLE] }),
  rec.edge({ from: ROLE, to: ADMIN, kind: 'can_assume' }),
  rec.edge({ from: ADMIN, to: ROLE, kind: 'can_assume' }), // a cycle
  rec.edge({ from: ROLE, to: BUCKET, kind: 'can_access' }),
  rec.resource({ id: BUCKET, provider: 'aws', type: 's3:bucket', name: 'customer-data', account: '111111111111', classification: 'restricted' }),
  rec.entitlement({ id: 'ent:1', identityId: ADMIN, effect: 'Allow', actions: ['*'], resources: ['*'], privilege: 'admin', sourcePolicy: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
  rec.event({ id: 'aws:ct:e0', time: '2026-11-10T02:00:00Z', provider: 'aws', service: 'sts.amazonaws.com', action: 'AssumeRole', outcome: 'success', actorId: USER, target: ROLE, chain: { credentialId: KEY } }),
  rec.observation({ eventId: 'aws:ct:e0', from: USER, to: ROLE, kind: 'assumed', time: '2026-11-10T02:00:00Z' }),
  rec.event({ id: 'aws:ct:e1', time: '2026-11-10T02:01:00Z', provider: 'aws', service: 's3.amazonaws.com', action: 'GetObject', outcome: 'success', actorId: ROLE, target: BUCKET, chain: { sessionIssuer: ROLE, session: 'arn:aws:sts::111111111111:assumed-role/ci-deploy/s1', credentialId: SESSION_KEY, sourceIdentity: 'alice@example.com' } }),
];

describeStores('delegation', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    await seed(db, records);
    await deriveAfterIngest(db);
  });
  afterAll(async () => db?.close());

  it('traces upstream back to the person at the root, safely through a cycle', async () => {
    const t = await trace(db, ROLE, { direction: 'up' });
    expect(t.roots[0]).toMatchObject({ id: PERSON, kind: 'human' });
    const toPerson = t.upstream.find((p) => p.hops[0].from === PERSON)!;
    expect(toPerson.hops.map((h) => [h.from, h.edge, h.to])).toEqual([
      [PERSON, 'acts_for', AGENT],
      [AGENT, 'owns_credential', KEY],
      [KEY, 'authenticates_as', USER],
      [USER, 'assumed', ROLE],
    ]);
    expect(toPerson.hops[0].reversed).toBe(true);
    // The observed hop wins over the potential one between the same two identities.
    expect(toPerson.hops[3]).toMatchObject({ observed: true, count: 1, evidence: ['aws:ct:e0'] });
    // ADMIN can assume ROLE and ROLE can assume ADMIN: visited once, no endless loop.
    expect(t.upstream.some((p) => p.hops[0].from === ADMIN)).toBe(true);
  });

  it('summarises the blast radius downstream by privilege and sensitivity', async () => {
    const t = await trace(db, USER, { direction: 'down', crownJewels: ['arn:aws:s3:::customer-*'] });
    const reached = new Set(t.downstream.flatMap((p) => p.hops.map((h) => h.to)));
    expect(reached).toEqual(new Set([KEY, ROLE, ADMIN, BUCKET]));
    expect(t.blastRadius).toMatchObject({ byPrivilege: expect.objectContaining({ admin: 1 }), crownJewels: [BUCKET] });
    expect(t.blastRadius!.byClassification.restricted).toBe(1);
    expect(toMermaid(t)).toMatch(/flowchart LR[\s\S]*-->\|assumed x1\|/);
  });

  it('respects depth and observed-only bounds', async () => {
    const shallow = await trace(db, ROLE, { direction: 'up', depth: 1 });
    expect(shallow.upstream.every((p) => p.hops.length === 1)).toBe(true);
    expect(shallow.truncated.join()).toMatch(/depth limit 1/);
    const observed = await trace(db, ROLE, { direction: 'up', observedOnly: true });
    expect(observed.upstream.map((p) => p.hops.map((h) => h.from))).toEqual([[USER]]);
  });

  it('reconstructs the real chain behind one event: person -> agent -> key -> user -> role session -> bucket', async () => {
    const t = await traceEvent(db, 'aws:ct:e1');
    expect(t.identity).toBe(ROLE);
    expect(t.upstream).toHaveLength(1);
    expect(t.upstream[0].hops.map((h) => `${h.from} -${h.edge}-> ${h.to}`)).toEqual([
      `${PERSON} -acts_for-> ${AGENT}`,
      `${AGENT} -owns_credential-> ${KEY}`,
      `${KEY} -authenticates_as-> ${USER}`,
      `${USER} -assumed-> ${ROLE}`,
    ]);
    expect(t.upstream[0].hops[3].evidence).toContain('aws:ct:e0');
    expect(t.downstream[0].hops[0]).toMatchObject({ from: ROLE, to: BUCKET, observed: true, evidence: ['aws:ct:e1'] });
    expect(t.roots[0].id).toBe(PERSON);
  });
});

describeStores('delegation on the in-memory graph index', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    await seed(db, records);
    await deriveAfterIngest(db);
  });
  afterAll(async () => db?.close());

  it('gives the same paths as SQL, with hop details hydrated from the store', async () => {
    const { GraphIndex } = await import('../../src/engines/delegation/index.js');
    const g = await GraphIndex.build(db, 3); // a tiny page size exercises the paging
    expect(g.edges).toBe((await db.query('SELECT count(*)::int AS n FROM edges'))[0].n);
    for (const dir of ['up', 'down'] as const) {
      const viaSql = await trace(db, ROLE, { direction: dir });
      const viaGraph = await trace(db, ROLE, { direction: dir }, g);
      expect(viaGraph.upstream).toEqual(viaSql.upstream);
      expect(viaGraph.downstream).toEqual(viaSql.downstream);
    }
    expect(new Set(g.closure(USER, 'down').reached)).toEqual(new Set([KEY, ROLE, ADMIN, BUCKET]));
    expect(g.closure(ROLE, 'up').reached).toContain(PERSON);
  });
});
