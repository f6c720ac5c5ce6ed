import { join } from 'node:path';
import type { Connector, SourceItem } from '../../../src/connectors/contract.js';
import { openSourceFile, type SourceFile } from '../../../src/connectors/shared/source-file.js';
import type { CanonicalRecord, RecordInputOf, RecordKind } from '../../../src/model/index.js';

export const OKTA_FIXTURES = join(import.meta.dirname, '../../fixtures/okta');
export const ENTRA_FIXTURES = join(import.meta.dirname, '../../fixtures/entra');

/** Everything a connector made of one file: items, and its records by kind. */
export interface Parsed {
  items: SourceItem[];
  rejects: { index: number; line?: number; reason: string }[];
  all: CanonicalRecord[];
  of<K extends RecordKind>(kind: K): RecordInputOf<K>[];
}

export async function parseWith(connector: Connector, file: string | SourceFile, now = new Date('2025-06-01T00:00:00Z')): Promise<Parsed> {
  const source = typeof file === 'string' ? await openSourceFile(file) : file;
  const items: SourceItem[] = [];
  for await (const batch of connector.parse(source, { now })) items.push(...batch);
  const all = items.flatMap((i) => i.records ?? []);
  return {
    items,
    rejects: items.filter((i) => i.reject !== undefined).map((i) => ({ index: i.index, line: i.line, reason: i.reject! })),
    all,
    of: <K extends RecordKind>(kind: K) => all.filter((r) => r.kind === kind).map((r) => r.value as RecordInputOf<K>),
  };
}

/** The one edge (from, kind, to), or undefined. */
export function edge(p: Parsed, from: string, kind: string, to: string) {
  return p.of('edge').find((e) => e.from === from && e.kind === kind && e.to === to);
}
