import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { registry } from '../../../src/connectors/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { RECORD_SCHEMAS, type CanonicalRecord } from '../../../src/model/index.js';
import { dataset } from '../../helpers/datasets.js';
import { parseWith } from './collect.js';

export const PANTHER_TESTS = dataset('panther-analysis', 'panther_rule_tests.jsonl');
export const hasPanther = existsSync(PANTHER_TESTS);

interface PantherTest { RuleID: string; TestName: string; LogTypes: string[] | null; Log: unknown }

/** Every Panther rule test whose LogTypes is exactly [logType], as one NDJSON file through auto-detection. */
export async function parsePanther(logType: string) {
  const tests = readFileSync(PANTHER_TESTS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PantherTest)
    .filter((t) => Array.isArray(t.LogTypes) && t.LogTypes.length === 1 && t.LogTypes[0] === logType);
  const file = memorySourceFile(`${logType}.ndjson`, tests.map((t) => JSON.stringify(t.Log)).join('\n') + '\n');
  const detected = registry.detect({ path: file.path, name: file.name, head: file.head });
  const parsed = await parseWith(detected!.connector, file);
  const byKey = new Map<string, { records?: CanonicalRecord[]; reject?: string }>();
  for (const item of parsed.items) byKey.set(`${tests[item.index].RuleID}|${tests[item.index].TestName}`, item);
  return { tests, connector: detected!.connector.name, parsed, byKey };
}

/** Each expected row: [RuleID|TestName, actor, target, chain fields that must match]. */
export type Expected = [string, string, string | null, Record<string, unknown>];

export function checkRows(byKey: Map<string, { records?: CanonicalRecord[]; reject?: string }>, rows: Expected[]): void {
  for (const [key, actor, target, chain] of rows) {
    const item = byKey.get(key);
    expect(item, key).toBeDefined();
    expect(item!.reject, key).toBeUndefined();
    const ev = item!.records!.find((r) => r.kind === 'event')!.value as { actorId: string; target: string | null; chain: Record<string, unknown> };
    expect({ key, actor: ev.actorId, target: ev.target ?? null }).toEqual({ key, actor, target });
    expect(ev.chain, key).toMatchObject(chain);
  }
}

/** Every record a parsed item yields is valid for its schema: none would be rejected by the pipeline. */
export function expectValid(records: CanonicalRecord[]): void {
  for (const r of records) {
    const res = RECORD_SCHEMAS[r.kind].safeParse(r.value);
    expect(res.success, `${r.kind} ${JSON.stringify(r.value).slice(0, 200)}: ${res.success ? '' : res.error.issues[0].message}`).toBe(true);
  }
}
