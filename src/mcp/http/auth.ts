import type { NextFunction, Request, Response } from 'express';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { hasScope, tokenIdOf, type Principal, type Scope, type TokenVerifier } from '../../audit/index.js';
import type { Client } from '../call.js';
import type { RateLimiter } from './limits.js';

/** What the authenticated request carries from here on (res.locals.copilot). */
export interface RequestCaller {
  principal: Principal & { tokenId: string; expiresAt: number };
  client: Client;
  auth: AuthInfo;
}

export interface AuthDeps {
  verifier: TokenVerifier;
  perToken: RateLimiter;
  /** Unauthenticated attempts per address. */
  perAddress: RateLimiter;
  /** Told of every refusal, for the audit log (already rate-limited per address or token). */
  onRefused(event: { status: 401 | 403 | 429; req: Request; principal: Principal | null; reason: string; tokenId: string | null }): void;
}

export function clientOf(req: Request): Client {
  const ua = req.headers['user-agent'];
  return { ip: req.socket.remoteAddress ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}

/** 401 says nothing of why: a missing, malformed, unknown, revoked or expired token all look the same. */
export function unauthorized(res: Response): void {
  res.status(401).set('WWW-Authenticate', 'Bearer realm="identity-copilot"').set('Cache-Control', 'no-store').json({ error: 'unauthorized' });
}

export function forbidden(res: Response, scope: Scope, id: unknown = null): void {
  res.status(403)
    .set('WWW-Authenticate', `Bearer realm="identity-copilot", error="insufficient_scope", scope="${scope}"`)
    .json({ jsonrpc: '2.0', id: id ?? null, error: { code: -32003, message: `forbidden: this needs the scope ${scope}` } });
}

/**
 * Bearer authentication for every protected route (MCP now; the web view and POST /ingest later):
 * the address is rate-limited before the token is even looked at, then the token, then the token's
 * own rate. On success res.locals.copilot holds the caller.
 */
export function authenticate(deps: AuthDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const token = m?.[1] ?? null;
    let principal: Awaited<ReturnType<TokenVerifier['verify']>> = null;
    try {
      principal = token ? await deps.verifier.verify(token) : null;
    } catch {
      principal = null;
    }
    if (!principal) {
      const addr = req.socket.remoteAddress ?? 'unknown';
      const wait = deps.perAddress.take(addr);
      if (wait !== null) {
        res.status(429).set('Retry-After', String(wait)).json({ error: 'too many requests' });
        return;
      }
      deps.onRefused({ status: 401, req, principal: null, reason: token ? 'invalid, revoked or expired token' : 'no bearer token', tokenId: token ? tokenIdOf(token) : null });
      unauthorized(res);
      return;
    }
    const wait = deps.perToken.take(principal.tokenId);
    if (wait !== null) {
      deps.onRefused({ status: 429, req, principal, reason: 'rate limit', tokenId: principal.tokenId });
      res.status(429).set('Retry-After', String(wait)).json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: `rate limit: ${deps.perToken.perMinute} requests per minute per token` } });
      return;
    }
    const client = clientOf(req);
    const auth: AuthInfo = {
      token: principal.tokenId,
      clientId: principal.name,
      scopes: principal.scopes,
      expiresAt: principal.expiresAt,
      extra: { principal, client },
    };
    (req as Request & { auth?: AuthInfo }).auth = auth;
    res.locals.copilot = { principal, client, auth } satisfies RequestCaller;
    next();
  };
}

/** For routes that later issues mount: 403 unless the authenticated caller holds the scope. */
export function requireScope(scope: Scope) {
  return (req: Request, res: Response, next: NextFunction) => {
    const caller = res.locals.copilot as RequestCaller | undefined;
    if (!caller) return unauthorized(res);
    if (!hasScope(caller.principal.scopes, scope)) return forbidden(res, scope);
    next();
  };
}
