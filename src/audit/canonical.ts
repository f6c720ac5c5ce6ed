import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: the same value always gives the same text, so that a
 * hash of it can be recomputed from the stored text, from an export, or by another tool.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, 0)) ?? 'null';
}

function sortKeys(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return value.toString();
    return value;
  }
  if (depth > 64) return '[too deep]';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v, depth + 1)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value as object).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== 'function') out[k] = sortKeys(v, depth + 1);
  }
  return out;
}

/** `sha256:<hex>` of the canonical JSON of a value: what the audit log keeps of a result. */
export function digest(value: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
