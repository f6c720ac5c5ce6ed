import { wildcard } from '../../lib/patterns.js';
import type { Condition, Match } from './schema.js';
import type { EventView } from './view.js';

/**
 * Rules compiled once into closures: paths split, regular expressions and globs built when the rule
 * file loads, never per event. Evaluating a condition walks the event view and compares.
 */
export type Predicate = (e: EventView) => boolean;
type Getter = (e: EventView) => unknown[];

const EMPTY: unknown[] = [];

/** `detail.requestParameters.userName` -> a function returning the values there (several through `*`). */
export function compilePath(path: string): Getter {
  const segments = path.split('.');
  if (segments.some((s) => s === '')) throw new Error(`path "${path}": empty segment`);
  const wild = segments.includes('*');
  if (!wild) {
    return (e) => {
      let v: unknown = e;
      for (const s of segments) {
        v = step(v, s);
        if (v === undefined || v === null) return EMPTY;
      }
      return [v];
    };
  }
  return (e) => {
    let values: unknown[] = [e];
    for (const s of segments) {
      const next: unknown[] = [];
      for (const v of values) {
        if (s === '*') {
          const inner = parsedJson(v);
          if (Array.isArray(inner)) next.push(...inner);
          else if (inner && typeof inner === 'object') next.push(...Object.values(inner));
        } else {
          const x = step(v, s);
          if (x !== undefined && x !== null) next.push(x);
        }
      }
      if (next.length === 0) return EMPTY;
      values = next;
    }
    return values;
  };
}

/** Policy documents arrive as JSON text in CloudTrail: a path that goes past a string reads into it. */
function parsedJson(v: unknown): unknown {
  if (typeof v === 'string' && (v.startsWith('{') || v.startsWith('['))) {
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return v;
}

function step(v: unknown, key: string): unknown {
  const o = parsedJson(v);
  if (o === null || typeof o !== 'object') return undefined;
  return (o as Record<string, unknown>)[key];
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function same(a: unknown, b: unknown, ignoreCase: boolean): boolean {
  if (typeof a === 'string' && typeof b === 'string') return ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (typeof a === typeof b) return a === b;
  // Vendors write booleans and numbers as text as often as not ("true", "443").
  if ((typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean') && (typeof b === 'string' || typeof b === 'number' || typeof b === 'boolean')) {
    return ignoreCase ? String(a).toLowerCase() === String(b).toLowerCase() : String(a) === String(b);
  }
  return false;
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return null;
}

export function compileCondition(c: Condition): Predicate {
  if ('all' in c) {
    const parts = c.all.map(compileCondition);
    return (e) => parts.every((p) => p(e));
  }
  if ('any' in c) {
    const parts = c.any.map(compileCondition);
    return (e) => parts.some((p) => p(e));
  }
  if ('not' in c) {
    const inner = compileCondition(c.not);
    return (e) => !inner(e);
  }
  const get = compilePath(c.path);
  const ic = c.ignoreCase === true;
  if (c.exists !== undefined) {
    const want = c.exists;
    return (e) => get(e).some(present) === want;
  }
  if (c.equals !== undefined) {
    const x = c.equals;
    return (e) => get(e).some((v) => same(v, x, ic));
  }
  if (c.notEquals !== undefined) {
    const x = c.notEquals;
    return (e) => !get(e).some((v) => same(v, x, ic));
  }
  if (c.in !== undefined) {
    const xs = c.in;
    return (e) => get(e).some((v) => xs.some((x) => same(v, x, ic)));
  }
  if (c.notIn !== undefined) {
    const xs = c.notIn;
    return (e) => !get(e).some((v) => xs.some((x) => same(v, x, ic)));
  }
  if (c.regex !== undefined) {
    const re = new RegExp(c.regex, ic ? 'i' : '');
    return (e) => get(e).some((v) => {
      const t = text(v);
      return t !== null && re.test(t);
    });
  }
  if (c.glob !== undefined) {
    const res = (Array.isArray(c.glob) ? c.glob : [c.glob]).map((g) => wildcard(g, { caseInsensitive: ic }));
    return (e) => get(e).some((v) => typeof v === 'string' && res.some((re) => re.test(v)));
  }
  if (c.contains !== undefined) {
    const x = ic ? c.contains.toLowerCase() : c.contains;
    return (e) => get(e).some((v) => {
      if (Array.isArray(v)) return v.some((i) => same(i, x, ic));
      const t = text(v);
      return t !== null && (ic ? t.toLowerCase() : t).includes(x);
    });
  }
  if (c.equalsPath !== undefined || c.notEqualsPath !== undefined) {
    const other = compilePath((c.equalsPath ?? c.notEqualsPath)!);
    const want = c.equalsPath !== undefined;
    return (e) => {
      const mine = get(e);
      if (mine.length === 0) return !want;
      const theirs = other(e);
      return mine.some((v) => theirs.some((w) => same(v, w, ic))) === want;
    };
  }
  if (c.gt !== undefined || c.lt !== undefined) {
    const gt = c.gt;
    const lt = c.lt;
    return (e) => get(e).some((v) => {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isFinite(n) && (gt === undefined || n > gt) && (lt === undefined || n < lt);
    });
  }
  throw new Error(`condition on ${c.path} has no test`);
}

/** Exact names go in a set; glob patterns become one regular expression each. */
export function compileNames(names: string | string[] | undefined, caseInsensitive = false): ((v: string | null) => boolean) | null {
  if (names === undefined) return null;
  const list = Array.isArray(names) ? names : [names];
  if (list.includes('*')) return null;
  const exact = new Set(list.filter((n) => !/[*?]/.test(n)).map((n) => (caseInsensitive ? n.toLowerCase() : n)));
  const globs = list.filter((n) => /[*?]/.test(n)).map((n) => wildcard(n, { caseInsensitive }));
  return (v) => {
    if (v === null) return false;
    if (exact.has(caseInsensitive ? v.toLowerCase() : v)) return true;
    for (const g of globs) if (g.test(v)) return true;
    return false;
  };
}

/** The whole `match` block as one predicate, cheapest tests first. */
export function compileMatch(m: Match): Predicate {
  const provider = compileNames(m.provider);
  const service = compileNames(m.service);
  const action = compileNames(m.action);
  const kind = compileNames(m.actorKind);
  const outcome = m.outcome === 'any' ? null : m.outcome;
  const notFailure = m.outcome === 'not_failure';
  const all = m.all.map(compileCondition);
  const any = m.any.map(compileCondition);
  const none = m.none.map(compileCondition);
  return (e) => {
    if (notFailure ? e.outcome === 'failure' : outcome !== null && e.outcome !== outcome) return false;
    if (action && !action(e.action)) return false;
    if (provider && !provider(e.provider)) return false;
    if (service && !service(e.service)) return false;
    if (kind && !kind(e.actor.kind)) return false;
    for (const p of all) if (!p(e)) return false;
    if (any.length && !any.some((p) => p(e))) return false;
    for (const p of none) if (p(e)) return false;
    return true;
  };
}

/** The exact action names a match block is limited to, or null when it can see any action (globs, none given). */
export function exactActions(m: Match): string[] | null {
  if (m.action === undefined) return null;
  const list = Array.isArray(m.action) ? m.action : [m.action];
  return list.some((a) => /[*?]/.test(a)) ? null : list;
}
