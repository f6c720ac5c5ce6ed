import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { Config } from '../model/config.js';
import { CopilotError } from './errors.js';
import { isSecretKey } from './secrets.js';

export const DEFAULT_CONFIG_FILE = 'idcopilot.yaml';

/**
 * Load and validate idcopilot.yaml (`--config FILE`; `./idcopilot.yaml` when present; defaults
 * otherwise). Secrets are refused here: they come only from the environment.
 */
export function loadConfig(path?: string): Config {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null);
  if (!file) return Config.parse({});
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new CopilotError('E_CONFIG', `${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  const secret = findSecretKey(raw);
  if (secret) {
    throw new CopilotError('E_CONFIG', `${file}: "${secret}" looks like a secret; secrets come only from the environment (OPENAI_API_KEY, SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL)`);
  }
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CopilotError('E_CONFIG', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

function findSecretKey(value: unknown, path: string[] = []): string | null {
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(k)) return [...path, k].join('.');
    const inner = findSecretKey(v, [...path, k]);
    if (inner) return inner;
  }
  return null;
}
