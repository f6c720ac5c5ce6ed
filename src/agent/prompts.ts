import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Prompts live in prompts/ as text files, with `{{name}}` placeholders filled here. */
export const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

const cache = new Map<string, string>();

export function prompt(name: string, values: Record<string, string | number> = {}): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(PROMPTS_DIR + name, 'utf8');
    cache.set(name, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
