import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINK_KEY_ENV, LinkSigner, linkSigner, MAX_LINK_TTL_MS } from '../../src/channels/links.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';

const NOW = Date.parse('2026-11-10T06:00:00Z');

describe('signed links', () => {
  const s = new LinkSigner(Buffer.alloc(32, 1));

  it('verifies its own link for that path until it expires', () => {
    const l = s.sign('/incidents/inc-0123456789', 3_600_000, NOW);
    expect(l.exp).toBe(NOW / 1000 + 3600);
    expect(l.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.verify('/incidents/inc-0123456789', String(l.exp), l.sig, NOW)).toBe('ok');
    expect(s.verify('/incidents/inc-0123456789', String(l.exp), l.sig, NOW + 3_600_000)).toBe('expired');
  });

  it('refuses another path, a later expiry, another key, and junk', () => {
    const l = s.sign('/incidents/inc-0123456789', 3_600_000, NOW);
    expect(s.verify('/incidents/inc-9999999999', String(l.exp), l.sig, NOW)).toBe('invalid');
    expect(s.verify('/incidents/inc-0123456789', String(l.exp + 86_400), l.sig, NOW)).toBe('invalid');
    expect(new LinkSigner(Buffer.alloc(32, 2)).verify('/incidents/inc-0123456789', String(l.exp), l.sig, NOW)).toBe('invalid');
    expect(s.verify('/incidents/inc-0123456789', undefined, l.sig, NOW)).toBe('invalid');
    expect(s.verify('/incidents/inc-0123456789', ['1', '2'], l.sig, NOW)).toBe('invalid');
    expect(s.verify('/incidents/inc-0123456789', String(l.exp), l.sig.slice(1), NOW)).toBe('invalid');
  });

  it('caps a lifetime at 30 days and refuses a link claiming more', () => {
    const l = s.sign('/', 365 * 86_400_000, NOW);
    expect(l.exp).toBe((NOW + MAX_LINK_TTL_MS) / 1000);
    const forged = s.signedPathUntil('/', NOW / 1000 + 90 * 86_400);
    const u = new URL(forged, 'http://x');
    expect(s.verify('/', u.searchParams.get('exp'), u.searchParams.get('sig'), NOW)).toBe('invalid');
  });

  it('property: a signature verifies only for the exact path and expiry it was made for', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), fc.integer({ min: 1, max: 86_400 }), (a, b, ttlS) => {
      const l = s.sign(a, ttlS * 1000, NOW);
      expect(s.verify(a, String(l.exp), l.sig, NOW)).toBe('ok');
      if (a !== b) expect(s.verify(b, String(l.exp), l.sig, NOW)).toBe('invalid');
    }), { numRuns: 200 });
  });

  it('refuses a short key', () => {
    expect(() => new LinkSigner(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
  });
});

describeStores('link key', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(() => db?.close());

  it('is created once in the store, so that notify and serve agree', async () => {
    const a = await linkSigner(db, {});
    const b = await linkSigner(db, {});
    const l = a.sign('/incidents/inc-0123456789', 60_000, NOW);
    expect(b.verify(l.path, String(l.exp), l.sig, NOW)).toBe('ok');
    const rows = await db.query(`SELECT name FROM copilot_keys`);
    expect(rows).toEqual([{ name: 'web-links' }]);
  });

  it('comes from IDCOPILOT_LINK_KEY when set, and a short one is refused', async () => {
    const env = { [LINK_KEY_ENV]: 'k'.repeat(40) };
    const a = await linkSigner(db, env);
    const l = a.sign('/', 60_000, NOW);
    expect(new LinkSigner(Buffer.from('k'.repeat(40))).verify('/', String(l.exp), l.sig, NOW)).toBe('ok');
    expect((await linkSigner(db, {})).verify('/', String(l.exp), l.sig, NOW)).toBe('invalid');
    await expect(linkSigner(db, { [LINK_KEY_ENV]: 'short' })).rejects.toThrow(/at least 32 characters/);
  });
});
