import { fingerprint, isSecretKey, shortHash } from '../../lib/secrets.js';
import type { CredentialType, Provider } from '../../model/index.js';

/**
 * Recognising the credentials people paste into MCP client configurations and agent registries: the
 * value is only ever fingerprinted here; ids are built from the fingerprint, never from the secret.
 */
export interface FoundSecret {
  /** The secret itself: used to fingerprint and to scrub other strings, never stored. */
  secret: string;
  provider: Provider;
  type: CredentialType;
  label: string;
  /** An AWS access key id links to `aws:access-key:<id>`: it names the key, it is not the secret. */
  awsAccessKeyId?: string;
  /** Where it was found (`env GITHUB_TOKEN`, `header Authorization`, `arg 3`). */
  where: string;
}

interface Shape {
  re: RegExp;
  provider: Provider;
  type: CredentialType;
  label: string;
}

/** Known token shapes, most specific first. Anchored: a value is the token, not a text containing one. */
const SHAPES: readonly Shape[] = [
  { re: /^github_pat_[A-Za-z0-9_]{20,}$/, provider: 'github', type: 'personal_access_token', label: 'GitHub fine-grained PAT' },
  { re: /^ghp_[A-Za-z0-9]{20,}$/, provider: 'github', type: 'personal_access_token', label: 'GitHub classic PAT' },
  { re: /^gho_[A-Za-z0-9]{20,}$/, provider: 'github', type: 'oauth_refresh_token', label: 'GitHub OAuth token' },
  { re: /^gh[usr]_[A-Za-z0-9]{20,}$/, provider: 'github', type: 'api_token', label: 'GitHub App token' },
  { re: /^xoxb-[A-Za-z0-9-]{10,}$/, provider: 'slack', type: 'api_token', label: 'Slack bot token' },
  { re: /^xox[pas]-[A-Za-z0-9-]{10,}$/, provider: 'slack', type: 'api_token', label: 'Slack user token' },
  { re: /^xapp-[A-Za-z0-9-]{10,}$/, provider: 'slack', type: 'api_token', label: 'Slack app-level token' },
  { re: /^sk-ant-admin[A-Za-z0-9_-]{10,}$/, provider: 'anthropic', type: 'api_token', label: 'Anthropic admin key' },
  { re: /^sk-ant-[A-Za-z0-9_-]{20,}$/, provider: 'anthropic', type: 'api_token', label: 'Anthropic API key' },
  { re: /^sk-admin-[A-Za-z0-9_-]{10,}$/, provider: 'openai', type: 'api_token', label: 'OpenAI admin key' },
  { re: /^sk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}$/, provider: 'openai', type: 'api_token', label: 'OpenAI API key' },
  { re: /^AIza[0-9A-Za-z_-]{35}$/, provider: 'gcp', type: 'api_token', label: 'Google API key' },
  { re: /^glpat-[A-Za-z0-9_-]{20,}$/, provider: 'generic', type: 'personal_access_token', label: 'GitLab PAT' },
  { re: /^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}$/, provider: 'generic', type: 'api_token', label: 'JWT' },
];

const AWS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{16}$/;
/** A value that only points at a secret kept elsewhere: `${input:x}`, `${env:X}`, `$X`, `{{X}}`. */
const REFERENCE = /^\$\{[^}]+\}$|^\$[A-Z_][A-Z0-9_]*$|^\{\{[^}]+\}\}$/;
const INPUT_REF = /\$\{input:([^}]+)\}/g;

/** Providers named by an environment variable or header, for secrets of no recognisable shape. */
const NAME_PROVIDER: readonly [RegExp, Provider][] = [
  [/GITHUB|GH_/i, 'github'], [/SLACK/i, 'slack'], [/OPENAI/i, 'openai'], [/ANTHROPIC|CLAUDE/i, 'anthropic'],
  [/GOOGLE|GCP|GEMINI/i, 'gcp'], [/AWS/i, 'aws'], [/OKTA/i, 'okta'], [/AZURE|ENTRA/i, 'azure'],
];

const SECRET_NAME = /secret|token|passw|api[_-]?key|private[_-]?key|authorization|^auth$|credential/i;
/** Names people give secrets in env blocks and headers; wider than isSecretKey (`AWS_SECRET_ACCESS_KEY`, `X-Api-Key`). */
export function isSecretName(name: string): boolean {
  return isSecretKey(name) || SECRET_NAME.test(name);
}

/**
 * The secret held in one value, judged by its shape and by the name it is stored under. A value of
 * no known shape counts only under a secret-looking name (`*_TOKEN`, `*_API_KEY`, `Authorization`).
 */
export function recogniseSecret(name: string, raw: unknown, where: string): FoundSecret | null {
  if (typeof raw !== 'string') return null;
  let value = raw.trim();
  if (value.length < 8 || REFERENCE.test(value)) return null;
  const bearer = /^(?:Bearer|token|Basic)\s+(\S+)$/i.exec(value);
  if (bearer) value = bearer[1];
  if (AWS_KEY_ID.test(value)) {
    return { secret: value, provider: 'aws', type: value.startsWith('ASIA') ? 'session_key' : 'access_key', label: 'AWS access key', awsAccessKeyId: value, where };
  }
  for (const s of SHAPES) if (s.re.test(value)) return { secret: value, provider: s.provider, type: s.type, label: s.label, where };
  if (!isSecretName(name) && !bearer) return null;
  if (REFERENCE.test(value) || /\s/.test(value)) return null;
  const provider = NAME_PROVIDER.find(([re]) => re.test(name))?.[1] ?? 'generic';
  return { secret: value, provider, type: 'api_token', label: `${name} secret`, where };
}

/** Secret-shaped substrings of free text (arguments, URLs): `--token=...`, `?api_key=...`, a bare PAT. */
export function secretsInText(text: string, where: string): FoundSecret[] {
  const out: FoundSecret[] = [];
  for (const m of text.matchAll(/(?:^|[?&\s=:/])([A-Za-z0-9_.\-]{16,})(?=$|[&\s#/])/g)) {
    const found = recogniseSecret('', m[1], where);
    if (found && !found.awsAccessKeyId) out.push(found);
  }
  for (const m of text.matchAll(/(?:[?&]|--?)([A-Za-z_-]*(?:token|key|secret|password|auth)[A-Za-z_-]*)[=\s]([^&\s]{8,})/gi)) {
    const found = recogniseSecret(m[1], m[2], where);
    if (found && !out.some((f) => f.secret === found.secret)) out.push(found);
  }
  return out;
}

/** VS Code input ids a value refers to (`${input:github_token}`): secrets asked for at start-up. */
export function inputRefs(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return [...value.matchAll(INPUT_REF)].map((m) => m[1]);
}

/**
 * The id of a credential known only by its value: `<provider>:secret:<24 hex of its fingerprint>`.
 * The same secret in two files gets the same id; the id cannot be turned back into the secret.
 */
export function secretId(found: FoundSecret): string {
  if (found.awsAccessKeyId) return `${found.type === 'session_key' ? 'aws:session-key' : 'aws:access-key'}:${found.awsAccessKeyId}`;
  return `${found.provider}:secret:${shortHash(found.secret, 24)}`;
}

export function secretFingerprint(found: FoundSecret): string {
  return fingerprint(found.secret);
}

/** Replace every found secret inside a string with a marker naming its fingerprint. */
export function scrub(text: string, secrets: readonly FoundSecret[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.awsAccessKeyId) continue;
    if (out.includes(s.secret)) out = out.split(s.secret).join(`[redacted ${fingerprint(s.secret).slice(0, 19)}]`);
  }
  return out;
}
