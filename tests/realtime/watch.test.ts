import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import fc from 'fast-check';
import { Watcher, type WatchEvent, type WatchOptions } from '../../src/realtime/index.js';
import type { CommitRunner } from '../../src/realtime/watcher.js';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';
import { ctRecord, delivery, eventId, mixedStream } from './cloudtrail.js';

const START = new Date('2026-05-01T10:00:00Z');
const root = mkdtempSync(join(tmpdir(), 'idc-watch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ndjson = (records: Record<string, unknown>[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A watcher committing straight into the store (no engines): what these tests look at is the loading. */
function watcher(db: Db, dir: string, opts: Partial<WatchOptions> = {}, runner?: CommitRunner) {
  const events: WatchEvent[] = [];
  const w = new Watcher(db, { paths: [dir], settleMs: 100, pollMs: 100, fsEvents: false, ...opts }, runner ?? ((fn) => db.transaction(fn)), (e) => events.push(e));
  return { w, events };
}

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  const [r] = await db.query<{ n: number }>(sql, params);
  return Number(r.n);
}

/** Observed edges as a set of facts: what exactly-once must leave the same. */
async function observedEdges(db: Db): Promise<string[]> {
  const rows = await db.query(`SELECT from_id, kind, to_id, count, first_seen, last_seen FROM edges WHERE observed ORDER BY from_id, kind, to_id`);
  return rows.map((r) => `${r.from_id} -${r.kind}-> ${r.to_id} x${r.count} ${new Date(r.first_seen).toISOString()}..${new Date(r.last_seen).toISOString()}`);
}

describeStores('watch: files followed with checkpoints', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('a CloudTrail delivery is read once it is complete: a truncated gzip waits, the complete one loads once', async () => {
    const dir = join(root, `doc-${db.driver}`);
    mkdirSync(dir);
    const records = [0, 1, 2].map((i) => ctRecord({ id: eventId(`doc-${db.driver}-${i}`), time: new Date(START.getTime() + i * 1000), user: 'svc-doc', action: 'ListUsers' }));
    const full = delivery(records);
    const path = join(dir, '111122223333_CloudTrail_us-east-1_20260501T1000Z_a.json.gz');
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    const { w, events } = watcher(db, dir);
    await w.start();
    await waitFor('waiting', async () => events.find((e) => e.type === 'waiting'));
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-doc'`)).toBe(0);
    writeFileSync(path, full);
    const commit = await waitFor('commit', async () => events.find((e) => e.type === 'commit'));
    expect(commit).toMatchObject({ type: 'commit', mode: 'document', format: 'aws-cloudtrail', records: 3, loaded: 3, newEvents: 3, offset: full.length });
    // Further scans find nothing new to read.
    await new Promise((r) => setTimeout(r, 400));
    await w.catchUp();
    await w.stop();
    expect(events.filter((e) => e.type === 'commit')).toHaveLength(1);
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-doc'`)).toBe(3);
    const [cp] = await db.query('SELECT mode, status, byte_offset, records FROM watch_checkpoints WHERE path = $1', [path]);
    expect({ ...cp, byte_offset: Number(cp.byte_offset), records: Number(cp.records) }).toEqual({ mode: 'document', status: 'done', byte_offset: full.length, records: 3 });
  });

  it('a document rewritten while it is read is read again, and its checkpoint describes what was read', async () => {
    const dir = join(root, `rewrite-${db.driver}`);
    mkdirSync(dir);
    const records = [0, 1, 2].map((i) => ctRecord({ id: eventId(`rewrite-${db.driver}-${i}`), time: new Date(START.getTime() + i * 1000), user: 'svc-rewrite', action: 'ListRoles' }));
    const path = join(dir, '111122223333_CloudTrail_us-east-1_20260501T1100Z_b.json.gz');
    writeFileSync(path, delivery(records.slice(0, 2)));
    const full = delivery(records);
    let rewritten = false;
    // The writer replaces the file after the watcher found it settled and opened it, before it is read.
    const runner: CommitRunner = async (fn) => {
      if (!rewritten) {
        rewritten = true;
        writeFileSync(path, full);
      }
      return db.transaction(fn);
    };
    const { w, events } = watcher(db, dir, {}, runner);
    await w.start();
    await waitFor('commit', async () => events.find((e) => e.type === 'commit'));
    await new Promise((r) => setTimeout(r, 400));
    await w.catchUp();
    await w.stop();
    const commits = events.filter((e) => e.type === 'commit');
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatchObject({ records: 3, newEvents: 3, offset: full.length });
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-rewrite'`)).toBe(3);
  });

  it('a JSON document still being written is never read half: it loads when its JSON closes', async () => {
    const dir = join(root, `json-${db.driver}`);
    mkdirSync(dir);
    const recs = [0, 1].map((i) => ctRecord({ id: eventId(`json-${db.driver}-${i}`), time: START, user: 'svc-json', action: 'GetUser' }));
    const text = JSON.stringify({ Records: recs });
    const path = join(dir, 'trail.json');
    writeFileSync(path, text.slice(0, text.length - 30));
    const { w, events } = watcher(db, dir);
    await w.start();
    await waitFor('waiting', async () => events.find((e) => e.type === 'waiting'));
    appendFileSync(path, text.slice(text.length - 30));
    await waitFor('commit', async () => events.find((e) => e.type === 'commit'));
    await w.stop();
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-json'`)).toBe(2);
  });

  it('NDJSON is read up to its last newline; the offset is committed with the records', async () => {
    const dir = join(root, `nd-${db.driver}`);
    mkdirSync(dir);
    const recs = [0, 1, 2, 3, 4].map((i) => ctRecord({ id: eventId(`nd-${db.driver}-${i}`), time: new Date(START.getTime() + i * 1000), user: 'svc-nd', action: 'ListUsers' }));
    const lines = recs.map((r) => JSON.stringify(r) + '\n');
    const path = join(dir, 'app.ndjson');
    const firstThree = lines.slice(0, 3).join('');
    writeFileSync(path, firstThree + lines[3].slice(0, 40));
    const { w, events } = watcher(db, dir);
    await w.start();
    await w.catchUp();
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-nd'`)).toBe(3);
    let [cp] = await db.query('SELECT byte_offset, status FROM watch_checkpoints WHERE path = $1', [path]);
    expect(Number(cp.byte_offset)).toBe(Buffer.byteLength(firstThree));
    expect(cp.status).toBe('following');
    appendFileSync(path, lines[3].slice(40) + lines[4]);
    await w.catchUp();
    await w.stop();
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-nd'`)).toBe(5);
    [cp] = await db.query('SELECT byte_offset FROM watch_checkpoints WHERE path = $1', [path]);
    expect(Number(cp.byte_offset)).toBe(Buffer.byteLength(lines.join('')));
    const commits = events.filter((e): e is Extract<WatchEvent, { type: 'commit' }> => e.type === 'commit');
    expect(commits.map((c) => [c.from, c.records])).toEqual([[0, 3], [Buffer.byteLength(firstThree), 2]]);
  });

  it('a rotated log goes on under its new name; the new file is read from the start; nothing twice', async () => {
    const dir = join(root, `rot-${db.driver}`);
    mkdirSync(dir);
    const rec = (i: number) => JSON.stringify(ctRecord({ id: eventId(`rot-${db.driver}-${i}`), time: new Date(START.getTime() + i * 1000), user: 'svc-rot', action: 'ListUsers' })) + '\n';
    const path = join(dir, 'app.ndjson');
    writeFileSync(path, rec(0) + rec(1));
    const { w, events } = watcher(db, dir);
    await w.start();
    await w.catchUp();
    // logrotate: the old file gets another line, is renamed, and a new file starts.
    appendFileSync(path, rec(2));
    renameSync(path, join(dir, 'app.ndjson.1'));
    writeFileSync(path, rec(3));
    await w.catchUp();
    await w.stop();
    expect(events.find((e) => e.type === 'adopted')).toMatchObject({ path: join(dir, 'app.ndjson.1'), from: path });
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-rot'`)).toBe(4);
    const commits = events.filter((e): e is Extract<WatchEvent, { type: 'commit' }> => e.type === 'commit');
    expect(commits.reduce((n, c) => n + c.records, 0)).toBe(4);
  });

  it('a log truncated in place (copytruncate) is read again from its start', async () => {
    const dir = join(root, `trunc-${db.driver}`);
    mkdirSync(dir);
    const rec = (i: number) => JSON.stringify(ctRecord({ id: eventId(`trunc-${db.driver}-${i}`), time: START, user: 'svc-trunc', action: 'ListUsers' })) + '\n';
    const path = join(dir, 'app.jsonl');
    writeFileSync(path, rec(0) + rec(1) + rec(2));
    const { w, events } = watcher(db, dir);
    await w.start();
    await w.catchUp();
    writeFileSync(path, rec(3));
    await w.catchUp();
    await w.stop();
    expect(events.find((e) => e.type === 'restart')).toMatchObject({ path });
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-trunc'`)).toBe(4);
  });

  it('a line that is not JSON is a reject with its reason; the lines around it load', async () => {
    const dir = join(root, `bad-${db.driver}`);
    mkdirSync(dir);
    const rec = (i: number) => JSON.stringify(ctRecord({ id: eventId(`bad-${db.driver}-${i}`), time: START, user: 'svc-bad', action: 'ListUsers' })) + '\n';
    const path = join(dir, 'app.ndjson');
    writeFileSync(path, rec(0) + rec(1));
    const { w, events } = watcher(db, dir);
    await w.start();
    await w.catchUp();
    appendFileSync(path, 'WARN disk almost full\n' + rec(2) + '{"truncated": \n' + rec(3));
    await w.catchUp();
    await w.stop();
    expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE actor_id LIKE '%user/svc-bad'`)).toBe(4);
    const commits = events.filter((e): e is Extract<WatchEvent, { type: 'commit' }> => e.type === 'commit');
    const last = commits[commits.length - 1];
    expect(last).toMatchObject({ records: 4, loaded: 2, rejected: 2 });
    expect(last.rejects.map((r) => r.line)).toEqual([1, 3]);
    expect(last.rejects[0].reason).toMatch(/not valid JSON/);
    const [cp] = await db.query('SELECT records, rejected FROM watch_checkpoints WHERE path = $1', [path]);
    expect([Number(cp.records), Number(cp.rejected)]).toEqual([6, 2]);
  });

  it('a file no connector reads is recorded as failed, once, and read when it changes into something readable', async () => {
    const dir = join(root, `fail-${db.driver}`);
    mkdirSync(dir);
    const path = join(dir, 'notes.json');
    writeFileSync(path, '{"hello": "world"}');
    const { w, events } = watcher(db, dir, { incompleteGraceMs: 0 });
    await w.start();
    await waitFor('failed', async () => events.find((e) => e.type === 'failed'));
    await new Promise((r) => setTimeout(r, 300));
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);
    writeFileSync(path, JSON.stringify({ Records: [ctRecord({ id: eventId(`fail-${db.driver}`), time: START, user: 'svc-fail', action: 'ListUsers' })] }));
    await waitFor('commit', async () => events.find((e) => e.type === 'commit'));
    await w.stop();
    const [cp] = await db.query('SELECT status, error FROM watch_checkpoints WHERE path = $1', [path]);
    expect(cp).toEqual({ status: 'done', error: null });
  });

  it('property: killed after any commit and restarted, with the log written in any pieces, the store ends as one clean ingest leaves it', async () => {
    const records = mixedStream(60, START, `prop-${db.driver}`);
    const text = ndjson(records);
    // The reference: the whole file ingested once, into a clean store.
    const tables = ['events', 'edges', 'identities', 'credentials', 'resources', 'alerts', 'watch_checkpoints', 'ingest_log', 'seen_values', 'seen_rates', 'engine_state'];
    const clean = async () => {
      for (const t of tables) await db.query(`DELETE FROM ${t}`);
    };
    await clean();
    const refDir = join(root, `ref-${db.driver}`);
    mkdirSync(refDir);
    writeFileSync(join(refDir, 'ref.ndjson'), text);
    await ingestPaths(db, [refDir]);
    const want = { events: await count(db, 'SELECT count(*)::int AS n FROM events'), edges: await observedEdges(db) };
    expect(want.events).toBe(60);
    expect(want.edges.length).toBeGreaterThan(3);

    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: text.length - 1 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 300, max: 3000 }),
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      async (cuts, chunk, crashes) => {
        await clean();
        const dir = join(root, `prop-${db.driver}-${run++}`);
        mkdirSync(dir);
        const path = join(dir, 'trail.ndjson');
        const pieces = [...new Set(cuts)].sort((a, b) => a - b);
        writeFileSync(path, '');
        let written = 0;
        let crashAfter = [...crashes];
        for (const end of [...pieces, text.length]) {
          appendFileSync(path, text.slice(written, end));
          written = end;
          // Run until caught up, "crashing" after the n-th commit: the transaction rolls back, the process state is lost.
          for (;;) {
            let commits = 0;
            const limit = crashAfter.length ? crashAfter[0] : Number.POSITIVE_INFINITY;
            const runner: CommitRunner = (fn) => db.transaction(async (tx) => {
              const r = await fn(tx);
              if (commits++ >= limit) throw new Error('SIGKILL');
              return r;
            });
            const { w } = watcher(db, dir, { chunkBytes: chunk, finalLineMs: 60_000 }, runner);
            await w.start();
            let crashed = false;
            try {
              await w.catchUp();
            } catch {
              crashed = true;
            }
            // The watcher reports a failed commit as an error and retries later; a crash is a stop.
            await w.stop();
            crashed ||= commits > limit;
            if (!crashed) break;
            crashAfter = crashAfter.slice(1);
          }
        }
        expect(await count(db, 'SELECT count(*)::int AS n FROM events')).toBe(want.events);
        expect(await observedEdges(db)).toEqual(want.edges);
        const [cp] = await db.query('SELECT byte_offset, records FROM watch_checkpoints WHERE path = $1', [path]);
        expect(Number(cp.byte_offset)).toBe(Buffer.byteLength(text));
        expect(Number(cp.records)).toBe(60);
      },
    ), { numRuns: db.driver === 'pglite' ? 6 : 10 });
  }, 240_000);
});
