import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible fingerprint of a secret or a credential identifier. Secrets are never
 * stored or printed: only this.
 */
export function fingerprint(value: string): string {
  return 'sha256:' + createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 32);
}

/** Short stable hash for ids derived from content. */
export function shortHash(value: string, length = 16): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, length);
}

/** Field names (lower-case, without - and _) that hold secrets in vendor payloads and client configs. */
const SECRET_KEYS = new Set([
  'secretaccesskey', 'secretkey', 'sessiontoken', 'password', 'passwd', 'clientsecret', 'privatekey',
  'privatekeydata', 'secret', 'secretvalue', 'secretstring', 'secretbinary', 'token', 'accesstoken',
  'refreshtoken', 'idtoken', 'apikey', 'xapikey', 'authorization', 'cookie', 'samlassertion',
  'webidentitytoken', 'bearertoken', 'pat', 'githubtoken', 'githubpersonalaccesstoken', 'slackbottoken',
  'openaiapikey', 'anthropicapikey',
]);

/** Values that look like live secrets whatever their field is called. */
const SECRET_VALUE = [
  /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}\b/g, // GitHub tokens
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, // Slack tokens
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g, // OpenAI / Anthropic keys
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/g, // JWTs
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/g,
  /\bidc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, // identity-copilot's own bearer tokens
];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(k) || /(token|secret|password|passwd|apikey|privatekey)$/.test(k);
}

/** Replace secret-looking substrings of free text with their fingerprint. */
export function redactText(text: string): string {
  let out = text;
  for (const re of SECRET_VALUE) out = out.replace(re, (m) => `[redacted ${fingerprint(m).slice(0, 19)}]`);
  return out;
}

/**
 * Deep copy with every secret field replaced by its fingerprint and secret-looking strings redacted.
 * Used on every vendor payload kept in `detail` / `attributes`.
 */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 20 || value === null || value === undefined) return value;
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1)) as T;
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && v !== '' && isSecretKey(k)) out[k] = fingerprint(v);
      else out[k] = redact(v, depth + 1);
    }
    return out as T;
  }
  return value;
}

/**
 * Anything redact() could change shows in the JSON text as one of these: a secret-named key or a
 * secret-shaped value. Deliberately broad: a false hit only costs the full redact().
 */
const MAYBE_SECRET = /token|secret|passw|api.?key|private.?key|authori[sz]ation|cookie|saml|"pat"|github|bearer|basic|xox|sk-|aiza|eyj|-----begin|gh[pousr]_|idc_/i;

/**
 * redact() for the hot path of log connectors: most records hold nothing secret, and for those the
 * value is returned as it is (no deep copy, no per-string regexes). Same output as redact() otherwise.
 */
export function redactIfNeeded<T>(value: T): T {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text !== undefined && MAYBE_SECRET.test(text) ? redact(value) : value;
}
