import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/index.js';

/**
 * Signed, expiring links to web-view pages, for Slack messages: a browser opened from a phone at night
 * carries no bearer token, so the link itself grants reading that one page until it expires. The
 * signature covers the path and the expiry: a changed incident id or a later expiry fails.
 *
 * The key comes from IDCOPILOT_LINK_KEY (at least 32 characters) or, without it, from the store
 * (copilot_keys), created on first use, so that `notify` (which signs) and `serve` (which verifies)
 * agree without configuration.
 */
export const LINK_KEY_ENV = 'IDCOPILOT_LINK_KEY';
export const DEFAULT_LINK_TTL_MS = 7 * 86_400_000;
/** No flag can make a link outlive an on-call rotation by much. */
export const MAX_LINK_TTL_MS = 30 * 86_400_000;

export interface SignedLink {
  path: string;
  /** Unix seconds. */
  exp: number;
  sig: string;
}

export class LinkSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('the link key must be at least 32 bytes');
  }

  sign(path: string, ttlMs = DEFAULT_LINK_TTL_MS, now = Date.now()): SignedLink {
    const exp = Math.floor((now + Math.min(ttlMs, MAX_LINK_TTL_MS)) / 1000);
    return { path, exp, sig: this.mac(path, exp) };
  }

  /** `path?exp=...&sig=...`, for a base URL to be put in front of. */
  signedPath(path: string, ttlMs?: number, now?: number): string {
    const s = this.sign(path, ttlMs, now);
    return `${path}?exp=${s.exp}&sig=${s.sig}`;
  }

  /** A link to another page that expires with the one it is shown on (a signed list's incident links). */
  signedPathUntil(path: string, exp: number): string {
    return `${path}?exp=${exp}&sig=${this.mac(path, exp)}`;
  }

  /** 'ok', or why not: an expired link deserves a different page from a forged one. */
  verify(path: string, exp: unknown, sig: unknown, now = Date.now()): 'ok' | 'expired' | 'invalid' {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'invalid';
    const want = Buffer.from(this.mac(path, Number(exp)));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
    // A link signed with a lifetime beyond the ceiling was not signed by this code.
    if (Number(exp) * 1000 > now + MAX_LINK_TTL_MS + 60_000) return 'invalid';
    return Number(exp) * 1000 <= now ? 'expired' : 'ok';
  }

  private mac(path: string, exp: number): string {
    return createHmac('sha256', this.key).update(`idcopilot-link-v1\n${path}\n${exp}`, 'utf8').digest('base64url');
  }
}

/** The signer for this store: the environment's key, or the store's own (created once). */
export async function linkSigner(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<LinkSigner> {
  const fromEnv = env[LINK_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32) throw new Error(`${LINK_KEY_ENV} must be at least 32 characters`);
    return new LinkSigner(Buffer.from(fromEnv, 'utf8'));
  }
  const fresh = randomBytes(32).toString('base64url');
  // Two processes creating it at once both end up reading the one that won.
  await db.query(`INSERT INTO copilot_keys (name, secret) VALUES ('web-links', $1) ON CONFLICT (name) DO NOTHING`, [fresh]);
  const [row] = await db.query<{ secret: string }>(`SELECT secret FROM copilot_keys WHERE name = 'web-links'`);
  return new LinkSigner(Buffer.from(row.secret, 'base64url'));
}

/** Join a base URL (`https://copilot.example.com/` or with a path prefix) and an absolute path. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
