import { toIso } from '../../lib/time.js';

/**
 * Times inside responseElements (credential expiration, key creation) are printed the Java way,
 * "Oct 10, 2023, 9:45:34 PM" or "Sep 27, 2022 5:09:18 PM", in UTC. They are secondary facts: a value
 * that is neither that nor ISO-8601 gives null rather than rejecting the event.
 */
const JAVA_DATE = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d\d):(\d\d) ([AP]M)$/;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

let lastIn: unknown;
let lastOut: string | null = null;

/** Memoised on the last value: bursts of AssumeRole calls share one expiration time. */
export function responseTime(value: unknown): string | null {
  if (value !== lastIn) {
    lastOut = parse(value);
    lastIn = value;
  }
  return lastOut;
}

function parse(value: unknown): string | null {
  if (typeof value === 'string') {
    const m = JAVA_DATE.exec(value);
    if (m) {
      const month = MONTHS[m[1]];
      if (month === undefined) return null;
      const hour = (Number(m[4]) % 12) + (m[7] === 'PM' ? 12 : 0);
      const d = new Date(Date.UTC(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6])));
      return Number.isNaN(d.getTime()) ? null : d.toISOString();
    }
  }
  try {
    return toIso(value);
  } catch {
    return null;
  }
}
