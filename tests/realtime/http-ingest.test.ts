import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenVerifier, createToken } from '../../src/audit/index.js';
import { createCopilotApp, listen, startRuntime, type Listening, type ServingRuntime } from '../../src/mcp/index.js';
import { Config } from '../../src/model/index.js';
import { startRealtime, type Realtime } from '../../src/realtime/index.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';
import { ctRecord, eventId, mixedStream } from './cloudtrail.js';

const FIXTURES = new URL('../fixtures/realtime/', import.meta.url);
const T = new Date('2026-05-01T11:00:00Z');

interface Server {
  url: string;
  rt: Realtime;
  runtime: ServingRuntime;
  http: Listening;
  close(): Promise<void>;
}

async function server(db: Db, opts: Parameters<typeof startRealtime>[1] extends infer O ? Partial<O> : never = {}): Promise<Server> {
  const config = Config.parse({});
  const runtime = await startRuntime(db, config, { surface: 'test', tools: [] });
  const rt = await startRealtime(db, { config, notify: 'none', riskIntervalMs: 0, ...opts });
  const { app, close } = createCopilotApp({ runtime, verifier: new TokenVerifier(db), host: '127.0.0.1', rateLimitPerMinute: 0, routes: [rt.routes] });
  const http = await listen(app, '127.0.0.1', 0);
  return {
    url: http.url.replace(/\/mcp$/, ''), rt, runtime, http,
    async close() {
      await rt.stop();
      await close();
      await http.close();
      await runtime.close();
    },
  };
}

