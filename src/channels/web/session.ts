import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { Scope, type Principal } from '../../audit/index.js';
import type { Db } from '../../store/index.js';

/**
 * Browser sessions for the web view. A browser cannot carry a bearer token, so the login page exchanges
 * one for a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure, and `__Host-` named,
 * when served over HTTPS). The server keeps only the id's hash, the token's id and its scopes; the token
 * itself is never kept. Each request re-checks the token's row, so that revoking the token ends its
 * sessions within seconds. Sessions live in memory: restarting `serve` signs everyone out.
 */
export const SESSION_MAX_MS = 8 * 3_600_000;
export const SESSION_IDLE_MS = 2 * 3_600_000;

export interface WebSession {
  principal: string;
  kind: Principal['kind'];
  tokenId: string;
  scopes: Scope[];
  /** Per-session CSRF token for the forms a signed-in page posts (logout). */
  csrf: string;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
}

const hash = (v: string) => createHash('sha256').update(v, 'utf8').digest('hex');

export function cookieName(secure: boolean, base: string): string {
  return secure ? `__Host-${base}` : base;
}

export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(v) ? v : null;
    }
  }
  return null;
}

export function setCookie(res: Response, name: string, value: string, o: { secure: boolean; maxAgeS: number; path?: string }): void {
  const attrs = [`${name}=${value}`, `Path=${o.path ?? '/'}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(o.maxAgeS))}`];
  if (o.secure) attrs.push('Secure');
  res.append('Set-Cookie', attrs.join('; '));
}

export function equalSecrets(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(hash(a));
  const y = Buffer.from(hash(b));
  return timingSafeEqual(x, y);
}

export class SessionStore {
  private sessions = new Map<string, WebSession>();
  private tokenRows = new Map<string, { ok: boolean; at: number }>();

  constructor(private readonly db: Db, private readonly now: () => number = Date.now, private readonly recheckMs = 5000) {}

  /** A session for a verified token's principal; returns the cookie value. */
  create(p: Principal & { tokenId: string; expiresAt: number }): { id: string; session: WebSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: WebSession = {
      principal: p.name, kind: p.kind, tokenId: p.tokenId, scopes: [...p.scopes], csrf: randomBytes(24).toString('base64url'),
      createdAt: now, lastSeen: now, expiresAt: Math.min(now + SESSION_MAX_MS, p.expiresAt * 1000),
    };
    this.sessions.set(hash(id), session);
    this.sweep(now);
    return { id, session };
  }

  /** The live session behind a cookie value, or null (unknown, expired, idle too long, token revoked). */
  async get(id: string | null): Promise<WebSession | null> {
    if (!id) return null;
    const key = hash(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    const now = this.now();
    if (now >= s.expiresAt || now - s.lastSeen > SESSION_IDLE_MS || !(await this.tokenStillValid(s.tokenId, now))) {
      this.sessions.delete(key);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  destroy(id: string | null): void {
    if (id) this.sessions.delete(hash(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private async tokenStillValid(tokenId: string, now: number): Promise<boolean> {
    const cached = this.tokenRows.get(tokenId);
    if (cached && now - cached.at < this.recheckMs) return cached.ok;
    const [r] = await this.db.query<{ revoked_at: Date | null; expires_at: Date }>('SELECT revoked_at, expires_at FROM api_tokens WHERE id = $1', [tokenId]);
    const ok = Boolean(r) && (!r.revoked_at || new Date(r.revoked_at).getTime() > now) && new Date(r.expires_at).getTime() > now;
    this.tokenRows.set(tokenId, { ok, at: now });
    return ok;
  }

  private sweep(now: number): void {
    if (this.sessions.size < 1000) return;
    for (const [k, s] of this.sessions) if (now >= s.expiresAt || now - s.lastSeen > SESSION_IDLE_MS) this.sessions.delete(k);
  }
}

export function scopesOf(list: readonly string[]): Scope[] {
  return list.filter((s): s is Scope => Scope.safeParse(s).success);
}
