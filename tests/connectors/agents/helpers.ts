import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Connector, ParseOptions, SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile, openSourceFile, type SourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS, type RecordInputOf, type RecordKind } from '../../../src/model/index.js';

/** Every token written in the MCP client fixtures: none may survive parsing or loading, in any field. */
export const FIXTURE_TOKENS = [
  'ghp_FAKE0alice0token0000000000000000000a',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'xoxb-0000000000-FAKE0slack0bot0token',
  'sk-proj-FAKE0openai0key0for0tests0000000000',
  'sk-FAKE0openai0url0key000000000000',
  'sk-ant-api03-FAKE0anthropic0header0key0000000000',
  'github_pat_FAKE0carol0fine0grained0token000000000000',
  'lin_api_FAKE0linear0key0000000000',
];

export const FIXTURES = join(import.meta.dirname, '../../fixtures');
export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

export interface Parsed {
  items: SourceItem[];
  rejects: SourceItem[];
  of<K extends RecordKind>(kind: K): RecordInputOf<K>[];
  /** Every record as JSON text: what the store would hold. */
  text: string;
}

export async function parseFile(connector: Connector, file: SourceFile | string, options: Partial<ParseOptions> = {}): Promise<Parsed> {
  const f = typeof file === 'string' ? await openSourceFile(file) : file;
  const items: SourceItem[] = [];
  for await (const batch of connector.parse(f, { now: new Date('2026-11-11T00:00:00Z'), ...options })) items.push(...batch);
  return {
    items,
    rejects: items.filter((i) => i.reject !== undefined),
    of: <K extends RecordKind>(kind: K) => items.flatMap((i) => (i.records ?? []).filter((r) => r.kind === kind).map((r) => r.value as RecordInputOf<K>)),
    text: JSON.stringify(items.map((i) => i.records ?? [])),
  };
}

export const parseText = (connector: Connector, name: string, text: string, options: Partial<ParseOptions> = {}) => parseFile(connector, memorySourceFile(name, text), options);

/** Every record a connector yields must pass its schema, as ingest would check. */
export function expectValid(p: Parsed): void {
  for (const item of p.items) {
    for (const r of item.records ?? []) {
      const res = RECORD_SCHEMAS[r.kind].safeParse(r.value);
      expect(res.success, `${r.kind} of item ${item.index}: ${res.success ? '' : JSON.stringify(res.error.issues[0])}`).toBe(true);
    }
  }
}

/**
 * Fuzz a parser with damaged copies of a real fixture: truncation, a changed character, a spliced
 * value. The only acceptable outcomes are FormatError for the file, or items (records or rejects);
 * never another exception, and never a reject that reports a bug in the connector.
 */
export async function fuzzParser(connector: Connector, name: string, text: string, runs = 150): Promise<void> {
  const damaged = fc.oneof(
    fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
    fc.tuple(fc.integer({ min: 0, max: Math.max(0, text.length - 1) }), fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '0', 'x', '\n', ' ', '-', '\\', '#', 'é')).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.constantFrom('null', '123', '""', '[]', '{}', 'true', '"2026-13-45T99:00:00Z"', '-1e999', '"\\u0000"')).map(([i, v]) => {
      // Replace the next value after a colon with a value of another type.
      const colon = text.indexOf(':', i);
      if (colon === -1) return text;
      const end = text.slice(colon + 1).search(/[,}\]\n]/);
      return end === -1 ? text : text.slice(0, colon + 1) + v + text.slice(colon + 1 + end);
    }),
  );
  await fc.assert(
    fc.asyncProperty(damaged, async (t) => {
      try {
        const p = await parseText(connector, name, t);
        for (const i of p.items) if (i.reject) expect(i.reject).not.toMatch(/internal error/);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
      }
    }),
    { numRuns: runs },
  );
}
