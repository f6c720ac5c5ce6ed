/**
 * The facts a request is evaluated with: condition keys and policy variables. A key is in one of three
 * states: known with values, known to be absent (`null`: the principal has no such tag), or unknown
 * (not in the map). Only unknown keys make a result conditional.
 */
export class RequestContext {
  private readonly values = new Map<string, string[] | null>();
  /** Key prefixes whose keys are all known: one not set is absent (the principal's tags, from inventory). */
  private readonly complete: string[] = [];

  constructor(entries: Record<string, string | string[] | null> = {}) {
    for (const [k, v] of Object.entries(entries)) this.set(k, v);
  }

  /** Condition keys are case-insensitive (`aws:SourceIp` = `aws:sourceip`). */
  set(key: string, value: string | string[] | null | undefined): this {
    if (value === undefined) return this;
    this.values.set(key.toLowerCase(), value === null ? null : Array.isArray(value) ? value.map(String) : [String(value)]);
    return this;
  }

  /** Values of a key; `null` when known absent, `undefined` when unknown. */
  get(key: string): string[] | null | undefined {
    const k = key.toLowerCase();
    const v = this.values.get(k);
    if (v !== undefined) return v;
    for (const p of this.complete) if (k.startsWith(p)) return null;
    return undefined;
  }

  /** Declare every key under a prefix known (`aws:principaltag/`): those not set are absent. */
  completePrefix(prefix: string): this {
    this.complete.push(prefix.toLowerCase());
    return this;
  }


  /** A copy with more facts (the request's own keys on top of the principal's). */
  with(entries: Record<string, string | string[] | null | undefined>): RequestContext {
    const c = new RequestContext();
    for (const [k, v] of this.values) c.values.set(k, v);
    c.complete.push(...this.complete);
    for (const [k, v] of Object.entries(entries)) c.set(k, v);
    return c;
  }

  keys(): string[] {
    return [...this.values.keys()];
  }
}

const VARIABLE = /\$\{([^}]+)\}/g;
const SPECIAL: Record<string, string> = { '*': '*', '?': '?', '$': '$' };

/**
 * Substitute policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`). Returns null
 * when a variable is unknown, so that the caller can answer "maybe" instead of matching a literal.
 * A variable with a default (`${aws:PrincipalTag/team, 'none'}`) uses it when the key is known absent.
 */
export function substitute(text: string, ctx: RequestContext): string | null {
  if (!text.includes('${')) return text;
  let unknown = false;
  const out = text.replace(VARIABLE, (_m, body: string) => {
    const comma = body.indexOf(',');
    const key = (comma === -1 ? body : body.slice(0, comma)).trim();
    // `${*}` is a literal asterisk; matching it as a wildcard over-matches only names that contain one.
    if (SPECIAL[key] !== undefined) return SPECIAL[key];
    const v = ctx.get(key);
    if (v === undefined) {
      unknown = true;
      return '';
    }
    if (v === null || v.length === 0) {
      if (comma !== -1) return body.slice(comma + 1).trim().replace(/^'(.*)'$/, '$1');
      unknown = true;
      return '';
    }
    return v[0];
  });
  return unknown ? null : out;
}