describeStores('POST /ingest', (open) => {
  let db: Db;
  let s: Server;
  let ingest: string;
  let reader: string;
  beforeAll(async () => {
    db = await open();
    s = await server(db);
    ingest = (await createToken(db, { principal: 'log-shipper', kind: 'service_account', scopes: ['write:ingest'], createdBy: 'test' })).token;
    reader = (await createToken(db, { principal: 'analyst', scopes: ['read:incidents', 'read:inventory'], createdBy: 'test' })).token;
  });
  afterAll(async () => {
    await s?.close();
    await db?.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}, query = '') => fetch(`${s.url}/ingest${query}`, {
    method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/x-ndjson', ...headers },
  });
  const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params))[0].n);
  const nd = (recs: Record<string, unknown>[]) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';

  it('needs a bearer token with write:ingest: 401 without one, 403 naming the scope with another', async () => {
    const none = await fetch(`${s.url}/ingest`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    const wrong = await fetch(`${s.url}/ingest`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: `Bearer ${reader}` } });
    expect(wrong.status).toBe(403);
    expect((await wrong.json()).error.message).toMatch(/write:ingest/);
  });

  it('takes NDJSON and answers once the records are committed', async () => {
    const recs = [0, 1, 2].map((i) => ctRecord({ id: eventId(`http-nd-${i}`), time: T, user: 'svc-http', action: 'ListUsers' }));
    const r = await post(nd(recs));
    expect(r.status).toBe(200);
    const b = await r.json();
    expect(b).toMatchObject({ formats: ['aws-cloudtrail'], records: 3, loaded: 3, rejected: 0, rejects: [], durable: true });
    expect(b.requestId).toMatch(/^[0-9a-f-]{13}$/);
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE actor_id = 'arn:aws:iam::111122223333:user/svc-http'`)).toBe(3);
    const [ev] = await db.query(`SELECT raw_ref FROM events WHERE id = $1`, [`aws:ct:${eventId('http-nd-1')}`]);
    expect(ev.raw_ref).toBe(`http:${b.requestId}#1`);
  });

  it('takes a JSON array well over the 100 kB the MCP endpoint allows', async () => {
    const recs = Array.from({ length: 400 }, (_, i) => ctRecord({ id: eventId(`http-big-${i}`), time: new Date(T.getTime() + i), user: 'svc-big', action: 'ListUsers' }));
    const body = JSON.stringify(recs);
    expect(body.length).toBeGreaterThan(250_000);
    const r = await post(body, { 'content-type': 'application/json' });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ records: 400, loaded: 400 });
  });

  it('splits an EventBridge stream by product: CloudTrail calls become events, the GuardDuty finding an alert', async () => {
    const r = await post(readFileSync(new URL('eventbridge-mixed.ndjson', FIXTURES)));
    expect(r.status).toBe(200);
    const b = await r.json();
    expect(b.formats.sort()).toEqual(['aws-cloudtrail', 'aws-guardduty']);
    expect(b).toMatchObject({ records: 4, loaded: 4, rejected: 0 });
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE id = ANY($1::text[])`, [[0, 1, 2].map((i) => `aws:ct:${eventId(`eb-${i}`)}`)])).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM alerts WHERE source = 'guardduty' AND id LIKE '%e5d8b2c3f4a50011aa22bb33cc44dd66%'`)).toBe(1);
  });

  it('is idempotent by event id: the same batch again adds no event and counts no hop twice', async () => {
    const body = nd(mixedStream(40, T, 'http-idem'));
    expect((await post(body)).status).toBe(200);
    const snapshot = async () => ({
      // The copilot's own audit records are mirrored as events (provider copilot): not the data's.
      events: await count(`SELECT count(*)::int AS n FROM events WHERE provider <> 'copilot'`),
      hops: await db.query(`SELECT from_id, kind, to_id, count FROM edges WHERE observed ORDER BY 1, 2, 3`),
    });
    const before = await snapshot();
    const again = await post(body);
    expect(await again.json()).toMatchObject({ records: 40, loaded: 40 });
    expect(await snapshot()).toEqual(before);
    expect(before.hops.length).toBeGreaterThan(0);
  });

  it('takes gzip (Content-Encoding) and says which records it rejected and why', async () => {
    const good = ctRecord({ id: eventId('http-gz'), time: T, user: 'svc-gz', action: 'ListUsers' });
    const bad = { ...ctRecord({ id: eventId('http-gz-bad'), time: T, user: 'svc-gz', action: 'ListUsers' }), eventTime: 'yesterday' };
    const r = await post(gzipSync(nd([good, bad])), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    const b = await r.json();
    expect(b).toMatchObject({ records: 2, loaded: 1, rejected: 1 });
    expect(b.rejects[0]).toMatchObject({ index: 1, line: 2 });
    expect(b.rejects[0].reason).toMatch(/eventTime|time/i);
  });

  it('refuses what it cannot read, saying why: unknown format, unknown source, wrong type, broken gzip', async () => {
    const unknown = await post('{"hello": "world"}\n{"hello": "again"}\n');
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toMatch(/no connector recognises this format/);
    const source = await post('{}', {}, '?source=nope');
    expect(source.status).toBe(400);
    expect((await source.json()).error).toMatch(/unknown source "nope"/);
    const csv = await post('a,b\n1,2\n', { 'content-type': 'text/csv' });
    expect(csv.status).toBe(415);
    const gz = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(400);
  });

  it('answers 202 at once with Prefer: respond-async, and commits after', async () => {
    const r = await post(nd([ctRecord({ id: eventId('http-async'), time: T, user: 'svc-async', action: 'ListUsers' })]), { prefer: 'respond-async' });
    expect(r.status).toBe(202);
    expect(await r.json()).toMatchObject({ queued: true });
    await s.rt.service.settled();
    expect(await count(`SELECT count(*)::int AS n FROM events WHERE id = $1`, [`aws:ct:${eventId('http-async')}`])).toBe(1);
  });

  it('audits every call, refusals included, without the body', async () => {
    const rows = await db.query(`SELECT principal, name, outcome, args FROM audit_log WHERE name = 'http:ingest' ORDER BY time`);
    expect(rows.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(6);
    expect(rows.filter((r) => r.outcome === 'error').length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.filter((r) => r.outcome !== 'denied').map((r) => r.principal))).toEqual(new Set(['log-shipper']));
    expect(rows.every((r) => !String(r.args).includes('svc-http'))).toBe(true);
    expect(rows.filter((r) => r.outcome !== 'denied').every((r) => String(r.args).includes('requestId'))).toBe(true);
    const denied = await db.query(`SELECT principal, outcome, error FROM audit_log WHERE name = 'http:ingest' AND outcome = 'denied'`);
    expect(denied).toEqual([{ principal: 'analyst', outcome: 'denied', error: 'missing scope write:ingest' }]);
  });

  it('GET /ingest/status reports the queue, ingest counts and memory', async () => {
    const r = await fetch(`${s.url}/ingest/status`, { headers: { authorization: `Bearer ${ingest}` } });
    expect(r.status).toBe(200);
    const st = await r.json();
    expect(st.ingest.requests).toBeGreaterThanOrEqual(8);
    expect(st.ingest.newEvents).toBeGreaterThan(400);
    expect(st.queue).toMatchObject({ items: 0, maxItems: 10_000 });
    expect(st.memory.rssMb).toBeGreaterThan(0);
  });
});

