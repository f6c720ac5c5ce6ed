import { z } from 'zod';
import type { Db } from '../store/index.js';
import { GENESIS, hashRecord, type AuditKey } from './chain.js';
import { rowToRecord } from './log.js';
import { recordRef, type AuditRecord } from './record.js';

export const AuditProblem = z.object({
  /** `writer#n` of the record where the chain breaks. */
  ref: z.string(),
  writer: z.string(),
  n: z.number().int(),
  problem: z.enum(['changed', 'deleted', 'reordered', 'missing-anchor', 'unverifiable']),
  detail: z.string(),
  time: z.string().nullable(),
  name: z.string().nullable(),
});
export type AuditProblem = z.infer<typeof AuditProblem>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  records: z.number().int(),
  writers: z.number().int(),
  /** The latest record: keep its hash elsewhere and pass it back (--expect-head) to detect a cut tail. */
  head: z.object({ ref: z.string(), hash: z.string(), time: z.string() }).nullable(),
  problems: z.array(AuditProblem),
});
export type AuditVerification = z.infer<typeof AuditVerification>;

/** How far from its place a moved record is looked for. */
const MOVE_WINDOW = 256;
const PAGE = 5000;

interface Entry {
  n: number;
  prevHash: string;
  hash: string;
  contentOk: boolean;
  time: string;
  name: string;
  /** For a record whose hash fits another place: the n it was written as. */
  writtenAs: number | null;
}

export interface VerifyOptions {
  key?: AuditKey | null;
  /** A head (`writer#n:hash` or a bare hash) saved earlier: it must still be in the chain. */
  expectHead?: string | null;
}

/** Verify the audit log in the store, page by page in (writer, n) order. */
export async function verifyAudit(db: Db, opts: VerifyOptions = {}): Promise<AuditVerification> {
  async function* rows(): AsyncGenerator<AuditRecord> {
    let after: [string, number] | null = null;
    for (;;) {
      const page: Record<string, any>[] = after
        ? await db.query(`SELECT * FROM audit_log WHERE (writer, n) > ($1, $2) ORDER BY writer, n LIMIT ${PAGE}`, after)
        : await db.query(`SELECT * FROM audit_log ORDER BY writer, n LIMIT ${PAGE}`);
      for (const r of page) yield rowToRecord(r);
      if (page.length < PAGE) return;
      const last = page[page.length - 1];
      after = [last.writer, Number(last.n)];
    }
  }
  return verifyRecords(rows(), opts);
}

/**
 * Verify records given in (writer, n) order (from the store or from an export): every hash is
 * recomputed; within a writer, n runs 1, 2, 3 ... and each record chains from the one before; each
 * writer's first record chains from a record that still exists (or from genesis). Each problem names
 * the record.
 */
export async function verifyRecords(records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const key = opts.key ?? null;
  const problems: AuditProblem[] = [];
  const anchors = new Map<string, string[]>(); // prev hash of a writer's first record -> writers
  const seen = new Set<string>();
  let count = 0;
  let writers = 0;
  let head: AuditVerification['head'] = null;
  let writer: string | null = null;
  let entries: Entry[] = [];
  const expect = opts.expectHead ? opts.expectHead.split(':').pop()! : null;
  let expectFound = false;
  let unverifiable = 0;

  const finish = () => {
    if (writer !== null) checkWriter(writer, entries, problems, anchors);
    entries = [];
  };

  for await (const r of records) {
    if (r.writer !== writer) {
      finish();
      writer = r.writer;
      writers++;
    }
    count++;
    // Records written without a key are plain sha256 and always checkable; keyed ones need their key.
    const recordKey = r.keyId ? (key && key.id === r.keyId ? key : null) : null;
    const keyUsable = !r.keyId || recordKey !== null;
    if (!keyUsable) unverifiable++;
    const contentOk = keyUsable ? hashRecord(r, recordKey) === r.hash : true;
    let writtenAs: number | null = null;
    if (!contentOk) {
      for (let d = 1; d <= MOVE_WINDOW && writtenAs === null; d++) {
        for (const m of [r.n - d, r.n + d]) {
          if (m >= 1 && hashRecord({ ...r, n: m }, recordKey) === r.hash) {
            writtenAs = m;
            break;
          }
        }
      }
    }
    entries.push({ n: r.n, prevHash: r.prevHash, hash: r.hash, contentOk, time: r.time, name: r.name, writtenAs });
    seen.add(r.hash);
    if (expect && r.hash === expect) expectFound = true;
    if (!head || r.time > head.time || (r.time === head.time && recordRef(r) > head.ref)) head = { ref: recordRef(r), hash: r.hash, time: r.time };
  }
  finish();

  for (const [anchor, ws] of anchors) {
    if (anchor === GENESIS || seen.has(anchor)) continue;
    for (const w of ws) {
      problems.push({ ref: `${w}#1`, writer: w, n: 1, problem: 'missing-anchor', detail: `the record ${w}#1 chains from (hash ${anchor.slice(0, 12)}...) is no longer in the log: it was deleted or changed`, time: null, name: null });
    }
  }
  if (unverifiable > 0) {
    problems.push({
      ref: '-', writer: '-', n: 0, problem: 'unverifiable',
      detail: `${unverifiable} record(s) were written with ${key ? 'another' : 'a'} key (IDCOPILOT_AUDIT_KEY): set the key they were written with to verify them`,
      time: null, name: null,
    });
  }
  if (expect && !expectFound) {
    problems.push({ ref: opts.expectHead!, writer: '-', n: 0, problem: 'deleted', detail: `the expected head ${opts.expectHead} is not in the log: records up to it were deleted or changed`, time: null, name: null });
  }
  problems.sort((a, b) => (a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : a.n - b.n));
  return { ok: problems.length === 0, records: count, writers, head, problems };
}

function checkWriter(writer: string, entries: Entry[], problems: AuditProblem[], anchors: Map<string, string[]>): void {
  const at = (e: Entry, problem: AuditProblem['problem'], detail: string) =>
    problems.push({ ref: `${writer}#${e.n}`, writer, n: e.n, problem, detail, time: e.time, name: e.name });
  const reported = new Set<number>();
  let expected = 1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.n > expected) {
      const span = e.n - expected === 1 ? `${writer}#${expected}` : `${writer}#${expected}..${writer}#${e.n - 1}`;
      problems.push({ ref: `${writer}#${expected}`, writer, n: expected, problem: 'deleted', detail: `${span} ${e.n - expected === 1 ? 'is' : 'are'} missing (deleted) before ${writer}#${e.n}`, time: null, name: null });
    }
    if (e.n === 1) {
      const list = anchors.get(e.prevHash) ?? [];
      list.push(writer);
      anchors.set(e.prevHash, list);
    }
    if (!e.contentOk) {
      if (e.writtenAs !== null) at(e, 'reordered', `written as ${writer}#${e.writtenAs}, now at ${writer}#${e.n}`);
      else at(e, 'changed', `its content no longer matches its hash`);
      reported.add(e.n);
    } else if (i > 0 && e.n === entries[i - 1].n + 1 && e.prevHash !== entries[i - 1].hash) {
      // The record before was rewritten with a recomputed hash: this one still chains from the original.
      const p = entries[i - 1];
      if (!reported.has(p.n)) {
        at(p, 'changed', `its hash was recomputed after a change: ${writer}#${e.n} still chains from the original`);
        reported.add(p.n);
      }
    }
    expected = e.n + 1;
  }
}
