import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connector } from '../../../src/connectors/aws-cloudtrail/index.js';
import type { SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { DELIVERED, EVENTBRIDGE, LAKE, SIEM } from './helpers.js';

/**
 * Damaged input may make a file unreadable (FormatError) or records rejected, nothing else: no other
 * exception, no "internal error" reject (a bug caught by the connector's guard), no record that
 * fails its schema, and no record lost without a trace.
 */
const delivered = gunzipSync(readFileSync(DELIVERED)).toString();
const siem = readFileSync(SIEM, 'utf8');
const texts = [delivered, siem, readFileSync(EVENTBRIDGE, 'utf8'), readFileSync(LAKE, 'utf8')];

async function outcome(text: string): Promise<{ items: SourceItem[] } | { error: FormatError }> {
  const items: SourceItem[] = [];
  try {
    for await (const batch of connector.parse(memorySourceFile('fuzz.json', text), { now: new Date('2024-06-01T00:00:00Z') })) items.push(...batch);
  } catch (err) {
    if (err instanceof FormatError) return { error: err };
    throw err;
  }
  return { items };
}

function checkItems(items: SourceItem[]): void {
  items.forEach((item, i) => expect(item.index).toBe(i));
  for (const item of items) {
    if (item.reject !== undefined) {
      expect(item.reject).not.toMatch(/internal error/);
      expect(item.records).toBeUndefined();
      continue;
    }
    expect(item.records!.some((r) => r.kind === 'event')).toBe(true);
    for (const r of item.records!) {
      const ok = RECORD_SCHEMAS[r.kind].safeParse(r.value);
      expect(ok.success, `${r.kind}: ${JSON.stringify(ok.error?.issues[0])}`).toBe(true);
    }
  }
}

/** A JSON-aware mutation: replace one value anywhere in a record with something of another type. */
const weird = fc.oneof(
  fc.constantFrom(null, '', 0, -1, 1e300, true, [], {}, 'N/A', '2024-02-30T00:00:00Z', 'AWS Internal', '__proto__', '{type=IAMUser, arn=x}'),
  fc.string({ maxLength: 12 }),
  fc.jsonValue({ maxDepth: 2 }),
);

function mutateJson(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0] % entries.length];
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  copy[key] = mutateJson(child, path.slice(1), replacement);
  return copy;
}

describe('aws-cloudtrail: fuzz', () => {
  it('truncated files: FormatError or items, never anything else (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...texts), fc.double({ min: 0, max: 1, noNaN: true }), async (text, at) => {
      const r = await outcome(text.slice(0, Math.floor(text.length * at)));
      if ('items' in r) checkItems(r.items);
      else expect(r.error.message).toMatch(/^fuzz\.json(:\d+(:\d+)?)?: /);
    }), { numRuns: 300 });
  });

  it('random byte damage: FormatError or items (property)', async () => {
    const damage = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(6), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 5 });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...texts), damage, async (text, edits) => {
      let t = text;
      for (const [where, del, ins] of edits) {
        const at = Math.floor(t.length * where);
        t = t.slice(0, at) + ins + t.slice(at + del);
      }
      const r = await outcome(t);
      if ('items' in r) checkItems(r.items);
    }), { numRuns: 400 });
  });

  it('any field replaced by any JSON value: every record is an event or a reject (property)', async () => {
    const records = (JSON.parse(delivered) as { Records: unknown[] }).Records;
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }), weird, async (path, replacement) => {
      const mutated = records.map((r, i) => (i === path[0] % records.length ? mutateJson(r, path.slice(1), replacement) : r));
      const r = await outcome(JSON.stringify({ Records: mutated }));
      if (!('items' in r)) throw r.error;
      // A wrapper line or a nested Records array may expand; otherwise one item per record.
      expect(r.items.length).toBeGreaterThanOrEqual(mutated.length - 1);
      checkItems(r.items);
    }), { numRuns: 600 });
  });

  it('every NDJSON line becomes at least one item, whatever the line holds (property)', async () => {
    const lines = siem.split('\n').filter(Boolean);
    const valid = lines.filter((l) => { try { JSON.parse(l); return true; } catch { return false; } });
    const objectOrArray = fc.oneof(fc.object({ maxDepth: 2 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })).map((v) => JSON.stringify(v));
    const line = fc.oneof(fc.constantFrom(...lines), objectOrArray);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...valid), fc.array(line, { minLength: 1, maxLength: 10 }), async (first, rest) => {
      // With its final newline, as exports end (the shared reader only calls a file NDJSON once it has
      // seen a second complete line).
      const body = [first, ...rest].join('\n') + '\n';
      const r = await outcome(body);
      if (!('items' in r)) throw r.error;
      checkItems(r.items);
      const itemLines = new Set(r.items.map((i) => i.line));
      for (let n = 1; n <= rest.length + 1; n++) expect(itemLines.has(n), `line ${n} of ${JSON.stringify(body)}`).toBe(true);
    }), { numRuns: 300 });
  });
});
