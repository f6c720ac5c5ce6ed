import { wildcard } from '../../lib/patterns.js';
import { compileCondition, type CompiledCondition } from './conditions.js';
import { substitute, type RequestContext } from './context.js';
import { MAYBE, NO, YES, type Tri } from './tri.js';

/**
 * A policy document compiled once (per policy id, see PolicyCache) into matchers: actions compare
 * without case, resources with case, both with `*` and `?`; conditions become three-valued tests.
 * Malformed statements are skipped and listed in `errors`: an evaluation never throws on a document
 * an export happened to mangle.
 */
export interface CompiledPolicy {
  id: string;
  statements: CompiledStatement[];
  errors: string[];
}

export interface CompiledStatement {
  policy: string;
  index: number;
  sid: string | null;
  effect: 'Allow' | 'Deny';
  actions: ActionMatcher | null;
  notActions: ActionMatcher | null;
  resources: ResourceMatcher | null;
  notResources: ResourceMatcher | null;
  principals: PrincipalMatcher | null;
  notPrincipals: PrincipalMatcher | null;
  condition: CompiledCondition | null;
  /** The lists as written, for summaries and risk categories. */
  raw: { actions: string[]; notActions: string[]; resources: string[]; notResources: string[] };
}

export class ActionMatcher {
  readonly any: boolean;
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(readonly written: string[]) {
    let any = false;
    for (const w of written) {
      const p = w.toLowerCase();
      if (p === '*' || p === '*:*') any = true;
      else if (p.includes('*') || p.includes('?')) this.patterns.push(wildcard(p));
      else this.exact.add(p);
    }
    this.any = any;
  }

  /** `action` must be lower-case (`iam:passrole`). */
  matches(action: string): boolean {
    if (this.any || this.exact.has(action)) return true;
    for (const re of this.patterns) if (re.test(action)) return true;
    return false;
  }

  /** Services the patterns name (`*` for a wildcard service). */
  services(): Set<string> {
    const out = new Set<string>();
    for (const w of this.written) {
      const c = w.indexOf(':');
      out.add(c === -1 ? '*' : w.slice(0, c).toLowerCase());
    }
    return out;
  }
}

export class ResourceMatcher {
  readonly any: boolean;
  private readonly fixed: Array<{ text: string; re: RegExp | null }> = [];
  private readonly variable: string[] = [];

  constructor(readonly written: string[]) {
    let any = false;
    for (const w of written) {
      if (w === '*') any = true;
      else if (w.includes('${')) this.variable.push(w);
      else this.fixed.push({ text: w, re: w.includes('*') || w.includes('?') ? resourcePattern(w) : null });
    }
    this.any = any;
  }

  matches(resource: string, ctx: RequestContext): Tri {
    if (this.any) return YES;
    for (const f of this.fixed) if (f.re ? f.re.test(resource) : f.text === resource) return YES;
    let result: Tri = NO;
    for (const v of this.variable) {
      const s = substitute(v, ctx);
      if (s === null) result = MAYBE;
      else if (s === resource || resourcePattern(s).test(resource)) return YES;
    }
    return result;
  }
}

/**
 * A resource pattern: ARN parts are matched one by one (a wildcard in the account part does not eat
 * the resource part), the resource part itself may hold `/` and `:`.
 */
function resourcePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    if (patternCache.size > 50_000) patternCache.clear();
    patternCache.set(pattern, (re = buildResourcePattern(pattern)));
  }
  return re;
}

const patternCache = new Map<string, RegExp>();

