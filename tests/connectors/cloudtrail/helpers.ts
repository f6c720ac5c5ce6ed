import { join } from 'node:path';
import type { Connector, SourceItem } from '../../../src/connectors/contract.js';
import { memorySourceFile, openSourceFile, type SourceFile } from '../../../src/connectors/shared/source-file.js';
import type { CanonicalRecord, RecordKind, RecordInputOf } from '../../../src/model/index.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/cloudtrail');
export const OWNERSHIP_FIXTURES = join(import.meta.dirname, '../../fixtures/ownership');
export const DELIVERED = join(FIXTURES, '111122223333_CloudTrail_us-east-1_20240501T1045Z_chain.json.gz');
export const EVENTBRIDGE = join(FIXTURES, 'eventbridge-assume-role-with-web-identity.json');
export const SIEM = join(FIXTURES, 'siem-export.ndjson');
export const LAKE = join(FIXTURES, 'lake-query-results.json');

export const NOW = new Date('2024-05-10T00:00:00Z');

export async function parseFile(connector: Connector, file: SourceFile | string, now = NOW): Promise<SourceItem[]> {
  const f = typeof file === 'string' ? await openSourceFile(file) : file;
  const out: SourceItem[] = [];
  for await (const batch of connector.parse(f, { now })) out.push(...batch);
  return out;
}

export function parseText(connector: Connector, name: string, text: string): Promise<SourceItem[]> {
  return parseFile(connector, memorySourceFile(name, text));
}

/** Every record of one kind across items, typed. */
export function recordsOf<K extends RecordKind>(items: SourceItem[], kind: K): RecordInputOf<K>[] {
  return items.flatMap((i) => (i.records ?? []).filter((r): r is Extract<CanonicalRecord, { kind: K }> => r.kind === kind).map((r) => r.value as RecordInputOf<K>));
}

/** The event of an item that holds one. */
export function eventOf(item: SourceItem): RecordInputOf<'event'> {
  const e = item.records?.find((r) => r.kind === 'event');
  if (!e) throw new Error(`item ${item.index} has no event (${item.reject ?? 'no reject either'})`);
  return e.value as RecordInputOf<'event'>;
}
