import { RecordError } from '../../lib/errors.js';

/** One statement of a policy document, normalised: every list a list, an empty Condition null. */
export interface Statement {
  /** Position in the document's Statement list (the entitlement id depends on it). */
  index: number;
  effect: 'Allow' | 'Deny';
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  conditions: Record<string, unknown> | null;
  principal: unknown;
  notPrincipal: unknown;
}

export interface PolicyDocument {
  document: Record<string, unknown>;
  statements: Statement[];
}

/**
 * The raw IAM API returns policy documents URL-encoded (`%7B%22Version%22...`); the CLI and SDKs decode
 * them. Both arrive here, so a string is decoded before it is parsed.
 */
export function decodePolicyDocument(raw: unknown, what: string): PolicyDocument {
  let doc = raw;
  if (typeof doc === 'string') {
    const text = doc.trimStart();
    let decoded = text;
    if (!text.startsWith('{')) {
      try {
        decoded = decodeURIComponent(text.replace(/\+/g, '%20'));
      } catch {
        throw new RecordError(`${what}: not URL-encoded JSON`);
      }
    }
    try {
      doc = JSON.parse(decoded);
    } catch {
      throw new RecordError(`${what}: not valid JSON`);
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RecordError(`${what}: ${raw === undefined || raw === null ? 'missing' : 'expected a policy document (an object)'}`);
  }
  return { document: doc as Record<string, unknown>, statements: statementsOf(doc as Record<string, unknown>, what) };
}

function statementsOf(doc: Record<string, unknown>, what: string): Statement[] {
  const raw = doc.Statement;
  if (raw === undefined) throw new RecordError(`${what}: missing Statement`);
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((s, index) => statement(s, index, what));
}

function statement(s: unknown, index: number, what: string): Statement {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new RecordError(`${what}: statement ${index} is not an object`);
  const st = s as Record<string, unknown>;
  const effect = st.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') {
    throw new RecordError(`${what}: statement ${index}: ${effect === undefined ? 'missing Effect' : `Effect ${JSON.stringify(effect)} (expected Allow or Deny)`}`);
  }
  const actions = strings(st.Action, what, index, 'Action');
  const notActions = strings(st.NotAction, what, index, 'NotAction');
  if (actions.length === 0 && notActions.length === 0) throw new RecordError(`${what}: statement ${index}: missing Action`);
  const cond = st.Condition;
  if (cond !== undefined && cond !== null && (typeof cond !== 'object' || Array.isArray(cond))) {
    throw new RecordError(`${what}: statement ${index}: Condition is not an object`);
  }
  return {
    index,
    effect,
    actions,
    notActions,
    resources: strings(st.Resource, what, index, 'Resource'),
    notResources: strings(st.NotResource, what, index, 'NotResource'),
    conditions: cond && Object.keys(cond).length > 0 ? (cond as Record<string, unknown>) : null,
    principal: st.Principal,
    notPrincipal: st.NotPrincipal,
  };
}

function strings(v: unknown, what: string, index: number, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new RecordError(`${what}: statement ${index}: ${field} must be a string or a list of strings`);
}
