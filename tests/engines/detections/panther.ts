import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { registry } from '../../../src/connectors/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { loadRules, type CompiledRule } from '../../../src/engines/detections/load.js';
import { viewFromEvent, type EventView } from '../../../src/engines/detections/view.js';
import { Event, type IdentityInput } from '../../../src/model/index.js';
import { dataset } from '../../helpers/datasets.js';

/**
 * Scoring the rule pack against panther-analysis's labelled rule tests: every test event of the
 * Panther rules a family maps to (src/engines/detections/panther-map.yaml) is parsed with the
 * project's own connectors and shown to the family's rules (their match block: Panther's tests judge
 * single events, so state and thresholds are left out). A test whose ExpectedResult is true and that
 * a rule matches is a true positive, and so on.
 */
export const PANTHER_TESTS = dataset('panther-analysis', 'panther_rule_tests.jsonl');
export const hasPanther = existsSync(PANTHER_TESTS);
export const MAP_FILE = new URL('../../../src/engines/detections/panther-map.yaml', import.meta.url);

interface PantherTest { RuleID: string; TestName: string; AnalysisType: string; LogTypes: string[] | null; ExpectedResult: boolean; Log: unknown }
export interface Family { name: string; rules: string[]; panther: string[] }
export interface FamilyScore { name: string; tests: number; tp: number; fp: number; fn: number; tn: number; unparsed: number; precision: number | null; recall: number | null; misses: string[] }

export function readFamilies(): Family[] {
  return (YAML.parse(readFileSync(MAP_FILE, 'utf8')) as { families: Family[] }).families;
}

/** Each test's log as an event view (null when no connector reads it or it is rejected). */
async function viewOf(t: PantherTest): Promise<EventView | null> {
  if (!t.Log || typeof t.Log !== 'object') return null;
  const file = memorySourceFile(`${t.RuleID}.ndjson`, JSON.stringify(t.Log) + '\n');
  const found = registry.detect({ path: file.path, name: file.name, head: file.head });
  if (!found) return null;
  for await (const batch of found.connector.parse(file, { now: new Date('2025-01-01T00:00:00Z') })) {
    for (const item of batch) {
      if (!item.records) return null;
      const ev = item.records.find((r) => r.kind === 'event');
      if (!ev) return null;
      const identities = new Map<string, IdentityInput>();
      for (const r of item.records) if (r.kind === 'identity') identities.set(r.value.id, r.value);
      return viewFromEvent(Event.parse(ev.value), identities);
    }
  }
  return null;
}

export async function scoreFamilies(families = readFamilies()): Promise<{ scores: FamilyScore[]; unknownRules: string[]; unknownPanther: string[] }> {
  const all = readFileSync(PANTHER_TESTS, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PantherTest).filter((t) => t.AnalysisType === 'rule');
  const pantherIds = new Set(all.map((t) => t.RuleID));
  const set = loadRules(undefined, { include: () => true });
  const byId = new Map<string, CompiledRule>(set.rules.map((r) => [r.rule.id, r]));
  const unknownRules = families.flatMap((f) => f.rules.filter((r) => !byId.has(r)));
  const unknownPanther = families.flatMap((f) => f.panther.filter((p) => !pantherIds.has(p)));
  const views = new Map<PantherTest, EventView | null>();
  const scores: FamilyScore[] = [];
  for (const f of families) {
    const rules = f.rules.map((r) => byId.get(r)).filter((r): r is CompiledRule => !!r);
    const s: FamilyScore = { name: f.name, tests: 0, tp: 0, fp: 0, fn: 0, tn: 0, unparsed: 0, precision: null, recall: null, misses: [] };
    for (const t of all.filter((x) => f.panther.includes(x.RuleID))) {
      if (!views.has(t)) views.set(t, await viewOf(t));
      const v = views.get(t)!;
      s.tests++;
      if (!v) s.unparsed++;
      const fired = v !== null && rules.some((r) => r.matches(v));
      if (fired && t.ExpectedResult) s.tp++;
      else if (fired) s.fp++;
      else if (t.ExpectedResult) s.fn++;
      else s.tn++;
      if (fired !== t.ExpectedResult) s.misses.push(`${fired ? 'FP' : 'FN'} ${t.RuleID} | ${t.TestName}${v ? '' : ' (not parsed)'}`);
    }
    s.precision = s.tp + s.fp ? round(s.tp / (s.tp + s.fp)) : null;
    s.recall = s.tp + s.fn ? round(s.tp / (s.tp + s.fn)) : null;
    scores.push(s);
  }
  return { scores, unknownRules, unknownPanther };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
