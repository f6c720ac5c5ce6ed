import { fingerprint, isSecretKey, redactText } from '../../lib/secrets.js';

/**
 * Request and response payloads kept in an event's `detail`: redacted as redact() does (secret fields
 * become fingerprints, secret-looking text is replaced), with two differences that matter for logs:
 *
 * - STS session secrets (`secretAccessKey`, `sessionToken`) are dropped, not fingerprinted: a
 *   fingerprint of a short-lived secret serves no lookup and would only be stored billions of times.
 *   `accessKeyId` stays: it links later calls to the call that issued the session.
 * - The copy is capped (per string, per array, in total), since a few API calls (PutBucketPolicy,
 *   RunInstances with user data, Batch*) carry payloads that would dwarf every other column.
 *
 * One walk does redaction and capping, and free text is only handed to redactText() when a cheap
 * pre-check sees the start of a token it knows: this runs for every event, so it must not run seven
 * regular expressions over every string.
 */
const DROPPED_KEYS = new Set(['secretaccesskey', 'sessiontoken']);

/** The starts of every pattern redactText() replaces; tests/connectors/cloudtrail check the two agree. */
export const MAYBE_SECRET = /gh[pousr]_|github_pat_|xox[abposr]-|sk-|AIza|-----BEGIN|eyJ|Bearer\s|Basic\s/;

export const LIMITS = { string: 2048, array: 100, total: 16 * 1024, depth: 12 };

const keyKinds = new Map<string, 0 | 1 | 2>();
/** 0 plain, 1 secret (fingerprint), 2 dropped; cached because payload keys repeat endlessly. */
function keyKind(key: string): 0 | 1 | 2 {
  let k = keyKinds.get(key);
  if (k === undefined) {
    k = DROPPED_KEYS.has(key.toLowerCase()) ? 2 : isSecretKey(key) ? 1 : 0;
    if (keyKinds.size < 10_000) keyKinds.set(key, k);
  }
  return k;
}

export interface Budget {
  left: number;
  truncated: boolean;
}

export function newBudget(total = LIMITS.total): Budget {
  return { left: total, truncated: false };
}

/** A redacted, capped copy of a vendor payload. `budget` is shared across the payloads of one event. */
export function cleanPayload(value: unknown, budget: Budget, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string': {
      let s = value as string;
      if (s.length > LIMITS.string) {
        s = s.slice(0, LIMITS.string) + '…';
        budget.truncated = true;
      }
      budget.left -= s.length;
      return s.length >= 8 && MAYBE_SECRET.test(s) ? redactText(s) : s;
    }
    case 'number':
    case 'boolean':
      budget.left -= 4;
      return value;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (depth >= LIMITS.depth || budget.left <= 0) {
    budget.truncated = true;
    return Array.isArray(value) ? [] : {};
  }
  if (Array.isArray(value)) {
    const n = Math.min(value.length, LIMITS.array);
    const out: unknown[] = [];
    for (let i = 0; i < n && budget.left > 0; i++) out.push(cleanPayload(value[i], budget, depth + 1));
    if (out.length < value.length) budget.truncated = true;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in value as Record<string, unknown>) {
    if (budget.left <= 0) {
      budget.truncated = true;
      break;
    }
    const v = (value as Record<string, unknown>)[key];
    const kind = keyKind(key);
    if (kind === 2) continue;
    budget.left -= key.length;
    const clean = kind === 1 && typeof v === 'string' && v !== '' ? fingerprint(v) : cleanPayload(v, budget, depth + 1);
    // JSON.parse makes "__proto__" an own key; plain assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: clean, enumerable: true, writable: true, configurable: true });
    else out[key] = clean;
  }
  return out;
}
