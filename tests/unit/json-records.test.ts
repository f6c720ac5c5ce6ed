import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonRecordScanner, readJsonRecords } from '../../src/connectors/shared/json-records.js';
import { memorySourceFile } from '../../src/connectors/shared/source-file.js';
import { FormatError } from '../../src/lib/errors.js';

function scanAll(text: string, keys = ['Records'], chunk = 7) {
  const s = new JsonRecordScanner('t.json', keys);
  const out: { text: string; line: number; index: number }[] = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...s.push(text.slice(i, i + chunk)));
  out.push(...s.end());
  return { records: out.map((r) => ({ ...r, value: JSON.parse(r.text) })), layout: s.layout };
}

async function readAll(text: string, keys = ['Records']) {
  const out = [];
  for await (const b of readJsonRecords(memorySourceFile('t.json', text), keys)) out.push(...b);
  return out;
}

describe('JsonRecordScanner', () => {
  it('splits a wrapped CloudTrail file into records, across chunk boundaries, with lines', () => {
    const text = '{\n  "Records": [\n    {"a": "x,]}\\"y"},\n    {"b": [1, {"c": 2}]}\n  ],\n  "other": [9]\n}\n';
    const { records, layout } = scanAll(text);
    expect(layout).toBe('wrapped');
    expect(records.map((r) => r.value)).toEqual([{ a: 'x,]}"y' }, { b: [1, { c: 2 }] }]);
    expect(records.map((r) => r.line)).toEqual([3, 4]);
  });
  it('yields a top-level array element by element and a lone object whole', () => {
    expect(scanAll('[{"a":1},{"a":2}, 3]').records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }, 3]);
    const one = scanAll('{"eventName": "X", "list": [1,2]}');
    expect(one.layout).toBe('object');
    expect(one.records.map((r) => r.value)).toEqual([{ eventName: 'X', list: [1, 2] }]);
  });
  it('reports truncation and stray brackets with a position', () => {
    expect(() => scanAll('{"Records": [{"a": 1}, {"b": ')).toThrow(/truncated/);
    expect(() => scanAll('[{"a": 1]]')).toThrow(FormatError);
    expect(() => scanAll('[{"a": 1]]')).toThrow(/t\.json:1:\d+: unexpected '\]' \(expected '\}'\)/);
  });
  it('finds the same records whatever the chunking (property)', () => {
    const arb = fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 50 }), (values, chunk) => {
        const text = JSON.stringify({ Records: values }, null, chunk % 3);
        const got = scanAll(text, ['Records'], chunk).records.map((r) => r.value);
        expect(got).toEqual(JSON.parse(JSON.stringify(values)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('readJsonRecords', () => {
  it('reads NDJSON line by line and keeps a bad line as that record\'s error', async () => {
    const recs = await readAll('{"a":1}\n{"a":2}\n{"a":\n\n{"a":4}\n');
    expect(recs.map((r) => r.value ?? r.error)).toEqual([{ a: 1 }, { a: 2 }, expect.stringMatching(/not valid JSON/), { a: 4 }]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 3, 5]);
  });
  it('rejects empty and non-JSON files with the file named', async () => {
    await expect(readAll('   ')).rejects.toThrow(/t\.json:1: file is empty/);
    await expect(readAll('user,arn\n')).rejects.toThrow(/expected JSON/);
  });
  it('names the line of a syntax error inside a record', async () => {
    await expect(readAll('[\n{"a": 1},\n{"a": tru}\n]')).rejects.toThrow(/t\.json:3:\d+: record 1 is not valid JSON/);
  });
});