function buildResourcePattern(pattern: string): RegExp {
  if (!pattern.startsWith('arn:')) return wildcard(pattern);
  const parts = pattern.split(':');
  if (parts.length < 6) return wildcard(pattern);
  const head = parts.slice(0, 5).map((p) => p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^:]*').replace(/\?/g, '[^:]'));
  const tail = parts.slice(5).join(':').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${head.join(':')}:${tail}$`);
}

/** Who a resource or trust policy statement names. */
export interface PrincipalFacts {
  id: string;
  account: string | null;
  /** Service principals (`ec2.amazonaws.com`) and federated providers, for trust policies. */
  service?: string;
}

export class PrincipalMatcher {
  readonly anyone: boolean;
  private readonly ids = new Set<string>();
  private readonly accounts = new Set<string>();
  private readonly services = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(principal: unknown) {
    let anyone = false;
    if (principal === '*') anyone = true;
    else if (principal && typeof principal === 'object' && !Array.isArray(principal)) {
      for (const [type, value] of Object.entries(principal as Record<string, unknown>)) {
        for (const v of Array.isArray(value) ? value : [value]) {
          if (typeof v !== 'string') continue;
          if (type === 'AWS') {
            if (v === '*') anyone = true;
            else if (/^\d{12}$/.test(v)) this.accounts.add(v);
            else if (/^arn:[^:]+:iam::\d{12}:root$/.test(v)) this.accounts.add(v.split(':')[4]);
            else if (v.includes('*')) this.patterns.push(wildcard(v));
            else this.ids.add(v);
          } else if (type === 'Service' || type === 'Federated') this.services.add(v.toLowerCase());
          else if (type === 'CanonicalUser') this.ids.add(v);
        }
      }
    }
    this.anyone = anyone;
  }

  /**
   * `direct` when the policy names the principal itself (or everyone), `account` when it names the
   * principal's account: the account's own policies must then grant the access too.
   */
  match(p: PrincipalFacts): 'direct' | 'account' | null {
    if (this.anyone) return 'direct';
    if (this.ids.has(p.id)) return 'direct';
    if (p.service && this.services.has(p.service.toLowerCase())) return 'direct';
    for (const re of this.patterns) if (re.test(p.id)) return 'direct';
    // An assumed-role session is named by its role in most policies: compare the role ARN too.
    const role = sessionRole(p.id);
    if (role && this.ids.has(role)) return 'direct';
    if (p.account && this.accounts.has(p.account)) return 'account';
    return null;
  }
}

function sessionRole(id: string): string | null {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(id);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : null;
}

/** Compile a policy document (an object, or its JSON text). */
export function compilePolicy(id: string, document: unknown): CompiledPolicy {
  const out: CompiledPolicy = { id, statements: [], errors: [] };
  let doc = document;
  if (typeof doc === 'string') {
    try {
      doc = JSON.parse(doc);
    } catch {
      out.errors.push('document is not valid JSON');
      return out;
    }
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    out.errors.push('document is not an object');
    return out;
  }
  const raw = (doc as Record<string, unknown>).Statement;
  if (raw === undefined) {
    out.errors.push('document has no Statement');
    return out;
  }
  const list = Array.isArray(raw) ? raw : [raw];
  list.forEach((s, index) => {
    const st = compileStatement(id, index, s);
    if (typeof st === 'string') out.errors.push(`statement ${index}: ${st}`);
    else out.statements.push(st);
  });
  return out;
}

function compileStatement(policy: string, index: number, s: unknown): CompiledStatement | string {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return 'not an object';
  const st = s as Record<string, unknown>;
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return 'Effect is neither Allow nor Deny';
  const actions = strings(st.Action);
  const notActions = strings(st.NotAction);
  const resources = strings(st.Resource);
  const notResources = strings(st.NotResource);
  if (actions === null || notActions === null || resources === null || notResources === null) return 'Action and Resource must be strings or lists of strings';
  if (!actions.length && !notActions.length) return 'no Action';
  return {
    policy, index, sid: typeof st.Sid === 'string' ? st.Sid : null, effect: st.Effect,
    actions: actions.length ? new ActionMatcher(actions) : null,
    notActions: notActions.length ? new ActionMatcher(notActions) : null,
    // A statement without Resource (trust policies) applies to the resource the policy sits on.
    resources: resources.length ? new ResourceMatcher(resources) : notResources.length ? null : new ResourceMatcher(['*']),
    notResources: notResources.length ? new ResourceMatcher(notResources) : null,
    principals: st.Principal !== undefined ? new PrincipalMatcher(st.Principal) : null,
    notPrincipals: st.NotPrincipal !== undefined ? new PrincipalMatcher(st.NotPrincipal) : null,
    condition: compileCondition(st.Condition),
    raw: { actions, notActions, resources, notResources },
  };
}

function strings(v: unknown): string[] | null {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return null;
}

/** Does the statement cover this action (lower-case)? */
export function coversAction(st: CompiledStatement, action: string): boolean {
  if (st.actions) return st.actions.matches(action);
  return st.notActions ? !st.notActions.matches(action) : false;
}

/** Does the statement cover this resource? */
export function coversResource(st: CompiledStatement, resource: string, ctx: RequestContext): Tri {
  if (st.resources) return st.resources.matches(resource, ctx);
  if (st.notResources) {
    const m = st.notResources.matches(resource, ctx);
    return m === MAYBE ? MAYBE : m === YES ? NO : YES;
  }
  return YES;
}
