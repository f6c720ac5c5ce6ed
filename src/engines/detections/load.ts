import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { CopilotError } from '../../lib/errors.js';
import { parseDuration } from '../../lib/time.js';
import { compileMatch, compilePath, exactActions, type Predicate } from './matcher.js';
import { RuleFile, type Rule } from './schema.js';
import type { EventView } from './view.js';

export const RULES_DIR = fileURLToPath(new URL('./rules/', import.meta.url));

export interface CompiledRule {
  rule: Rule;
  file: string;
  matches: Predicate;
  /** The state key of first_time, burst and new_network rules; null when a key path is empty. */
  keyOf: (e: EventView) => string | null;
  distinctOf: ((e: EventView) => string | null) | null;
  windowMs: number;
  /** Exact action names the rule is limited to (an index for the hot path), or null. */
  actions: string[] | null;
}

export interface RuleSet {
  rules: CompiledRule[];
  /** Rules per exact action name, plus those that can see any action. */
  byAction: Map<string, CompiledRule[]>;
  anyAction: CompiledRule[];
  /** The longest burst window: how far back an incremental run re-reads to fill its windows. */
  maxWindowMs: number;
}

/** Read, validate and compile every rule file in `dir` (default: the built-in rules). */
export function loadRules(dir: string = RULES_DIR, opts: { include?: (r: Rule) => boolean } = {}): RuleSet {
  const rules: CompiledRule[] = [];
  const ids = new Map<string, string>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const path = join(dir, name);
    let raw: unknown;
    try {
      raw = YAML.parse(readFileSync(path, 'utf8'), { logLevel: 'error' });
    } catch (err) {
      throw new CopilotError('E_CONFIG', `${path}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    const parsed = RuleFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const idx = typeof issue.path[1] === 'number' ? issue.path[1] : null;
      const ruleId = idx !== null ? (raw as { rules?: { id?: string }[] }).rules?.[idx]?.id : undefined;
      throw new CopilotError('E_CONFIG', `${path}${ruleId ? ` rule ${ruleId}` : ''}: ${issue.path.join('.')}: ${issue.message}`);
    }
    for (const rule of parsed.data.rules) {
      if (ids.has(rule.id)) throw new CopilotError('E_CONFIG', `${path}: rule ${rule.id} is also defined in ${ids.get(rule.id)}`);
      ids.set(rule.id, path);
      if (!rule.enabled || (opts.include && !opts.include(rule))) continue;
      try {
        rules.push(compile(rule, path));
      } catch (err) {
        throw new CopilotError('E_CONFIG', `${path} rule ${rule.id}: ${(err as Error).message}`);
      }
    }
  }
  return index(rules);
}

export function compile(rule: Rule, file = '(inline)'): CompiledRule {
  const keys = rule.key.map(compilePath);
  const distinct = rule.distinct ? compilePath(rule.distinct) : null;
  return {
    rule,
    file,
    matches: compileMatch(rule.match),
    keyOf: (e) => {
      const parts: string[] = [];
      for (const k of keys) {
        const v = k(e)[0];
        if (v === undefined || v === null || v === '') return null;
        parts.push(String(v));
      }
      return parts.join('|');
    },
    distinctOf: distinct ? (e) => {
      const v = distinct(e)[0];
      return v === undefined || v === null ? null : String(v);
    } : null,
    windowMs: rule.window ? parseDuration(rule.window) : 0,
    actions: exactActions(rule.match),
  };
}

export function index(rules: CompiledRule[]): RuleSet {
  const byAction = new Map<string, CompiledRule[]>();
  const anyAction: CompiledRule[] = [];
  for (const r of rules) {
    if (r.actions === null) anyAction.push(r);
    else for (const a of r.actions) byAction.set(a, [...(byAction.get(a) ?? []), r]);
  }
  return { rules, byAction, anyAction, maxWindowMs: Math.max(0, ...rules.map((r) => r.windowMs)) };
}

/** The rules whose match block accepts the event (state-free: what `type` makes of it comes later). */
export function matchingRules(set: RuleSet, e: EventView): CompiledRule[] {
  const out: CompiledRule[] = [];
  const exact = set.byAction.get(e.action);
  if (exact) for (const r of exact) if (r.matches(e)) out.push(r);
  for (const r of set.anyAction) if (r.matches(e)) out.push(r);
  return out;
}
