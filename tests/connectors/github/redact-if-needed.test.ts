import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactIfNeeded } from '../../../src/lib/secrets.js';

/** The log connectors' fast path must redact exactly what redact() does. */
describe('redactIfNeeded', () => {
  const keys = fc.constantFrom('a', 'token', 'hashed_token', 'user', 'Password', 'x-api-key', 'private_key_data', 'client_secret', 'note', 'pat', 'cookie', 'SAMLAssertion', 'data');
  const secrets = fc.constantFrom(
    'ghp_abcdefghijklmnopqrstuvwxyz0123', 'xoxb-1234567890-abcdef', 'sk-proj-abcdefghijklmnopqrstuvwxyz', 'AIzaSyA-abcdefghijklmnopqrstuvwxyz012345',
    'Bearer abcdefghijklmnop1234', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnopqrst', '-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----',
  );
  const values = fc.oneof(fc.string(), secrets, fc.integer(), fc.boolean(), fc.constant(null));
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, values, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(keys, tie('node'), { maxKeys: 4 })),
  })).node;

  it('gives the same output as redact() on random payloads', () => {
    fc.assert(fc.property(tree, (t) => {
      expect(JSON.stringify(redactIfNeeded(t))).toBe(JSON.stringify(redact(t)));
    }), { numRuns: 5000, seed: 7 });
  });

  it('returns a payload with nothing secret as it is, and redacts one that has', () => {
    const clean = { action: 'repo.create', org: 'acme', n: 3 };
    expect(redactIfNeeded(clean)).toBe(clean);
    expect(redactIfNeeded({ config: { secret: 'whsec_abc' } })).toEqual({ config: { secret: expect.stringMatching(/^sha256:/) } });
  });
});
