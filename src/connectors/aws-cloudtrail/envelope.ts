/**
 * CloudTrail records reach us in many envelopes: as delivered to S3, in EventBridge events, in
 * CloudWatch Logs subscriptions, in CloudTrail Lake and Athena rows, and in SIEM exports that renamed
 * or nested fields. This module turns one JSON value into the plain records inside it; the transform
 * only ever sees CloudTrail's own shape.
 *
 * A plain record (the common case) passes through untouched: no copy, no key rewriting.
 */
export type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The time fields pipelines put where eventTime was, in the order they are trusted. */
const TIME_FALLBACKS = ['@timestamp', 'p_event_time', 'time', 'timestamp'] as const;

/** The records inside one JSON value of a file. An empty list means the value held none. */
export function unwrap(value: unknown, depth = 0): Json[] {
  if (isObject(value)) {
    if (value.eventName !== undefined && value.eventTime !== undefined && value['detail-type'] === undefined) return [value];
    return unwrapObject(value, depth);
  }
  if (Array.isArray(value) && depth < 4) {
    if (isLakeRow(value)) return [fromLakeRow(value)];
    return value.flatMap((v) => unwrap(v, depth + 1));
  }
  return [];
}

function unwrapObject(o: Json, depth: number): Json[] {
  if (depth >= 4) return [o];
  // A whole delivered file on one line (SIEMs that forward S3 objects as they are).
  if (Array.isArray(o.Records)) return o.Records.flatMap((r) => unwrap(r, depth + 1));
  if (Array.isArray(o.QueryResultRows)) return o.QueryResultRows.flatMap((r) => unwrap(r, depth + 1));
  // An Elasticsearch / OpenSearch search response.
  if (isObject(o.hits) && Array.isArray(o.hits.hits)) return o.hits.hits.flatMap((h) => unwrap(h, depth + 1));
  // A CloudWatch Logs subscription payload: each log event's message is a CloudTrail record.
  if (Array.isArray(o.logEvents)) return o.logEvents.flatMap((e) => (isObject(e) ? unwrap(parseJsonText(e.message) ?? e, depth + 1) : []));

  let inner: unknown = null;
  if (typeof o['detail-type'] === 'string' && isObject(o.detail)) inner = o.detail; // EventBridge
  else if (isObject(o._source)) inner = o._source; // Elasticsearch / OpenSearch hit
  else if (isObject(o.result)) inner = o.result; // Splunk JSON export
  else if (typeof o._raw === 'string') inner = parseJsonText(o._raw); // Splunk raw event
  else if (typeof o.message === 'string' && o.eventname === undefined) inner = parseJsonText(o.message);
  if (isObject(inner) || Array.isArray(inner)) {
    const records = unwrap(inner, depth + 1);
    for (const r of records) inheritTime(r, o);
    return records;
  }
  return [normalizeFields(o)];
}

/** A record without eventTime takes the time its envelope or pipeline stamped on it. */
function inheritTime(r: Json, envelope: Json): void {
  if (r.eventTime !== undefined && r.eventTime !== null) return;
  for (const k of TIME_FALLBACKS) {
    if (envelope[k] !== undefined && envelope[k] !== null) {
      r.eventTime = envelope[k];
      return;
    }
  }
}

/**
 * Pipeline-shaped records: `@timestamp` for eventTime, Athena and Security Lake's lower-case column
 * names, and payloads stored as JSON text.
 */
export function normalizeFields(o: Json): Json {
  let r = o;
  if (r.eventName === undefined && (r.eventname !== undefined || r.useridentity !== undefined)) r = canonicalKeys(r, TOP_LEVEL);
  if (r.eventTime === undefined || r.eventTime === null) inheritTime(r, o);
  if (typeof r.userIdentity === 'string') r.userIdentity = parseStructText(r.userIdentity) ?? r.userIdentity;
  if (isObject(r.userIdentity) && hasLowerCaseKeys(r.userIdentity)) r.userIdentity = canonicalKeys(r.userIdentity, IDENTITY_KEYS, true);
  for (const k of JSON_TEXT_FIELDS) if (typeof r[k] === 'string') r[k] = parseStructText(r[k] as string) ?? r[k];
  return r;
}

const JSON_TEXT_FIELDS = ['requestParameters', 'responseElements', 'additionalEventData', 'resources', 'serviceEventDetails'];

