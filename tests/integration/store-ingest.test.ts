import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Connector } from '../../src/connectors/contract.js';
import { rec, toItem } from '../../src/connectors/contract.js';
import { ConnectorRegistry } from '../../src/connectors/registry.js';
import { readJsonRecords } from '../../src/connectors/shared/json-records.js';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';

/** A minimal connector of our own: {"things": [{id, at, by}]} -> identity + event + observation. */
const things: Connector = {
  name: 'things',
  title: 'Test things',
  category: 'log',
  produces: 'tests',
  detect: (s) => (s.head.includes('"things"') ? 0.9 : 0),
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['things'])) {
      yield batch.map((r) =>
        toItem(r.index, r.line, () => {
          const v = r.value as { id?: string; at?: string; by?: string };
          if (!v.id) throw new Error('missing id');
          return [
            rec.identity({ id: `test:user:${v.by}`, kind: 'human', provider: 'generic', name: v.by ?? 'x', origin: 'log', lastSeenAt: v.at }),
            rec.identity({ id: 'test:role:r', kind: 'role', provider: 'generic', name: 'r', origin: 'log' }),
            rec.event({ id: `test:${v.id}`, time: v.at!, provider: 'generic', action: 'Do', actorId: `test:user:${v.by}` }),
            rec.observation({ eventId: `test:${v.id}`, from: `test:user:${v.by}`, to: 'test:role:r', kind: 'assumed', time: v.at! }),
          ];
        }),
      );
    }
  },
};
const registry = new ConnectorRegistry([things]);

const dir = mkdtempSync(join(tmpdir(), 'idc-ingest-'));
const good = join(dir, 'good.json');
writeFileSync(good, JSON.stringify({ things: [
  { id: 'e1', at: '2024-05-01T10:00:00Z', by: 'alice' },
  { id: 'e2', at: '2024-05-01T11:00:00Z', by: 'alice' },
  { id: 'e3', at: 'yesterday', by: 'bob' },
  { by: 'carol' },
] }));
const gz = join(dir, 'more.json.gz');
writeFileSync(gz, gzipSync(JSON.stringify({ things: [{ id: 'e4', at: '2024-05-02T09:00:00Z', by: 'alice' }] })));
const truncated = join(dir, 'truncated.json');
writeFileSync(truncated, '{"things": [{"id": "e9", "at": "2024-05-03T00:00:00Z", "by": "mallory"}, {"id": "e10"');
const fakeGz = join(dir, 'fake.json.gz');
writeFileSync(fakeGz, '{"things": []}');

