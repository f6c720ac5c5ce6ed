/**
 * The columns (CSV) or keys (JSON) of the generic alert format, with the names SIEM exports commonly
 * give them. Names are compared lower-cased without `_`, `-`, `.`, `@` or spaces. README, "Generic
 * alerts format", lists them.
 */
export const FIELD_ALIASES = {
  time: ['time', 'timestamp', '_time', '@timestamp', 'date', 'datetime', 'event_time', 'created_at', 'created', 'first_seen', 'detected_at', 'alert_time', 'generated_time'],
  id: ['id', 'alert_id', 'uid', 'finding_id', 'incident_id', 'alert_uid'],
  source: ['source', 'product', 'detector', 'vendor', 'tool', 'provider'],
  severity: ['severity', 'level', 'priority', 'urgency', 'risk', 'criticality', 'severity_label'],
  title: ['title', 'name', 'alert_name', 'rule_name', 'signature', 'summary', 'search_name', 'alert'],
  description: ['description', 'message', 'details', 'desc', 'msg'],
  rule: ['rule', 'rule_id', 'detection', 'analytic'],
  account: ['account', 'user', 'username', 'user_name', 'actor', 'principal', 'email', 'user_email', 'upn', 'src_user', 'user_principal_name'],
  identity: ['identity', 'identities', 'identity_id'],
  ip: ['ip', 'src_ip', 'source_ip', 'src', 'ip_address', 'client_ip', 'remote_ip', 'ips'],
  host: ['host', 'hostname', 'device', 'computer', 'dest_host', 'workstation', 'endpoint', 'hosts'],
  application: ['application', 'app', 'service', 'app_name', 'application_name', 'applications'],
  key: ['key', 'access_key', 'access_key_id', 'key_id', 'credential', 'credential_id', 'token_id', 'keys'],
  event: ['event', 'events', 'event_id', 'event_ids', 'related_events'],
  resource: ['resource', 'resources', 'target', 'object', 'dest'],
  mitre: ['mitre', 'technique', 'techniques', 'tactic', 'mitre_technique', 'attack'],
  confidence: ['confidence'],
} as const;

export type Field = keyof typeof FIELD_ALIASES;

export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[\s_\-.@]/g, '');
}

const LOOKUP = new Map<string, Field>();
for (const [field, names] of Object.entries(FIELD_ALIASES) as [Field, readonly string[]][]) {
  for (const n of names) if (!LOOKUP.has(normaliseName(n))) LOOKUP.set(normaliseName(n), field);
}

const seen = new Map<string, Field | null>();
/** The field a column or key means, or null for one the format does not use (kept in detail). Cached: keys repeat on every row. */
export function fieldOf(name: string): Field | null {
  let f = seen.get(name);
  if (f === undefined) {
    f = LOOKUP.get(normaliseName(name)) ?? null;
    if (seen.size > 10_000) seen.clear();
    seen.set(name, f);
  }
  return f;
}
