import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { LineCounter, isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import { CopilotError } from '../../lib/errors.js';
import { wildcard } from '../../lib/patterns.js';
import { SuppressionFile, SuppressionRule } from '../../model/index.js';
import type { AlertLite } from './alerts.js';

/**
 * Suppression rules: YAML files reviewed like code. Each rule names an author and an expiry, so that a
 * benign pattern (a nightly job, a known scanner) stops coming back without anything being silenced
 * forever by nobody. An alert is suppressed when every field a rule names matches it (`*` patterns,
 * case-insensitive); expired rules are ignored and reported.
 *
 *   suppressions:
 *     - id: backup-reads-at-night
 *       match: { rootIdentity: "arn:aws:iam::111122223333:role/backup-*", rule: "baseline:rate_spike" }
 *       reason: the nightly backup reads every bucket
 *       author: alice@example.com
 *       expires: 2027-03-31
 */
export const DEFAULT_SUPPRESSIONS_FILE = 'idcopilot.suppressions.yaml';

export interface Suppressions {
  path: string | null;
  active: SuppressionRule[];
  expired: SuppressionRule[];
}

/** Parse a suppressions file; a bad one fails loudly with file, line and what is wrong (a typo must not silence nothing, or everything). */
export function parseSuppressions(text: string, path: string): SuppressionRule[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new CopilotError('E_CONFIG', `${path}${pos ? `:${pos.line}` : ''}: not valid YAML (${e.message.split('\n')[0]})`);
  }
  let raw: unknown;
  try {
    raw = doc.toJS() ?? { suppressions: [] };
  } catch (err) {
    throw new CopilotError('E_CONFIG', `${path}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (Array.isArray(raw)) raw = { suppressions: raw };
  const parsed = SuppressionFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const idx = issue.path[0] === 'suppressions' && typeof issue.path[1] === 'number' ? issue.path[1] : null;
    let line: number | null = null;
    const list = isMap(doc.contents) ? doc.contents.get('suppressions', true) : isSeq(doc.contents) ? doc.contents : null;
    if (idx !== null && isSeq(list)) {
      const node = list.items[idx] as { range?: [number, number, number] } | undefined;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    }
    const id = idx !== null ? (raw as { suppressions?: { id?: unknown }[] }).suppressions?.[idx]?.id : undefined;
    throw new CopilotError('E_CONFIG', `${path}${line ? `:${line}` : ''}: ${typeof id === 'string' ? `suppression ${id}: ` : ''}${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const seen = new Set<string>();
  for (const r of parsed.data.suppressions) {
    if (seen.has(r.id)) throw new CopilotError('E_CONFIG', `${path}: suppression ${r.id} is defined twice`);
    seen.add(r.id);
  }
  return parsed.data.suppressions;
}

/** The file given, else ./idcopilot.suppressions.yaml when present; rules split by expiry at `now`. */
export function loadSuppressions(path: string | undefined, now: Date = new Date()): Suppressions {
  const file = path ?? (existsSync(DEFAULT_SUPPRESSIONS_FILE) ? DEFAULT_SUPPRESSIONS_FILE : null);
  if (!file) return { path: null, active: [], expired: [] };
  if (!existsSync(file)) throw new CopilotError('E_IO', `${file}: no such suppressions file`);
  const rules = parseSuppressions(readFileSync(file, 'utf8'), file);
  const active: SuppressionRule[] = [];
  const expired: SuppressionRule[] = [];
  for (const r of rules) (expiryMs(r) <= now.getTime() ? expired : active).push(r);
  return { path: file, active, expired };
}

/** A date alone expires at the end of that day (UTC). */
export function expiryMs(r: SuppressionRule): number {
  return /^\d{4}-\d\d-\d\d$/.test(r.expires) ? Date.parse(`${r.expires}T23:59:59.999Z`) : Date.parse(r.expires);
}

const like = (pattern: string, value: string | null | undefined) => value != null && (pattern === '*' || wildcard(pattern, { caseInsensitive: true }).test(value));

export function matches(r: SuppressionRule, a: AlertLite, root: string | null): boolean {
  const m = r.match;
  if (m.rule !== undefined && !like(m.rule, a.rule ?? '')) return false;
  if (m.source !== undefined && !like(m.source, a.source)) return false;
  if (m.title !== undefined && !like(m.title, a.title)) return false;
  if (m.identity !== undefined && !a.identities.some((i) => like(m.identity!, i)) && !a.credentials.some((c) => like(m.identity!, c))) return false;
  if (m.rootIdentity !== undefined && !like(m.rootIdentity, root)) return false;
  return true;
}

/** The first active rule that suppresses the alert, or null. */
export function suppressedBy(rules: SuppressionRule[], a: AlertLite, root: string | null): SuppressionRule | null {
  for (const r of rules) if (matches(r, a, root)) return r;
  return null;
}

/** Append a rule to a suppressions file (created when missing), keeping its comments; refuses a duplicate id. */
export function appendSuppression(path: string, rule: SuppressionRule): void {
  const checked = SuppressionRule.parse(rule);
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Suppression rules (idcopilot triage): reviewed like code; each has an author and an expiry.\nsuppressions: []\n';
  const existing = parseSuppressions(text, path);
  if (existing.some((r) => r.id === checked.id)) throw new CopilotError('E_USAGE', `${path}: a suppression named ${checked.id} already exists`);
  const doc = parseDocument(text);
  const item = doc.createNode(JSON.parse(JSON.stringify(checked)));
  const list = isMap(doc.contents) ? doc.contents.get('suppressions', true) : null;
  if (isSeq(list)) {
    list.flow = false;
    (list.items as unknown[]).push(item);
  } else if (isMap(doc.contents)) {
    const seq = new YAMLSeq();
    seq.items.push(item);
    (doc.contents as unknown as { set(k: string, v: unknown): void }).set('suppressions', seq);
  } else {
    doc.contents = doc.createNode({ suppressions: [JSON.parse(JSON.stringify(checked))] }) as never;
  }
  writeFileSync(path, doc.toString());
}
