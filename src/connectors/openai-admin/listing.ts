/**
 * Listings arrive in several wrappers: the vendors' list pages (`{"object": "list", "data": [...]}`),
 * bare arrays, CLI answers (`{"Findings": [...]}`, `{"Users": [...]}`), and fixture or backup files
 * that bundle several listings under their own keys (`{"OPENAI_USERS": [...], "OPENAI_PROJECTS": [...]}`).
 * This unwraps them to the objects inside, each with the key it was listed under.
 */
export interface Listed {
  value: unknown;
  /** The key of the list it came from (`data`, `Users`, `OPENAI_PROJECTS_MEMBERS`), or null. */
  group: string | null;
}

/** Unwrap a record to the objects it lists; a record that lists nothing is returned as it is. */
export function expandListing(value: unknown, isRecord: (v: Record<string, unknown>) => boolean, depth = 0): Listed[] {
  if (Array.isArray(value)) return value.map((v) => ({ value: v, group: null }));
  if (!value || typeof value !== 'object') return [{ value, group: null }];
  const o = value as Record<string, unknown>;
  if (isRecord(o) || depth > 3) return [{ value: o, group: null }];
  const out: Listed[] = [];
  for (const [key, v] of Object.entries(o)) {
    if (Array.isArray(v) && v.some((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      for (const x of v) out.push({ value: x, group: key });
    } else if (v && typeof v === 'object' && !Array.isArray(v)) {
      const inner = expandListing(v, isRecord, depth + 1);
      if (inner.length !== 1 || inner[0].value !== v) for (const x of inner) out.push({ value: x.value, group: x.group ?? key });
      else if (isRecord(v as Record<string, unknown>)) out.push({ value: v, group: key });
    }
  }
  return out.length ? out : [{ value: o, group: null }];
}
