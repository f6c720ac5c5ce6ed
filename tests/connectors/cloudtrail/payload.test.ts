import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../../src/connectors/aws-cloudtrail/ids.js';
import { LIMITS, MAYBE_SECRET, cleanPayload, newBudget } from '../../../src/connectors/aws-cloudtrail/payload.js';
import { fingerprint, redact, redactText } from '../../../src/lib/secrets.js';

/** Strings built from pieces of every secret pattern redactText knows, so that near-misses are tried too. */
const secretish = fc
  .array(fc.oneof(
    fc.constantFrom('ghp_', 'gho_', 'ghs_', 'github_pat_', 'xoxb-', 'xoxp-', 'sk-', 'sk-proj-', 'sk-ant-', 'AIza', 'eyJ', '.', 'Bearer ', 'Basic\t',
      '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', ' ', '\n'),
    fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '_', '-'), minLength: 1, maxLength: 40 }),
  ), { maxLength: 8 })
  .map((parts) => parts.join(''));

describe('cleanPayload', () => {
  it('drops STS secrets, fingerprints secret fields, keeps key ids', () => {
    const out = cleanPayload({
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG', sessionToken: 'IQoJb3JpZ2lu', expiration: 'x' },
      password: 'hunter2', clientSecret: 's3cr3t', note: 'use ghp_abcdefghijklmnopqrstuvwxyz0123456789 to push',
    }, newBudget());
    expect(out).toEqual({
      credentials: { accessKeyId: 'ASIAEXAMPLE', expiration: 'x' },
      password: fingerprint('hunter2'), clientSecret: fingerprint('s3cr3t'),
      note: redactText('use ghp_abcdefghijklmnopqrstuvwxyz0123456789 to push'),
    });
    expect(JSON.stringify(out)).not.toContain('ghp_abcdefghij');
  });

  it('caps long strings, long arrays and the total, and says so', () => {
    const budget = newBudget();
    const out = cleanPayload({ policy: 'x'.repeat(10_000), items: Array.from({ length: 500 }, (_, i) => ({ i })) }, budget) as { policy: string; items: unknown[] };
    expect(out.policy).toHaveLength(LIMITS.string + 1);
    expect(out.items.length).toBeLessThanOrEqual(LIMITS.array);
    expect(budget.truncated).toBe(true);
    const huge = newBudget();
    const big = cleanPayload(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])), huge);
    expect(JSON.stringify(big).length).toBeLessThan(LIMITS.total + 2 * LIMITS.string);
    expect(huge.truncated).toBe(true);
  });

  it('equals redact() on payloads within the caps (property)', () => {
    const value = fc.jsonValue({ maxDepth: 4 }).chain((v) => fc.oneof(
      fc.constant(v),
      fc.record({ token: secretish, nested: fc.record({ apiKey: secretish, text: secretish }), list: fc.array(secretish, { maxLength: 4 }) }),
    ));
    fc.assert(fc.property(value, (v) => {
      const budget = newBudget(Number.MAX_SAFE_INTEGER);
      const out = cleanPayload(v, budget);
      if (budget.truncated) return;
      expect(out).toEqual(redact(v));
    }), { numRuns: 1000 });
  });

  it('its pre-check sees every string redactText would change (property)', () => {
    fc.assert(fc.property(secretish, (s) => {
      if (redactText(s) !== s) expect(MAYBE_SECRET.test(s)).toBe(true);
    }), { numRuns: 5000 });
  });
});

describe('keyFingerprint', () => {
  it('is fingerprint() exactly (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 }), (a, b) => {
      expect(keyFingerprint(a)).toBe(fingerprint(a));
      expect(keyFingerprint(a + b)).toBe(fingerprint(a + b));
    }), { numRuns: 500 });
  });
});
