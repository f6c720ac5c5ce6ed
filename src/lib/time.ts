/**
 * Normalise a vendor timestamp to ISO-8601 UTC. Accepts ISO strings (with or without zone: a missing
 * zone is UTC, as CloudTrail and most exports mean), "YYYY-MM-DD HH:MM:SS" (SIEM exports, credential
 * reports), epoch seconds or milliseconds. Returns null for empty or AWS's "N/A"/"no_information";
 * throws `TimeError` for anything else, so the record is rejected with a reason.
 */
export class TimeError extends Error {}

const NA = new Set(['', 'N/A', 'n/a', 'no_information', 'not_supported', 'null', 'None', '-']);

export function toIso(value: unknown, field = 'time'): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TimeError(`${field}: not a finite number`);
    const ms = value > 1e12 ? value : value * 1000;
    return new Date(ms).toISOString();
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TimeError(`${field}: invalid date`);
    return value.toISOString();
  }
  if (typeof value !== 'string') throw new TimeError(`${field}: expected a timestamp, got ${typeof value}`);
  const s = value.trim();
  if (NA.has(s)) return null;
  // Fast path: CloudTrail's own shape, already UTC.
  if (s.length === 20 && s[10] === 'T' && s[19] === 'Z' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(s)) {
    const mo = +s.slice(5, 7);
    const d = +s.slice(8, 10);
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && +s.slice(11, 13) < 24 && +s.slice(14, 16) < 60 && +s.slice(17, 19) < 60) return `${s.slice(0, 19)}.000Z`;
    // Days 29-31 (and anything odd) take the full check below, which knows month lengths.
  }
  if (/^\d{10}(\.\d+)?$/.test(s)) return new Date(Number(s) * 1000).toISOString();
  if (/^\d{13}$/.test(s)) return new Date(Number(s)).toISOString();
  let t = s;
  if (/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(t)) t = t.replace(' ', 'T') + 'Z';
  else if (/^\d{4}-\d\d-\d\d$/.test(t)) t = t + 'T00:00:00Z';
  else if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?(Z|\s?(UTC|[+-]\d\d:?\d\d))$/.test(t)) t = t.replace(' ', 'T').replace(/\s?UTC$/, 'Z');
  if (!/^\d{4}-\d\d-\d\dT/.test(t)) throw new TimeError(`${field}: "${s.slice(0, 40)}" is not a timestamp (expected ISO-8601)`);
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) throw new TimeError(`${field}: "${s.slice(0, 40)}" is not a valid timestamp`);
  // Date rolls 2025-02-30 over to March: a day the calendar does not have is an error, not a guess.
  const m = /^(\d{4})-(\d\d)-(\d\d)/.exec(t);
  if (m && t.endsWith('Z') && (d.getUTCMonth() + 1 !== +m[2] || d.getUTCDate() !== +m[3])) {
    throw new TimeError(`${field}: "${s.slice(0, 40)}" is not a valid date`);
  }
  return d.toISOString();
}

/** Like toIso but a missing value is an error: for the one time a record cannot do without. */
export function requireIso(value: unknown, field: string): string {
  const iso = toIso(value, field);
  if (iso === null) throw new TimeError(`missing ${field}`);
  return iso;
}

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
/** Parse "30d", "12h", "90m", "2w" into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (expected e.g. 30m, 12h, 7d, 2w)`);
  return Number(m[1]) * UNITS[m[2]];
}

export function daysBetween(a: string | Date, b: string | Date): number {
  return (new Date(b).getTime() - new Date(a).getTime()) / 86400e3;
}
