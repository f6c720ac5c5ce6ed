import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { AuditLog, GENESIS, exportAudit, readExport, verifyAudit, verifyRecords, type AuditKey, type AuditRecord } from '../../src/audit/index.js';
import { openStore, type Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';

const entry = (i: number, over: Record<string, unknown> = {}) => ({
  principal: i % 2 ? 'alice' : 'soar-bot',
  transport: 'http' as const,
  kind: 'tool' as const,
  name: i % 3 ? 'get_identity' : 'trace_delegation',
  args: { id: `arn:aws:iam::111122223333:role/app-${i}`, depth: i },
  resultDigest: `sha256:${String(i).padStart(64, '0')}`,
  durationMs: 1.25 + i,
  outcome: 'ok' as const,
  target: `arn:aws:iam::111122223333:role/app-${i}`,
  ...over,
});

/** What an attacker with the table owner's rights does: switch the append-only trigger off. */
async function tamper(db: Db, sql: string, params: unknown[] = []): Promise<void> {
  await db.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change');
  try {
    await db.query(sql, params);
  } finally {
    await db.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change');
  }
}

/** Move two records into each other's place (through a free n: the key is checked row by row). */
async function swap(db: Db, writer: string, a: number, b: number): Promise<void> {
  await tamper(db, `UPDATE audit_log SET n = -1 WHERE writer = $1 AND n = $2`, [writer, a]);
  await tamper(db, `UPDATE audit_log SET n = $3 WHERE writer = $1 AND n = $2`, [writer, b, a]);
  await tamper(db, `UPDATE audit_log SET n = $2 WHERE writer = $1 AND n = -1`, [writer, b]);
}

describeStores('audit log', (open) => {
  let db: Db;
  let log: AuditLog;
  let records: AuditRecord[];

  beforeAll(async () => {
    db = await open();
    log = await AuditLog.open(db, { agentName: 'identity-copilot' });
    records = [];
    for (let i = 1; i <= 6; i++) records.push(await log.append(entry(i)));
    await log.flushEdges();
  });
  afterAll(async () => {
    await log.close();
    await db.close();
  });

  it('chains each writer from genesis with n = 1, 2, 3 ... and verifies clean', async () => {
    expect(records.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records[0].prevHash).toBe(GENESIS);
    for (let i = 1; i < records.length; i++) expect(records[i].prevHash).toBe(records[i - 1].hash);
    const v = await verifyAudit(db);
    expect(v).toMatchObject({ ok: true, records: 6, writers: 1, problems: [] });
    expect(v.head).toEqual({ ref: `${log.writer}#6`, hash: records[5].hash, time: records[5].time });
  });

  it('refuses UPDATE, DELETE and TRUNCATE at the database', async () => {
    await expect(db.query(`UPDATE audit_log SET principal = 'mallory' WHERE writer = $1 AND n = 2`, [log.writer])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM audit_log WHERE writer = $1 AND n = 2`, [log.writer])).rejects.toThrow(/append-only/);
    await expect(db.exec(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('names a changed record, and the record before one whose hash was recomputed', async () => {
    const w = log.writer;
    await tamper(db, `UPDATE audit_log SET principal = 'mallory' WHERE writer = $1 AND n = 3`, [w]);
    let v = await verifyAudit(db);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => [p.ref, p.problem])).toEqual([[`${w}#3`, 'changed']]);
    expect(v.problems[0]).toMatchObject({ name: records[2].name, time: records[2].time });
    await tamper(db, `UPDATE audit_log SET principal = $2 WHERE writer = $1 AND n = 3`, [w, records[2].principal]);
    expect((await verifyAudit(db)).ok).toBe(true);

    // An attacker who knows the algorithm rewrites #2 and recomputes its hash: #3 still chains from the original.
    const { hashRecord } = await import('../../src/audit/chain.js');
    const forged = { ...records[1], args: '{"id":"something-else"}' };
    await tamper(db, `UPDATE audit_log SET args = $2, hash = $3 WHERE writer = $1 AND n = 2`, [w, forged.args, hashRecord(forged, null)]);
    v = await verifyAudit(db);
    expect(v.problems.map((p) => [p.ref, p.problem])).toEqual([[`${w}#2`, 'changed']]);
    expect(v.problems[0].detail).toMatch(/recomputed/);
    await tamper(db, `UPDATE audit_log SET args = $2, hash = $3 WHERE writer = $1 AND n = 2`, [w, records[1].args, records[1].hash]);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('names deleted records, one or a run', async () => {
    const w = log.writer;
    const [row4] = await db.query(`SELECT * FROM audit_log WHERE writer = $1 AND n = 4`, [w]);
    const [row5] = await db.query(`SELECT * FROM audit_log WHERE writer = $1 AND n = 5`, [w]);
    await tamper(db, `DELETE FROM audit_log WHERE writer = $1 AND n = 4`, [w]);
    let v = await verifyAudit(db);
    expect(v.problems.map((p) => [p.ref, p.problem])).toEqual([[`${w}#4`, 'deleted']]);
    expect(v.problems[0].detail).toBe(`${w}#4 is missing (deleted) before ${w}#5`);
    await tamper(db, `DELETE FROM audit_log WHERE writer = $1 AND n = 5`, [w]);
    v = await verifyAudit(db);
    expect(v.problems[0].detail).toBe(`${w}#4..${w}#5 are missing (deleted) before ${w}#6`);
    for (const r of [row4, row5]) {
      const cols = Object.keys(r);
      await db.query(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => r[c]));
    }
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('names reordered records by where they were written', async () => {
    const w = log.writer;
    await swap(db, w, 2, 5);
    const v = await verifyAudit(db);
    expect(v.problems.map((p) => [p.ref, p.problem, p.detail])).toEqual([
      [`${w}#2`, 'reordered', `written as ${w}#5, now at ${w}#2`],
      [`${w}#5`, 'reordered', `written as ${w}#2, now at ${w}#5`],
    ]);
    await swap(db, w, 2, 5);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('mirrors each record as a canonical event of the agent acting for the principal, and counts the acts_for hop', async () => {
    const [e] = await db.query(`SELECT * FROM events WHERE id = $1`, [`copilot:audit:${log.writer}:1`]);
    expect(e).toMatchObject({ provider: 'copilot', action: 'tool:get_identity', outcome: 'success', actor_id: 'copilot:agent:identity-copilot', target: 'arn:aws:iam::111122223333:role/app-1' });
    expect(e.chain.onBehalfOf).toBe('copilot:principal:alice');
    expect(e.detail).toMatchObject({ audit: `${log.writer}#1`, transport: 'http', args: { id: 'arn:aws:iam::111122223333:role/app-1', depth: 1 } });
    const edges = await db.query(`SELECT to_id, observed, count FROM edges WHERE from_id = 'copilot:agent:identity-copilot' AND kind = 'acts_for' ORDER BY to_id`);
    expect(edges).toEqual([
      { to_id: 'copilot:principal:alice', observed: true, count: 3 },
      { to_id: 'copilot:principal:soar-bot', observed: true, count: 3 },
    ]);
  });

  it('a second writer chains from the first one\'s tail; deleting that tail is caught through the link', async () => {
    const second = await AuditLog.open(db, { agentName: 'identity-copilot' });
    const r = await second.append(entry(7));
    await second.close();
    expect(r.prevHash).toBe(records[5].hash);
    expect((await verifyAudit(db)).writers).toBe(2);
    const [tail] = await db.query(`SELECT * FROM audit_log WHERE writer = $1 AND n = 6`, [log.writer]);
    await tamper(db, `DELETE FROM audit_log WHERE writer = $1 AND n = 6`, [log.writer]);
    const v = await verifyAudit(db);
    expect(v.problems.map((p) => [p.ref, p.problem])).toEqual([[`${second.writer}#1`, 'missing-anchor']]);
    // A head kept elsewhere catches the cut tail of the last writer too.
    const v2 = await verifyAudit(db, { expectHead: `${log.writer}#6:${records[5].hash}` });
    expect(v2.problems.some((p) => p.problem === 'deleted' && p.ref === `${log.writer}#6:${records[5].hash}`)).toBe(true);
    const cols = Object.keys(tail);
    await db.query(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, cols.map((c) => tail[c]));
    expect((await verifyAudit(db)).ok).toBe(true);
  });
});

describe('audit log on one store: concurrency, keys, exports, a tampered tail at start', () => {
  let db: Db;
  const dir = mkdtempSync(join(tmpdir(), 'idc-audit-'));
  beforeAll(async () => {
    db = await openStore({ data: ':memory:' });
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent appends keep n without gaps and the chain intact', async () => {
    const log = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false });
    const out = await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(entry(i))));
    await log.close();
    expect(out.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await verifyAudit(db)).ok).toBe(true);
    expect(await db.query(`SELECT 1 FROM events WHERE provider = 'copilot'`)).toHaveLength(0);
  });

  it('a failed write leaves no gap: the writer starts a new chain from the last stored record', async () => {
    const log = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false });
    const first = await log.append(entry(1));
    const firstWriter = log.writer;
    await db.exec(`ALTER TABLE audit_log ADD CONSTRAINT no_mallory CHECK (principal <> 'mallory')`);
    await expect(log.append(entry(2, { principal: 'mallory' }))).rejects.toThrow();
    await db.exec(`ALTER TABLE audit_log DROP CONSTRAINT no_mallory`);
    const r = await log.append(entry(3));
    await log.close();
    expect(r.writer).not.toBe(firstWriter);
    expect(r.n).toBe(1);
    expect(r.prevHash).toBe(first.hash);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('calls that arrive together are written together, in call order', async () => {
    const log = await AuditLog.open(db, { agentName: 'identity-copilot' });
    const out = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i))));
    await log.close();
    expect(out.map((r) => r.n)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (let i = 1; i < out.length; i++) expect(out[i].prevHash).toBe(out[i - 1].hash);
    expect(await db.query(`SELECT count(*)::int AS n FROM events WHERE id LIKE $1`, [`copilot:audit:${log.writer}:%`])).toEqual([{ n: 300 }]);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('with IDCOPILOT_AUDIT_KEY the chain is HMAC-keyed: without the key it cannot be verified, with another key neither', async () => {
    const key: AuditKey = { id: 'sha256:0123456789abcdef012', secret: 'k'.repeat(40) };
    const log = await AuditLog.open(db, { agentName: 'identity-copilot', key, mirrorEvents: false });
    await log.append(entry(1));
    await log.close();
    expect((await verifyAudit(db, { key })).ok).toBe(true);
    const without = await verifyAudit(db);
    expect(without.ok).toBe(false);
    expect(without.problems.map((p) => p.problem)).toEqual(['unverifiable']);
  });

  it('exports NDJSON that verifies on its own, and a changed line in the export is named', async () => {
    const key: AuditKey = { id: 'sha256:0123456789abcdef012', secret: 'k'.repeat(40) };
    const lines: string[] = [];
    for await (const r of exportAudit(db)) lines.push(JSON.stringify(r));
    const file = join(dir, 'audit.ndjson');
    writeFileSync(file, lines.join('\n') + '\n');
    const fromFile = await verifyRecords(await readExport(file), { key });
    expect(fromFile.ok).toBe(true);
    expect(fromFile.records).toBe(lines.length);
    const damaged = lines.map((l, i) => (i === 5 ? l.replace('"outcome":"ok"', '"outcome":"error"') : l));
    writeFileSync(file, damaged.join('\n'));
    const v = await verifyRecords(await readExport(file), { key });
    const r5 = JSON.parse(lines[5]);
    expect(v.problems.map((p) => [p.ref, p.problem])).toEqual([[`${r5.writer}#${r5.n}`, 'changed']]);
    writeFileSync(file, lines[0] + '\n{"not": "a record"}\n');
    await expect(readExport(file)).rejects.toThrow(/audit\.ndjson:2: not an audit record/);
    expect(readFileSync(file, 'utf8')).toContain('"not"');
  });

  it('--since exports only later records', async () => {
    const log = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false });
    await log.append(entry(1, { time: new Date('2020-01-01T00:00:00Z') }));
    await log.append(entry(2, { time: new Date('2020-01-20T00:00:00Z') }));
    await log.close();
    const all: AuditRecord[] = [];
    for await (const r of exportAudit(db)) all.push(r);
    const later: AuditRecord[] = [];
    for await (const r of exportAudit(db, { since: new Date('2020-01-10T00:00:00Z') })) later.push(r);
    expect(all[0]).toMatchObject({ writer: log.writer, n: 1, time: '2020-01-01T00:00:00.000Z' });
    expect(later.length).toBe(all.length - 1);
    expect(later.some((r) => r.writer === log.writer && r.n === 1)).toBe(false);
  });

  it('a writer that finds the latest record tampered says so and records it in its own chain', async () => {
    const log = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false });
    const last = await log.append(entry(9));
    await log.close();
    await tamper(db, `UPDATE audit_log SET name = 'nothing-to-see' WHERE writer = $1 AND n = $2`, [last.writer, last.n]);
    const seen: string[] = [];
    const next = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false, onTailMismatch: (ref) => seen.push(ref) });
    await next.close();
    expect(seen).toEqual([`${last.writer}#${last.n}`]);
    const [first] = await db.query(`SELECT name, outcome, error FROM audit_log WHERE writer = $1 AND n = 1`, [next.writer]);
    expect(first).toMatchObject({ name: 'tail-mismatch', outcome: 'error' });
    const v = await verifyAudit(db, { key: null });
    expect(v.problems.filter((p) => p.problem !== 'unverifiable').map((p) => [p.ref, p.problem])).toEqual([[`${last.writer}#${last.n}`, 'changed']]);
  });
});

