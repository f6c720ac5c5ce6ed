import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connector, SourceItem } from '../../../src/connectors/contract.js';
import { connector as hrRoster } from '../../../src/connectors/hr-roster/index.js';
import { connector as ownershipMap } from '../../../src/connectors/ownership-map/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { OWNERSHIP_FIXTURES } from '../cloudtrail/helpers.js';

/** Damaged rosters and maps: a FormatError, or items that are valid records or rejects. Nothing else. */
const fixture = (name: string) => readFileSync(join(OWNERSHIP_FIXTURES, name), 'utf8');
const cases: [Connector, string, string][] = [
  [hrRoster, 'roster.csv', fixture('hr-roster.csv')],
  [ownershipMap, 'map.csv', fixture('ownership-map.csv')],
  [ownershipMap, 'map.yaml', fixture('ownership-map.yaml')],
];

async function check(connector: Connector, name: string, text: string): Promise<void> {
  const items: SourceItem[] = [];
  try {
    for await (const batch of connector.parse(memorySourceFile(name, text), { now: new Date('2024-05-10T00:00:00Z') })) items.push(...batch);
  } catch (err) {
    if (err instanceof FormatError) {
      expect(err.message.startsWith(name)).toBe(true);
      return;
    }
    throw err;
  }
  items.forEach((item, i) => expect(item.index).toBe(i));
  for (const item of items) {
    if (item.reject !== undefined) {
      expect(item.reject.length).toBeGreaterThan(0);
      continue;
    }
    for (const r of item.records!) {
      const ok = RECORD_SCHEMAS[r.kind].safeParse(r.value);
      expect(ok.success, `${name} item ${item.index}: ${r.kind} ${JSON.stringify(ok.error?.issues[0])}`).toBe(true);
    }
  }
}

const pieces = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('"', ',', '\n', '\r\n', ':', '- ', '  ', '[', ']', '{', '}', '#', '*', '@', '&a', '*a', '!!binary', '\uFEFF', '2024-02-30', 'owners:', 'terminated'),
);

describe('hr-roster and ownership-map: fuzz', () => {
  it('truncation (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...cases), fc.double({ min: 0, max: 1, noNaN: true }), async ([c, name, text], at) => {
      await check(c, name, text.slice(0, Math.floor(text.length * at)));
    }), { numRuns: 300 });
  });

  it('insertions and deletions anywhere (property)', async () => {
    const edits = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(8), pieces), { minLength: 1, maxLength: 6 });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...cases), edits, async ([c, name, text], list) => {
      let t = text;
      for (const [where, del, ins] of list) {
        const at = Math.floor(t.length * where);
        t = t.slice(0, at) + ins + t.slice(at + del);
      }
      await check(c, name, t);
    }), { numRuns: 600 });
  });

  it('any cell value (property)', async () => {
    const cell = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', '03/04/2024', '2024-13-01', '9999-12-31', 'N/A', 'team:', ';', '|', 'a@b', '00u1:x'));
    await fc.assert(fc.asyncProperty(fc.array(cell, { minLength: 11, maxLength: 11 }), fc.array(cell, { minLength: 4, maxLength: 4 }), async (row, mapRow) => {
      const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
      await check(hrRoster, 'r.csv', `${fixture('hr-roster.csv').split('\n')[0]}\n${row.map(quote).join(',')}\n`);
      await check(ownershipMap, 'm.csv', `identity,owner,team,note\n${mapRow.map(quote).join(',')}\n`);
      await check(ownershipMap, 'm.yaml', `owners:\n  - match: ${JSON.stringify(mapRow[0])}\n    owner: ${JSON.stringify(mapRow[1])}\n    team: ${JSON.stringify(mapRow[2])}\n`);
    }), { numRuns: 400 });
  });
});
