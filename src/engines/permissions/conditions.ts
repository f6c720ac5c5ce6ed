import ipaddr from 'ipaddr.js';
import { wildcard } from '../../lib/patterns.js';
import { substitute, type RequestContext } from './context.js';
import { MAYBE, NO, YES, and, type Tri } from './tri.js';

/**
 * IAM Condition blocks, compiled once per statement. Every operator and every key must hold (AND);
 * the values listed for one key are alternatives (OR). A key whose value is unknown makes the block
 * "maybe", never true or false: the decision it feeds is then labelled conditional.
 */
export interface CompiledCondition {
  /** Keys the block reads (lower-case), for explanations. */
  keys: string[];
  test(ctx: RequestContext): Tri;
}

type Compare = (actual: string, expected: string) => boolean | null;

interface OperatorSpec {
  compare: Compare;
  /** Negated operators (StringNotEquals, ...) hold when no listed value matches, and when the key is absent. */
  negated: boolean;
}

const str = (fn: (a: string, b: string) => boolean): Compare => fn;

const num = (fn: (a: number, b: number) => boolean): Compare => (a, b) => {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? fn(x, y) : false;
};

const date = (fn: (a: number, b: number) => boolean): Compare => (a, b) => {
  const x = toEpoch(a);
  const y = toEpoch(b);
  return x !== null && y !== null ? fn(x, y) : false;
};

function toEpoch(v: string): number | null {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

const like: Compare = (a, b) => wildcard(b).test(a);
const arnLike: Compare = (a, b) => arnMatch(a, b);

function arnMatch(actual: string, pattern: string): boolean {
  // ARNs compare part by part: a wildcard in one part never spills into the next.
  const ap = actual.split(':');
  const pp = pattern.split(':');
  if (pp.length > 6 || ap.length < 6) return wildcard(pattern).test(actual);
  const aParts = [...ap.slice(0, 5), ap.slice(5).join(':')];
  const pParts = [...pp.slice(0, 5), pp.slice(5).join(':')];
  return pParts.every((p, i) => wildcard(p).test(aParts[i] ?? ''));
}

function ipIn(actual: string, cidr: string): boolean | null {
  try {
    const addr = ipaddr.parse(actual);
    const [range, bits] = cidr.includes('/') ? ipaddr.parseCIDR(cidr) : [ipaddr.parse(cidr), ipaddr.parse(cidr).kind() === 'ipv4' ? 32 : 128];
    if (addr.kind() !== range.kind()) {
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address().match(range, bits);
      return false;
    }
    return addr.match(range, bits);
  } catch {
    return null;
  }
}

const OPERATORS: Record<string, OperatorSpec> = {
  stringequals: { compare: str((a, b) => a === b), negated: false },
  stringnotequals: { compare: str((a, b) => a === b), negated: true },
  stringequalsignorecase: { compare: str((a, b) => a.toLowerCase() === b.toLowerCase()), negated: false },
  stringnotequalsignorecase: { compare: str((a, b) => a.toLowerCase() === b.toLowerCase()), negated: true },
  stringlike: { compare: like, negated: false },
  stringnotlike: { compare: like, negated: true },
  numericequals: { compare: num((a, b) => a === b), negated: false },
  numericnotequals: { compare: num((a, b) => a === b), negated: true },
  numericlessthan: { compare: num((a, b) => a < b), negated: false },
  numericlessthanequals: { compare: num((a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: num((a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: num((a, b) => a >= b), negated: false },
  dateequals: { compare: date((a, b) => a === b), negated: false },
  datenotequals: { compare: date((a, b) => a === b), negated: true },
  datelessthan: { compare: date((a, b) => a < b), negated: false },
  datelessthanequals: { compare: date((a, b) => a <= b), negated: false },
  dategreaterthan: { compare: date((a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: date((a, b) => a >= b), negated: false },
  bool: { compare: str((a, b) => a.toLowerCase() === b.toLowerCase()), negated: false },
  binaryequals: { compare: str((a, b) => a === b), negated: false },
  ipaddress: { compare: ipIn, negated: false },
  notipaddress: { compare: ipIn, negated: true },
  arnequals: { compare: arnLike, negated: false },
  arnlike: { compare: arnLike, negated: false },
  arnnotequals: { compare: arnLike, negated: true },
  arnnotlike: { compare: arnLike, negated: true },
};

interface Clause {
  key: string;
  values: string[];
  set: 'single' | 'any' | 'all';
  ifExists: boolean;
  op: OperatorSpec | 'null' | null;
}

/** Compile a Condition block; null when there is none. Malformed blocks compile to "maybe", never throw. */
export function compileCondition(block: unknown): CompiledCondition | null {
  if (block === null || block === undefined) return null;
  if (typeof block !== 'object' || Array.isArray(block)) return { keys: [], test: () => MAYBE };
  const clauses: Clause[] = [];
  for (const [rawOp, body] of Object.entries(block as Record<string, unknown>)) {
    let op = rawOp.toLowerCase();
    let set: Clause['set'] = 'single';
    if (op.startsWith('foranyvalue:')) (set = 'any'), (op = op.slice(12));
    else if (op.startsWith('forallvalues:')) (set = 'all'), (op = op.slice(13));
    const ifExists = op.endsWith('ifexists');
    if (ifExists) op = op.slice(0, -8);
    const spec = op === 'null' ? 'null' : OPERATORS[op] ?? null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      clauses.push({ key: '', values: [], set, ifExists, op: null });
      continue;
    }
    for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
      const values = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
      clauses.push({ key: key.toLowerCase(), values, set, ifExists, op: spec });
    }
  }
  if (clauses.length === 0) return null;
  return {
    keys: [...new Set(clauses.map((c) => c.key).filter(Boolean))],
    test(ctx) {
      let result: Tri = YES;
      for (const c of clauses) {
        result = and(result, testClause(c, ctx));
        if (result === NO) return NO;
      }
      return result;
    },
  };
}

function testClause(c: Clause, ctx: RequestContext): Tri {
  if (c.op === null) return MAYBE;
  const actual = ctx.get(c.key);
  if (actual === undefined) return MAYBE;
  if (c.op === 'null') {
    // {"Null": {"key": "true"}} holds when the key is absent.
    const absent = actual === null || actual.length === 0;
    return c.values.some((v) => String(v).toLowerCase() === (absent ? 'true' : 'false')) ? YES : NO;
  }
  const op = c.op;
  const absent = actual === null || actual.length === 0;
  if (absent) {
    if (c.ifExists) return YES;
    if (c.set === 'all') return YES;
    if (c.set === 'any') return NO;
    return op.negated ? YES : NO;
  }
  const expected: string[] = [];
  for (const v of c.values) {
    const s = substitute(v, ctx);
    if (s === null) return MAYBE;
    expected.push(s);
  }
  let sawUnknown = false;
  const matchesOne = (a: string): boolean => {
    for (const e of expected) {
      const r = op.compare(a, e);
      if (r === null) sawUnknown = true;
      else if (r) return true;
    }
    return false;
  };
  const perValue = (a: string): boolean => (op.negated ? !matchesOne(a) : matchesOne(a));
  let holds: boolean;
  if (c.set === 'all') holds = actual.every(perValue);
  else if (c.set === 'any') holds = actual.some(perValue);
  // A plain operator on a multi-valued key: one value may satisfy it; a negated one must hold for all.
  else holds = op.negated ? actual.every(perValue) : actual.some(perValue);
  if (sawUnknown) return MAYBE;
  return holds ? YES : NO;
}
