import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import type { Scope, TokenVerifier } from '../../audit/index.js';
import { audited, type Runtime } from '../call.js';
import { authenticate, clientOf, requireScope, type RequestCaller } from './auth.js';
import { RateLimiter } from './limits.js';
import { DEFAULT_SESSION_LIMITS, SessionPool, type SessionLimits } from './sessions.js';

/** What later issues get to mount their routes (the web view, POST /ingest) with the same guards. */
export interface RouteKit {
  runtime: Runtime;
  /** Bearer authentication and the per-token rate limit; sets res.locals.copilot (RequestCaller). */
  authenticate: RequestHandler;
  requireScope(scope: Scope): RequestHandler;
  /** Run a handler's work and append its audit record (kind 'http', name the route). */
  audit<T>(res: Response, name: string, args: unknown, fn: () => Promise<T>): Promise<T>;
}

export interface CopilotAppOptions {
  runtime: Runtime;
  verifier: TokenVerifier;
  /** The address the server binds: loopback turns on the Host-header check (DNS rebinding). */
  host: string;
  /** Host header names accepted when binding beyond loopback (required there). */
  allowedHosts?: string[];
  /** Requests per minute per token (bursts of a sixth of it). 0 turns the limit off. */
  rateLimitPerMinute?: number;
  /** Failed authentications per minute per address before 429. */
  unauthenticatedPerMinute?: number;
  sessions?: Partial<SessionLimits>;
  /** Routes of later issues, mounted before the error handler. */
  routes?: ((app: Express, kit: RouteKit) => void)[];
}

export const DEFAULT_RATE_LIMIT = 600;

/**
 * The HTTP surface: express 5 through the MCP SDK's createMcpExpressApp (Host-header validation, JSON
 * bodies up to 100 kB), security headers, /healthz, bearer authentication, per-token and per-address
 * rate limits, MCP over Streamable HTTP at /mcp, then the routes later issues add, then an error
 * handler that reveals nothing. Every refusal is audited.
 */
export function createCopilotApp(opts: CopilotAppOptions): { app: Express; sessions: SessionPool; close(): Promise<void> } {
  const rt = opts.runtime;
  const app = createMcpExpressApp({ host: opts.host, allowedHosts: opts.allowedHosts });
  app.set('env', 'production');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    next();
  });

  const rateLimited = new Map<string, number>();
  const refusal = (event: Parameters<Parameters<typeof authenticate>[0]['onRefused']>[0]) => {
    // One audit record per token and minute for a rate-limited client, not one per request.
    if (event.status === 429) {
      const key = event.tokenId ?? 'anonymous';
      const last = rateLimited.get(key) ?? 0;
      if (Date.now() - last < 60_000) return;
      rateLimited.set(key, Date.now());
    }
    void audited(rt, {
      principal: event.principal ?? { name: 'anonymous', kind: 'human', scopes: [], transport: 'http', tokenId: null, expiresAt: null },
      client: clientOf(event.req),
      kind: 'auth',
      name: `http:${event.status}`,
      args: { method: event.req.method, path: event.req.path, tokenId: event.tokenId, reason: event.reason },
    }, async () => ({ value: null, outcome: event.status === 401 ? 'unauthenticated' : event.status === 403 ? 'denied' : 'rate_limited' })).catch(() => undefined);
  };
  const auth = authenticate({
    verifier: opts.verifier,
    perToken: new RateLimiter(opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT),
    perAddress: new RateLimiter(opts.unauthenticatedPerMinute ?? 30, 10),
    onRefused: refusal,
  });

  const sessions = new SessionPool(
    rt,
    { ...DEFAULT_SESSION_LIMITS, ...opts.sessions },
    (caller, what) => {
      void audited(rt, { principal: caller.principal, client: caller.client, kind: what.kind, name: what.name, args: what.args }, async () => ({
        value: null, outcome: 'denied', error: `missing scope ${what.scope}`,
      })).catch(() => undefined);
    },
    (caller, session, clientInfo) => {
      void audited(rt, { principal: caller.principal, client: { ...caller.client, session }, kind: 'auth', name: 'session-open', args: { clientInfo } }, async () => ({
        value: null, outcome: 'ok',
      })).catch(() => undefined);
    },
  );

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  const requireJson: RequestHandler = (req, res, next) => {
    if (!req.is('application/json')) {
      res.status(415).json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Content-Type must be application/json' } });
      return;
    }
    next();
  };
  const caller = (res: Response) => res.locals.copilot as RequestCaller;
  app.post('/mcp', auth, requireJson, async (req, res, next) => {
    try {
      await sessions.post(req, res, caller(res));
    } catch (err) {
      next(err);
    }
  });
  // Responses come back as JSON on the POST; there is no server-initiated stream to hold open.
  app.get('/mcp', auth, (_req, res) => {
    res.status(405).set('Allow', 'POST, DELETE').json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Method not allowed' } });
  });
  app.delete('/mcp', auth, async (req, res, next) => {
    try {
      await sessions.delete(req, res, caller(res));
    } catch (err) {
      next(err);
    }
  });

  const kit: RouteKit = {
    runtime: rt,
    authenticate: auth,
    requireScope,
    audit: (res, name, args, fn) => {
      const c = caller(res);
      return audited(rt, { principal: c.principal, client: c.client, kind: 'admin', name, args }, async () => ({ value: await fn(), outcome: 'ok' }));
    },
  };
  for (const mount of opts.routes ?? []) mount(app, kit);

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err.type === 'entity.too.large') return void res.status(413).json({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'request too large (limit 100 kB)' } });
    if (err.type === 'entity.parse.failed') return void res.status(400).json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    res.status(500).json({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } });
  });

  return { app, sessions, close: () => sessions.closeAll() };
}