const TOP_LEVEL = [
  'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'requestID', 'eventID',
  'readOnly', 'resources', 'eventType', 'apiVersion', 'managementEvent', 'recipientAccountId', 'serviceEventDetails',
  'sharedEventID', 'vpcEndpointId', 'vpcEndpointAccountId', 'eventCategory', 'sessionCredentialFromConsole', 'tlsDetails',
];
const IDENTITY_KEYS = [
  'type', 'principalId', 'arn', 'accountId', 'accessKeyId', 'userName', 'invokedBy', 'sessionContext', 'attributes',
  'mfaAuthenticated', 'creationDate', 'sessionIssuer', 'sourceIdentity', 'webIdFederationData', 'federatedProvider',
  'identityProvider', 'onBehalfOf', 'userId', 'identityStoreArn', 'credentialId', 'ec2RoleDelivery',
];

const LOWER_IDENTITY_KEYS = new Set(IDENTITY_KEYS.filter((k) => k !== k.toLowerCase()).map((k) => k.toLowerCase()));

function hasLowerCaseKeys(o: Json): boolean {
  for (const k in o) {
    if (LOWER_IDENTITY_KEYS.has(k)) return true;
    const v = o[k];
    if (isObject(v) && hasLowerCaseKeys(v)) return true;
  }
  return false;
}

/** Copy with lower-case keys renamed to CloudTrail's camelCase (nested objects too when `deep`). */
function canonicalKeys(o: Json, names: readonly string[], deep = false): Json {
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === '__proto__') continue;
    const name = byLower.get(k.toLowerCase()) ?? k;
    if (out[name] !== undefined && name !== k) continue; // a properly cased key wins over its lower-case twin
    out[name] = deep && isObject(v) ? canonicalKeys(v, names, true) : v;
  }
  return out;
}

function parseJsonText(text: unknown): unknown {
  if (typeof text !== 'string') return null;
  const t = text.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return null;
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

/**
 * JSON text, or the `{key=value, key={...}}` text Trino prints for a struct column (CloudTrail Lake and
 * Athena results when a whole userIdentity is selected). Values that themselves contain `, ` or `=`
 * cannot be told apart from the syntax there; those come out approximate, never as an exception.
 */
export function parseStructText(text: string): unknown {
  const json = parseJsonText(text);
  if (json !== null) return json;
  const t = text.trim();
  if (t[0] !== '{' || !t.includes('=')) return null;
  const state = { s: t, i: 0 };
  const v = readStruct(state);
  return isObject(v) ? v : null;
}

function readStruct(st: { s: string; i: number }, depth = 0): unknown {
  const { s } = st;
  if (s[st.i] !== '{' || depth > 16) return readScalar(st);
  st.i++;
  const out: Json = {};
  while (st.i < s.length) {
    while (s[st.i] === ' ' || s[st.i] === ',') st.i++;
    if (s[st.i] === '}') {
      st.i++;
      return out;
    }
    const eq = s.indexOf('=', st.i);
    if (eq === -1) break;
    const key = s.slice(st.i, eq).trim();
    st.i = eq + 1;
    const v = readStruct(st, depth + 1);
    if (key !== '__proto__') out[key] = v;
  }
  return out;
}

function readScalar(st: { s: string; i: number }): unknown {
  const { s } = st;
  let depth = 0;
  const start = st.i;
  while (st.i < s.length) {
    const c = s[st.i];
    if (c === '{' || c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0 && s[st.i + 1] === ' ') break;
    st.i++;
  }
  const v = s.slice(start, st.i).trim();
  return v === 'null' ? null : v;
}

/** A CloudTrail Lake result row: a list of single-key objects, one per selected column. */
function isLakeRow(a: unknown[]): boolean {
  if (a.length === 0) return false;
  for (const c of a) if (!isObject(c) || Object.keys(c).length !== 1) return false;
  return a.some((c) => /^(eventname|eventsource|eventtime|useridentity)/i.test(Object.keys(c as Json)[0]));
}

/** Merge a Lake row into one record; `userIdentity.arn`-style column names become nested fields. */
function fromLakeRow(row: unknown[]): Json {
  const out: Json = {};
  for (const cell of row as Json[]) {
    const [name, value] = Object.entries(cell)[0];
    const path = name.split('.');
    if (path.includes('__proto__')) continue;
    let at = out;
    for (let i = 0; i < path.length - 1; i++) {
      const next = at[path[i]];
      at = isObject(next) ? next : (at[path[i]] = {}) as Json;
    }
    at[path[path.length - 1]] = value;
  }
  return normalizeFields(out);
}