describe('audit log: any single tamper is found and named (property)', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openStore({ data: ':memory:' });
  });
  afterAll(async () => db.close());

  it('a random change, deletion or swap of records is reported at the right place', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 12 }),
        fc.oneof(
          fc.record({ op: fc.constant('change' as const), at: fc.nat(), field: fc.constantFrom('principal', 'name', 'args', 'outcome', 'result_digest', 'time', 'duration_ms', 'client') }),
          fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
          fc.record({ op: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
        ),
        async (count, t) => {
          round++;
          await tamper(db, 'DELETE FROM audit_log');
          const log = await AuditLog.open(db, { agentName: 'identity-copilot', mirrorEvents: false });
          for (let i = 0; i < count; i++) await log.append(entry(i + round));
          await log.close();
          const w = log.writer;
          const n = (t.at % count) + 1;
          let expected: [string, string][];
          if (t.op === 'change') {
            const set: Record<string, string> = {
              principal: `principal = 'x' || principal`, name: `name = name || '!'`, args: `args = '{"forged":true}'`, outcome: `outcome = 'error'`,
              result_digest: `result_digest = 'sha256:' || repeat('f', 64)`, time: `time = time + interval '1 second'`, duration_ms: `duration_ms = duration_ms + 0.5`,
              client: `client = '{"ip":"203.0.113.9"}'`,
            };
            await tamper(db, `UPDATE audit_log SET ${set[t.field]} WHERE writer = $1 AND n = $2`, [w, n]);
            expected = [[`${w}#${n}`, 'changed']];
          } else if (t.op === 'delete') {
            await tamper(db, `DELETE FROM audit_log WHERE writer = $1 AND n = $2`, [w, n]);
            // A cut tail leaves no trace inside the log: that is what an exported head is for.
            expected = n === count ? [] : [[`${w}#${n}`, 'deleted']];
          } else {
            const m = (t.other % count) + 1;
            if (m === n) return;
            await swap(db, w, n, m);
            expected = [[`${w}#${Math.min(n, m)}`, 'reordered'], [`${w}#${Math.max(n, m)}`, 'reordered']];
          }
          const v = await verifyAudit(db);
          expect(v.problems.map((p) => [p.ref, p.problem])).toEqual(expected);
          expect(v.ok).toBe(expected.length === 0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
