/**
 * `*` and `?` wildcard patterns as people and IAM write them (`arn:aws:s3:::customer-*`), compiled once
 * and cached: blast-radius and ownership matching run them over thousands of ids.
 */
const cache = new Map<string, RegExp>();

export function wildcard(pattern: string, opts: { caseInsensitive?: boolean } = {}): RegExp {
  const key = (opts.caseInsensitive ? 'i:' : 's:') + pattern;
  let re = cache.get(key);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, opts.caseInsensitive ? 'i' : '');
    if (cache.size > 50_000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

export function matchesAny(value: string, patterns: readonly string[], opts?: { caseInsensitive?: boolean }): boolean {
  for (const p of patterns) if (p === '*' || p === value || wildcard(p, opts).test(value)) return true;
  return false;
}
