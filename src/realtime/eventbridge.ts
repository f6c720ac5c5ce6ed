/**
 * An EventBridge target (an API destination pointed at POST /ingest) sends whatever its rule matched:
 * CloudTrail API calls next to GuardDuty and Security Hub findings, in one body. Connectors detect one
 * format per file, so a body that mixes detail-types is split into one part per detail-type, each
 * detected on its own. A body with one detail-type (the common case) is passed on untouched.
 */
export interface BodyPart {
  label: string;
  text: string;
}

const DETAIL_TYPE = /"detail-type"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

export function splitEventBridge(label: string, text: string): BodyPart[] {
  const whole = [{ label, text }];
  if (!text.includes('"detail-type"')) return whole;
  const kinds = new Set<string>();
  for (const m of text.matchAll(DETAIL_TYPE)) {
    kinds.add(m[1]);
    if (kinds.size > 1) break;
  }
  if (kinds.size < 2) return whole;
  const values = parseValues(text);
  // Unreadable: the connector reports where (FormatError) or rejects the bad lines.
  if (!values) return whole;
  const groups = new Map<string, string[]>();
  for (const v of values) {
    const dt = v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>)['detail-type'] === 'string'
      ? ((v as Record<string, unknown>)['detail-type'] as string) : '';
    const list = groups.get(dt);
    const line = JSON.stringify(v);
    if (list) list.push(line);
    else groups.set(dt, [line]);
  }
  return [...groups].map(([dt, lines], i) => ({ label: `${label}#${slug(dt) || `part${i + 1}`}`, text: lines.join('\n') + '\n' }));
}

/** The values of a JSON array, NDJSON, or a single value; null when any of it is not JSON. */
function parseValues(text: string): unknown[] | null {
  const t = text.trim();
  try {
    if (t.startsWith('[')) {
      const v = JSON.parse(t);
      return Array.isArray(v) ? v : [v];
    }
    return [JSON.parse(t)];
  } catch {
    // NDJSON: one value per line.
  }
  const out: unknown[] = [];
  for (const line of t.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      return null;
    }
  }
  return out;
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
}
