import type { Environment, OwnerClaimInput } from '../../model/index.js';
import { OWNER_SOURCE_CONFIDENCE } from '../../model/index.js';
import { RecordError } from '../errors.js';

/**
 * AWS returns tags as `[{Key, Value}]`; some exporters flatten them to `{key: value}`. Both become a
 * plain record. Anything else is the record's problem, not the file's.
 */
export function tagMap(tags: unknown, field = 'Tags'): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  const out: Record<string, string> = {};
  if (Array.isArray(tags)) {
    for (const t of tags) {
      const key = (t as { Key?: unknown })?.Key;
      if (typeof key !== 'string') throw new RecordError(`${field}: expected [{Key, Value}] entries`);
      const value = (t as { Value?: unknown }).Value;
      out[key] = value === undefined || value === null ? '' : String(value);
    }
    return out;
  }
  if (typeof tags === 'object') {
    for (const [k, v] of Object.entries(tags as Record<string, unknown>)) out[k] = v === null || v === undefined ? '' : String(v);
    return out;
  }
  throw new RecordError(`${field}: expected a list of tags`);
}

/** Tag keys compared without case, `-`, `_` or spaces: `Data-Classification` = `data_classification`. */
export function normaliseTagKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}

const ENV_KEYS = new Set(['env', 'environment', 'stage', 'envname', 'environmentname', 'tier']);
const ENV_WORDS: Record<string, Environment> = {
  prod: 'prod', production: 'prod', prd: 'prod', live: 'prod',
  staging: 'staging', stg: 'staging', stage: 'staging', preprod: 'staging', uat: 'staging',
  dev: 'dev', development: 'dev', test: 'dev', testing: 'dev', sandbox: 'dev', qa: 'dev', sbx: 'dev',
};

/** Environment stated by a tag (`env`, `environment`, `stage`), or null when no tag says it. */
export function environmentFromTags(tags: Record<string, string>): Environment | null {
  for (const [k, v] of Object.entries(tags)) {
    if (!ENV_KEYS.has(normaliseTagKey(k))) continue;
    const env = ENV_WORDS[v.trim().toLowerCase()];
    if (env) return env;
    for (const token of nameTokens(v)) if (ENV_WORDS[token]) return ENV_WORDS[token];
  }
  return null;
}

/** Environment named by a token of a path or name (`/prod/`, `ci-staging-deploy`, `DevOpsRole` does not count). */
export function environmentFromNames(...texts: (string | null | undefined)[]): Environment | null {
  for (const text of texts) {
    if (!text) continue;
    for (const token of nameTokens(text)) {
      const env = ENV_WORDS[token];
      // `stage` alone is a verb in names (`stage-artifacts`); only tags may use it for the environment.
      if (env && token !== 'stage') return env;
    }
  }
  return null;
}

export function environmentOf(tags: Record<string, string>, ...texts: (string | null | undefined)[]): Environment {
  return environmentFromTags(tags) ?? environmentFromNames(...texts) ?? 'unknown';
}

const SEPARATORS = /[^A-Za-z0-9]+/;
const CAMEL = /([a-z0-9])([A-Z])|([A-Z]+)([A-Z][a-z])/g;

/** Lower-case words of a name: `ci-deploy_ProdRole` -> ci, deploy, prod, role. */
export function nameTokens(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(SEPARATORS)) {
    if (!part) continue;
    for (const w of part.replace(CAMEL, '$1$3 $2$4').split(' ')) if (w) out.push(w.toLowerCase());
  }
  return out;
}

const OWNER_KEYS = new Set(['owner', 'owneremail', 'contact', 'ownercontact', 'technicalowner', 'technicalcontact']);
const TEAM_KEYS = new Set(['team', 'ownerteam', 'teamname', 'owningteam']);

/**
 * Owner and team claims stated by tags. Connectors cannot resolve an email or a team to an identity,
 * so these stay claims for the ownership engine.
 */
export function ownerClaimsFromTags(target: string, tags: Record<string, string>): OwnerClaimInput[] {
  const claims: OwnerClaimInput[] = [];
  for (const [key, raw] of Object.entries(tags)) {
    const value = raw.trim();
    if (!value) continue;
    const k = normaliseTagKey(key);
    if (OWNER_KEYS.has(k)) {
      claims.push({
        target, ref: value, refType: value.includes('@') ? 'email' : 'username', role: 'owner',
        source: 'tag', confidence: OWNER_SOURCE_CONFIDENCE.tag, evidence: [`tag:${key}`],
      });
    } else if (TEAM_KEYS.has(k)) {
      claims.push({ target, ref: value, refType: 'team', role: 'team', source: 'tag', confidence: OWNER_SOURCE_CONFIDENCE.tag, evidence: [`tag:${key}`] });
    }
  }
  return claims;
}