describeStores('ingest pipeline', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('loads good records, rejects bad ones with file, index and reason, and aggregates observed edges', async () => {
    const rejects: unknown[] = [];
    const r = await ingestPaths(db, [good, gz], { registry, onReject: (x) => rejects.push(x) });
    expect(r.totals).toMatchObject({ files: 2, failed: 0, records: 5, loaded: 3, rejected: 2 });
    expect(r.files[0]).toMatchObject({ format: 'things', records: 4, loaded: 2, rejected: 2, error: null });
    expect(rejects).toEqual([
      expect.objectContaining({ path: good, index: 2, reason: expect.stringMatching(/invalid identity: lastSeenAt: Invalid ISO datetime/) }),
      expect.objectContaining({ path: good, index: 3, reason: 'missing id' }),
    ]);
    const [edge] = await db.query("SELECT * FROM edges WHERE from_id = 'test:user:alice'");
    expect(edge).toMatchObject({ kind: 'assumed', to_id: 'test:role:r', observed: true, potential: false, count: 3 });
    expect(new Date(edge.first_seen).toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(new Date(edge.last_seen).toISOString()).toBe('2024-05-02T09:00:00.000Z');
    const [alice] = await db.query("SELECT last_seen_at FROM identities WHERE id = 'test:user:alice'");
    expect(new Date(alice.last_seen_at).toISOString()).toBe('2024-05-02T09:00:00.000Z');
  });

  it('is idempotent: the same files again change nothing', async () => {
    const snapshot = async () => ({
      edges: await db.query('SELECT * FROM edges ORDER BY from_id, kind, to_id'),
      identities: await db.query('SELECT * FROM identities ORDER BY id'),
      events: await db.query('SELECT id FROM events ORDER BY id'),
    });
    const before = await snapshot();
    const r = await ingestPaths(db, [good, gz], { registry });
    expect(r.totals.loaded).toBe(3);
    expect(await snapshot()).toEqual(before);
  });

  it('leaves the store as it was when a file cannot be read, and still loads the others', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM events');
    const r = await ingestPaths(db, [truncated, fakeGz, gz], { registry });
    expect(r.files[0].error).toMatch(/truncated\.json:1: unexpected end of file: the JSON is truncated/);
    expect(r.files[1].error).toMatch(/fake\.json\.gz at byte 0: named \.gz but is not gzip/);
    expect(r.files[2].error).toBeNull();
    expect(r.totals.failed).toBe(2);
    const after = await db.query('SELECT count(*)::int AS n FROM events');
    expect(after[0].n).toBe(before[0].n);
    expect(await db.query("SELECT * FROM identities WHERE id = 'test:user:mallory'")).toEqual([]);
  });

  it('--strict rejects the whole file', async () => {
    const strictDir = mkdtempSync(join(tmpdir(), 'idc-strict-'));
    const f = join(strictDir, 'x.json');
    writeFileSync(f, JSON.stringify({ things: [{ id: 's1', at: '2024-06-01T00:00:00Z', by: 'dave' }, { by: 'eve' }] }));
    const r = await ingestPaths(db, [f], { registry, strict: true });
    expect(r.files[0].error).toMatch(/record 1 \(line 1\) rejected under --strict: missing id/);
    expect(await db.query("SELECT * FROM events WHERE id = 'test:s1'")).toEqual([]);
  });

  it('detects each file of a folder on its own: files of different formats side by side, same extension', async () => {
    const mixed = mkdtempSync(join(tmpdir(), 'idc-mixed-'));
    const fx = (...p: string[]) => join(import.meta.dirname, '../fixtures', ...p);
    // Alternating formats under one extension: what the folder's detection memo must not merge.
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(mixed, `a${i}-cloudtrail.json`), gunzipSync(readFileSync(fx('cloudtrail', '111122223333_CloudTrail_us-east-1_20240501T1045Z_chain.json.gz'))));
      writeFileSync(join(mixed, `a${i}-guardduty.json`), readFileSync(fx('alerts', 'guardduty-findings.json')));
      writeFileSync(join(mixed, `a${i}-okta-users.json`), readFileSync(fx('okta', 'users.json')));
      writeFileSync(join(mixed, `a${i}-okta-apps.json`), readFileSync(fx('okta', 'apps.json')));
    }
    const r = await ingestPaths(db, [mixed]);
    const formats = Object.fromEntries(r.files.map((f) => [f.path.split('/').pop()!.replace(/^a\d-/, ''), f.format]));
    expect(formats).toEqual({ 'cloudtrail.json': 'aws-cloudtrail', 'guardduty.json': 'aws-guardduty', 'okta-users.json': 'okta-inventory', 'okta-apps.json': 'okta-inventory' });
    expect(r.totals.failed).toBe(0);
  });

  it('writes many small files in batches, one in flight while the next is read, a broken file among them failing alone', async () => {
    const many = mkdtempSync(join(tmpdir(), 'idc-many-'));
    for (let i = 0; i < 120; i++) {
      const body = JSON.stringify({ things: [{ id: `m${i}a`, at: '2024-07-01T00:00:00Z', by: `u${i % 7}` }, { id: `m${i}b`, at: '2024-07-01T01:00:00Z', by: `u${i % 7}` }] });
      // File 57 is a truncated gzip: detected like its neighbours, unreadable when parsed.
      writeFileSync(join(many, `f${String(i).padStart(3, '0')}.json.gz`), i === 57 ? gzipSync(body).subarray(0, 20) : gzipSync(body));
    }
    const r = await ingestPaths(db, [many], { registry, batchSize: 10 });
    expect(r.files.map((f) => f.path.split('/').pop())).toEqual(Array.from({ length: 120 }, (_, i) => `f${String(i).padStart(3, '0')}.json.gz`));
    expect(r.files.filter((f) => f.error).map((f) => f.path.split('/').pop())).toEqual(['f057.json.gz']);
    expect(r.files[57].error).toMatch(/f057\.json\.gz.*(truncated|unexpected end)/);
    expect(r.totals).toMatchObject({ files: 120, failed: 1, records: 238, loaded: 238 });
    const [{ n }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE id LIKE 'test:m%'`);
    expect(n).toBe(238);
    // The observed edges count each event once, whichever batch carried it.
    const again = await ingestPaths(db, [many], { registry, batchSize: 10 });
    expect(again.totals).toMatchObject({ failed: 1, loaded: 238 });
    const [{ count }] = await db.query<{ count: number }>(`SELECT sum(count)::int AS count FROM edges WHERE observed AND to_id = 'test:role:r' AND from_id LIKE 'test:user:u%'`);
    expect(count).toBe(238);
  });
});
