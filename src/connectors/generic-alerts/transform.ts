import { RecordError } from '../../lib/errors.js';
import { redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { isIdentityRef } from '../agent-registry/agents.js';
import { recogniseSecret, secretId } from '../mcp-client-config/tokens.js';
import { fieldOf, type Field } from './fields.js';
import { severityFromAny } from './severity.js';

type Obj = Record<string, unknown>;

const AWS_KEY = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * One alert of the generic format (a CSV row or a JSON object, any SIEM export) -> an alert and the
 * identities it names. Accounts given as identity ids or ARNs are linked as they are; an account
 * known only by its email becomes a `generic:user:h:<hash>` identity carrying that email, which
 * identity resolution links to the person; other account names stay entities. Access key ids link to
 * `aws:access-key:<id>`; a token value pasted into a key column is fingerprinted, never kept.
 */
export function genericAlertRecords(row: Obj, rawRef: string): CanonicalRecord[] {
  const fields = new Map<Field, unknown[]>();
  const extra: Obj = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined || v === '') continue;
    if (k === 'entities' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [ek, ev] of Object.entries(v as Obj)) push(fields, fieldOf(ek), ev, extra, `entities.${ek}`);
      continue;
    }
    push(fields, fieldOf(k), v, extra, k);
  }
  const one = (f: Field) => (fields.get(f) ?? []).map(String).find((s) => s.trim() !== '')?.trim() ?? null;
  const many = (f: Field) => [...new Set((fields.get(f) ?? []).flatMap(splitValues))];

  let time: string | null;
  try {
    time = toIso(fields.get('time')?.[0] ?? null, 'time');
  } catch (err) {
    throw new RecordError(`bad time: ${(err as Error).message}`);
  }
  if (!time) throw new RecordError('missing time');
  const title = one('title');
  if (!title) throw new RecordError('missing title');
  const severityGiven = fields.get('severity')?.[0];
  const severity = severityFromAny(severityGiven) ?? 'medium';
  const source = slug(one('source') ?? 'generic') || 'generic';

  const identities: string[] = [];
  const credentials: string[] = [];
  const entities: Record<string, string[]> = {};
  const out: CanonicalRecord[] = [];
  const entity = (k: string, v: string) => (entities[k] ??= []).includes(v) || entities[k].push(v);
  const identity = (id: string) => identities.includes(id) || identities.push(id);

  for (const a of [...many('identity'), ...many('account')]) {
    if (isIdentityRef(a)) identity(a);
    else if (EMAIL.test(a)) {
      const id = `generic:user:h:${shortHash(a.toLowerCase(), 16)}`;
      identity(id);
      out.push(rec.identity({ id, kind: a.toLowerCase().endsWith('.gserviceaccount.com') ? 'service_account' : 'human', provider: 'generic', name: a, email: a, lastSeenAt: time, origin: 'alert', attributes: { seenIn: source } }));
      entity('account', a);
    } else entity('account', a);
  }
  for (const k of many('key')) {
    if (AWS_KEY.test(k)) {
      const id = `${k.startsWith('ASIA') ? 'aws:session-key' : 'aws:access-key'}:${k}`;
      credentials.includes(id) || credentials.push(id);
      if (k.startsWith('AKIA')) out.push(rec.identity({ id, kind: 'api_key', provider: 'aws', name: k, lastSeenAt: time, origin: 'alert' }));
      continue;
    }
    if (isIdentityRef(k)) {
      credentials.includes(k) || credentials.push(k);
      continue;
    }
    const secret = recogniseSecret('token', k, 'alert');
    if (secret) {
      const id = secretId(secret);
      credentials.includes(id) || credentials.push(id);
    } else entity('key', k);
  }
  for (const ip of many('ip')) entity('ip', ip);
  for (const h of many('host')) entity('host', h);
  for (const app of many('application')) entity('application', app);
  for (const r of many('resource')) entity('resource', r);
  const confidence = Number(one('confidence'));
  const rawId = one('id');

  out.push(rec.alert({
    id: `${source}:${rawId ?? `h:${shortHash(JSON.stringify(row), 24)}`}`,
    time,
    source,
    severity,
    title: redactIfSecret(title),
    description: redactIfSecret(one('description') ?? ''),
    rule: one('rule'),
    identities,
    credentials,
    events: many('event'),
    entities,
    mitre: many('mitre').filter((m) => /^(T|TA)\d{4}(\.\d{3})?$/.test(m)),
    confidence: Number.isFinite(confidence) && confidence > 0 ? (confidence > 1 ? Math.min(1, confidence / 100) : confidence) : 0.7,
    rawRef,
    detail: {
      ...(Object.keys(extra).length ? { extra: redact(extra) } : {}),
      ...(severityGiven === undefined ? { severityDefaulted: true } : { severityGiven: String(severityGiven) }),
    },
  }));
  return out;
}

function push(fields: Map<Field, unknown[]>, f: Field | null, v: unknown, extra: Obj, key: string): void {
  if (!f) {
    extra[key] = v;
    return;
  }
  const list = fields.get(f) ?? [];
  if (Array.isArray(v)) list.push(...v);
  else list.push(v);
  fields.set(f, list);
}

/** Multi-valued cells: `a; b`, `a | b`, or JSON arrays; commas only when the value holds no spaces (so titles stay whole). */
function splitValues(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'object') return [JSON.stringify(v)];
  return String(v).split(/\s*[;|]\s*|,(?=\S)/).map((s) => s.trim()).filter(Boolean);
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9:]+/g, '-').replace(/^-+|-+$/g, '');
}

function redactIfSecret(text: string): string {
  return redact(text);
}