describe('POST /ingest under pressure [pglite]', () => {
  let db: Db;
  let s: Server;
  let token: string;
  beforeAll(async () => {
    const { openStore } = await import('../../src/store/index.js');
    db = await openStore({ data: ':memory:' });
    s = await server(db, { queue: { maxItems: 1, maxBytes: 1 << 20 }, engines: false, http: { maxBodyBytes: 64 * 1024 } });
    token = (await createToken(db, { principal: 'log-shipper', kind: 'service_account', scopes: ['write:ingest'], createdBy: 'test' })).token;
  });
  afterAll(async () => {
    await s?.close();
    await db?.close();
  });
  const post = (body: string, headers: Record<string, string> = {}) => fetch(`${s.url}/ingest`, {
    method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', ...headers },
  });
  const one = (i: number) => JSON.stringify(ctRecord({ id: eventId(`press-${i}`), time: T, user: 'svc-press', action: 'ListUsers' })) + '\n';

  it('a body over the limit is refused with 413, before or while it is read', async () => {
    const big = one(0).repeat(200);
    expect(big.length).toBeGreaterThan(64 * 1024);
    expect((await post(big)).status).toBe(413);
    const gz = gzipSync(big);
    const r = await fetch(`${s.url}/ingest`, { method: 'POST', body: new Uint8Array(gz), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } });
    expect(r.status).toBe(413);
    expect((await r.json()).error).toMatch(/decompressed/);
  });

  it('a full queue answers 429 with Retry-After and never buffers more; what it accepted is committed', async () => {
    // Hold the store lane: the first body waits in the commit, the second in the queue (room for one).
    let release!: () => void;
    const held = s.rt.service.lane.run(() => new Promise<void>((r) => (release = r)));
    const first = post(one(1));
    const second = post(one(2));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await post(one(3));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).error).toMatch(/queue is full/);
    expect(s.rt.service.status().queue.items).toBe(1);
    release();
    await held;
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    const rows = await db.query(`SELECT id FROM events WHERE actor_id = 'arn:aws:iam::111122223333:user/svc-press' ORDER BY id`);
    expect(rows.map((r) => r.id).sort()).toEqual([eventId('press-1'), eventId('press-2')].map((e) => `aws:ct:${e}`).sort());
    const audit = await db.query(`SELECT outcome, error FROM audit_log WHERE name = 'http:ingest' AND outcome = 'rate_limited'`);
    expect(audit).toHaveLength(1);
  });

  it('while stopping it answers 503 and still commits what it had accepted', async () => {
    let release!: () => void;
    const held = s.rt.service.lane.run(() => new Promise<void>((r) => (release = r)));
    const accepted = post(one(4));
    await new Promise((r) => setTimeout(r, 100));
    const stopping = s.rt.service.stop();
    const late = await post(one(5));
    expect(late.status).toBe(503);
    release();
    await held;
    await stopping;
    expect((await accepted).status).toBe(200);
    expect(Number((await db.query(`SELECT count(*)::int AS n FROM events WHERE id = $1`, [`aws:ct:${eventId('press-4')}`]))[0].n)).toBe(1);
  });
});
