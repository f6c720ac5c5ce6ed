/**
 * Shared by the GitHub, GCP and Kubernetes connector tests: run a connector on a file or text, collect
 * its items, check every record against its zod schema, and fuzz it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Connector, ParseOptions, SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile, openSourceFile, type SourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS, type CanonicalRecord, type RecordInputOf, type RecordKind } from '../../../src/model/index.js';
import { originRank } from '../../../src/store/tables.js';
import { dataset } from '../../helpers/datasets.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures');
export const NOW = new Date('2024-06-01T00:00:00Z');

export interface Parsed {
  items: SourceItem[];
  rejects: SourceItem[];
  records: CanonicalRecord[];
  of<K extends RecordKind>(kind: K): RecordInputOf<K>[];
  edge(from: string, kind: string, to: string): RecordInputOf<'edge'> | undefined;
  identity(id: string): RecordInputOf<'identity'> | undefined;
}

export async function parseFile(connector: Connector, file: SourceFile | string, options: Partial<ParseOptions> = {}): Promise<Parsed> {
  const f = typeof file === 'string' ? await openSourceFile(file) : file;
  const items: SourceItem[] = [];
  for await (const batch of connector.parse(f, { now: NOW, ...options })) items.push(...batch);
  return parsedOf(items);
}

export function parsedOf(items: SourceItem[]): Parsed {
  const records = items.flatMap((i) => i.records ?? []);
  const of = <K extends RecordKind>(kind: K) => records.filter((r) => r.kind === kind).map((r) => r.value as RecordInputOf<K>);
  return {
    items,
    rejects: items.filter((i) => i.reject !== undefined),
    records,
    of,
    edge: (from, kind, to) => of('edge').find((e) => e.from === from && e.kind === kind && e.to === to),
    // The strongest statement about an identity, ranked as the store merges (inventory > derived > log > alert).
    identity: (id) => {
      return of('identity').filter((i) => i.id === id).sort((a, b) => originRank(b.origin ?? 'inventory') - originRank(a.origin ?? 'inventory'))[0];
    },
  };
}

export const parseText = (connector: Connector, name: string, text: string, options: Partial<ParseOptions> = {}) =>
  parseFile(connector, memorySourceFile(name, text), options);

export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);
export const fixtureText = (...parts: string[]) => readFileSync(fixture(...parts), 'utf8');

/** Every record of every item must pass its schema: a connector bug would otherwise surface as a reject at ingest. */
export function expectValid(items: SourceItem[]): void {
  const bad: string[] = [];
  for (const item of items) {
    for (const r of item.records ?? []) {
      const res = RECORD_SCHEMAS[r.kind].safeParse(r.value);
      if (!res.success) bad.push(`item ${item.index} ${r.kind}: ${res.error.issues[0].path.join('.')}: ${res.error.issues[0].message}`);
    }
  }
  expect(bad).toEqual([]);
}

/** Reasons that only a programming error produces: a reject must name the field, not a stack. */
const BUG = /Cannot read prop|is not a function|is not iterable|undefined is not|null is not|Maximum call stack/;

/**
 * Random truncation and mutation of a fixture: the connector may throw FormatError (the file is not
 * readable as its format) or reject records, never anything else, and never emit an invalid record.
 */
export async function fuzzConnector(connector: Connector, name: string, text: string, runs = 150, options: Partial<ParseOptions> = {}): Promise<void> {
  const mutation = fc.oneof(
    fc.nat({ max: text.length }).map((n) => ({ kind: 'truncate' as const, n })),
    fc.record({ at: fc.nat({ max: text.length }), len: fc.nat({ max: 40 }), insert: fc.string({ maxLength: 12 }) }).map((m) => ({ kind: 'splice' as const, ...m })),
    fc.record({ at: fc.nat({ max: text.length }), insert: fc.constantFrom('null', '[]', '{}', '""', '0', '"x"', '-', ':', '\n', '---\n', '[', '}', '"9999-99-99"') }).map((m) => ({ kind: 'inject' as const, ...m })),
  );
  await fc.assert(
    fc.asyncProperty(mutation, async (m) => {
      const mutated = m.kind === 'truncate' ? text.slice(0, m.n)
        : m.kind === 'splice' ? text.slice(0, m.at) + m.insert + text.slice(m.at + m.len)
        : text.slice(0, m.at) + m.insert + text.slice(m.at);
      let items: SourceItem[] = [];
      try {
        items = (await parseText(connector, name, mutated, options)).items;
      } catch (err) {
        if (!(err instanceof FormatError)) throw new Error(`${m.kind}: ${(err as Error).stack}`);
        return;
      }
      for (const i of items) {
        if (i.reject !== undefined) {
          expect(i.reject, `reject reason for ${JSON.stringify(m)}`).not.toMatch(BUG);
          expect(i.reject.length).toBeGreaterThan(0);
        }
      }
      expectValid(items);
    }),
    { numRuns: runs, seed: 4242 },
  );
}

/** Panther rule tests (the `Log` of each) of exactly one log type, in file order. */
export function pantherLogs(logType: string): { rule: string; test: string; log: unknown }[] {
  const path = dataset('panther-analysis', 'panther_rule_tests.jsonl');
  const out: { rule: string; test: string; log: unknown }[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { RuleID: string; TestName: string; LogTypes: string[] | null; Log: unknown };
    if (Array.isArray(r.LogTypes) && r.LogTypes.length === 1 && r.LogTypes[0] === logType) out.push({ rule: r.RuleID, test: r.TestName, log: r.Log });
  }
  return out;
}

/** Each Panther test event on its own line, as a log pipeline would deliver it. */
export async function parsePantherLogs(connector: Connector, logs: { log: unknown }[]): Promise<Parsed> {
  return parseText(connector, 'panther.ndjson', logs.map((l) => JSON.stringify(l.log)).join('\n') + '\n');
}

/** The event of an item, with its observations: what the conformance tests check. */
export function eventOf(item: SourceItem) {
  const records = item.records ?? [];
  const event = records.find((r) => r.kind === 'event')?.value as RecordInputOf<'event'> | undefined;
  const observations = records.filter((r) => r.kind === 'observation').map((r) => r.value as RecordInputOf<'observation'>);
  return { event, observations };
}
