import { RecordError } from '../../lib/errors.js';
import type { Severity } from '../../model/index.js';

/**
 * Vendor severities onto info | low | medium | high | critical (the table is in README,
 * "Generic alerts format", and docs/connectors.md):
 *
 *   GuardDuty 0-10        <1 info, 1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical (GuardDuty's own bands)
 *   ASFF Normalized 0-100 0 info, 1-39 low, 40-69 medium, 70-89 high, 90-100 critical (Security Hub's bands)
 *   OCSF severity_id      1 info, 2 low, 3 medium, 4 high, 5 critical, 6 (fatal) critical; 0 / 99 use the text
 *   words                 info(rmational), debug, none -> info; low, minor -> low; medium, moderate, warn(ing)
 *                         -> medium; high, major, error, severe, important -> high; critical, fatal, emergency,
 *                         alert, crit -> critical
 */
const WORDS: Record<string, Severity> = {
  info: 'info', informational: 'info', information: 'info', debug: 'info', none: 'info', unknown: 'info',
  low: 'low', minor: 'low',
  medium: 'medium', moderate: 'medium', warn: 'medium', warning: 'medium',
  high: 'high', major: 'high', error: 'high', severe: 'high', important: 'high',
  critical: 'critical', crit: 'critical', fatal: 'critical', emergency: 'critical', alert: 'critical',
};

export function severityFromWord(word: string): Severity | null {
  return WORDS[word.trim().toLowerCase()] ?? null;
}

/** GuardDuty's 0-10 scale. */
export function severityFrom10(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score >= 1) return 'low';
  return 'info';
}

/** Security Hub's normalized 0-100 scale. */
export function severityFrom100(score: number): Severity {
  if (score >= 90) return 'critical';
  if (score >= 70) return 'high';
  if (score >= 40) return 'medium';
  if (score >= 1) return 'low';
  return 'info';
}

const OCSF_IDS: Record<number, Severity> = { 1: 'info', 2: 'low', 3: 'medium', 4: 'high', 5: 'critical', 6: 'critical' };
export function severityFromOcsf(id: unknown, text: unknown): Severity | null {
  if (typeof id === 'number' && OCSF_IDS[id]) return OCSF_IDS[id];
  return typeof text === 'string' ? severityFromWord(text) : null;
}

/**
 * A severity as a SIEM export writes it: a word, or a number (0-10 when at most 10, else 0-100).
 * A value that is none of these rejects the record: guessing would misrank it.
 */
export function severityFromAny(value: unknown, field = 'severity'): Severity | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value))) {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 100) throw new RecordError(`bad ${field} ${JSON.stringify(value)} (expected 0-10, 0-100 or a word)`);
    return n <= 10 ? severityFrom10(n) : severityFrom100(n);
  }
  if (typeof value === 'string') {
    const s = severityFromWord(value);
    if (s) return s;
  }
  throw new RecordError(`bad ${field} ${JSON.stringify(String(value).slice(0, 30))} (expected info, low, medium, high, critical or a number)`);
}
