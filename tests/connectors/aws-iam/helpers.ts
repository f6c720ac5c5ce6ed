import { join } from 'node:path';
import type { Connector, SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile, openSourceFile, type SourceFile } from '../../../src/connectors/shared/source-file.js';
import type { RecordInputOf, RecordKind } from '../../../src/model/index.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/aws-iam');

export interface Parsed {
  items: SourceItem[];
  rejects: SourceItem[];
  of<K extends RecordKind>(kind: K): RecordInputOf<K>[];
}

export async function parseFile(connector: Connector, file: SourceFile | string): Promise<Parsed> {
  const f = typeof file === 'string' ? await openSourceFile(file) : file;
  const items: SourceItem[] = [];
  for await (const batch of connector.parse(f, { now: new Date('2024-06-01T00:00:00Z') })) items.push(...batch);
  return {
    items,
    rejects: items.filter((i) => i.reject !== undefined),
    of: <K extends RecordKind>(kind: K) => items.flatMap((i) => (i.records ?? []).filter((r) => r.kind === kind).map((r) => r.value as RecordInputOf<K>)),
  };
}

export const parseText = (connector: Connector, name: string, text: string) => parseFile(connector, memorySourceFile(name, text));
