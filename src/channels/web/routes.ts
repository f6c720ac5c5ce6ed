import { randomBytes } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { hasScope, type Principal, type Scope, type TokenVerifier } from '../../audit/index.js';
import { narrateIncident } from '../../agent/narrate.js';
import { assessIncident, incidentHistory } from '../../engines/correlate/index.js';
import { getStoredIncident, listStoredIncidents, type StoredSummary } from '../../engines/correlate/stored.js';
import { audited } from '../../mcp/call.js';
import { clientOf } from '../../mcp/http/auth.js';
import type { RouteKit } from '../../mcp/http/app.js';
import { RateLimiter } from '../../mcp/http/limits.js';
import type { TriageIncident } from '../../model/index.js';
import { briefingData, renderHtml } from '../briefing/index.js';
import { triageForChannels, triageIsStale } from '../incidents.js';
import { linkSigner, type LinkSigner } from '../links.js';
import { CSS_HASH } from '../styles.js';
import { incidentPage, incidentsPage, loginPage, messagePage, nav, type ListedIncident, type Viewer } from './pages.js';
import { cookieName, equalSecrets, readCookie, SessionStore, setCookie, type WebSession } from './session.js';

/**
 * The read-only web view, mounted on the `serve --http` app through its routes hook: incidents ranked,
 * one incident with its chain drawn and its actions, the CISO briefing. A person signs in by pasting a
 * token once (exchanged for a session cookie); a signed, expiring link from Slack opens its one page
 * without signing in. `read:incidents` and `read:briefing` apply to both. No script runs on any page.
 */
export interface WebViewOptions {
  verifier: TokenVerifier;
  /** Verifies links; by default the store's key (the one `notify` signs with). */
  signer?: LinkSigner;
  now?: () => number;
  /** Sign-in attempts per minute per address. */
  loginPerMinute?: number;
  /** Re-run triage (deterministic, no detections) when the stored incidents are older than the data. */
  refresh?: boolean;
}

export const WEB_CSP = [
  "default-src 'none'", `style-src ${CSS_HASH}`, "img-src 'self' data:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const INCIDENT_ID = /^inc-[0-9a-f]{10}$/;
const SAFE_NEXT = /^\/(?:incidents\/inc-[0-9a-f]{10}|briefing)?$/;

type Access =
  | { ok: true; viewer: Viewer; principal: Principal; session: WebSession | null; linkExp: number | null }
  | { ok: false; why: 'login' | 'expired' | 'denied'; scope: Scope; viewer: Viewer | null };

export function webView(o: WebViewOptions): (app: Express, kit: RouteKit) => void {
  return (app, kit) => {
    const rt = kit.runtime;
    const db = rt.db;
    const now = o.now ?? Date.now;
    const sessions = new SessionStore(db, now);
    let signerPromise: Promise<LinkSigner> | null = o.signer ? Promise.resolve(o.signer) : null;
    const signer = () => (signerPromise ??= linkSigner(db));
    const loginLimiter = new RateLimiter(o.loginPerMinute ?? 10, 5, now);
    const blockedUntil = new Map<string, number>();
    const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

    const headers: RequestHandler = (_req, res, next) => {
      res.set({
        'Content-Security-Policy': WEB_CSP,
        'Cache-Control': 'no-store',
        'X-Frame-Options': 'DENY',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
      });
      next();
    };
    const secure = (req: Request) => req.secure;
    const sessionCookie = (req: Request) => cookieName(secure(req), 'idc_session');
    const csrfCookie = (req: Request) => cookieName(secure(req), 'idc_login');
    const html = (res: Response, status: number, body: string) => res.status(status).type('html').send(body);

    const viewerOf = (s: WebSession): Viewer => ({
      name: s.principal, csrf: s.csrf, canBriefing: hasScope(s.scopes, 'read:briefing'), canIncidents: hasScope(s.scopes, 'read:incidents'),
    });

    async function access(req: Request, scope: Scope): Promise<Access> {
      const s = await sessions.get(readCookie(req, sessionCookie(req)));
      if (s) {
        const viewer = viewerOf(s);
        if (!hasScope(s.scopes, scope)) return { ok: false, why: 'denied', scope, viewer };
        const principal: Principal = { name: s.principal, kind: s.kind, scopes: s.scopes, transport: 'http', tokenId: s.tokenId, expiresAt: Math.floor(s.expiresAt / 1000) };
        return { ok: true, viewer, principal, session: s, linkExp: null };
      }
      const { exp, sig } = req.query;
      if (exp !== undefined || sig !== undefined) {
        const verdict = (await signer()).verify(req.path, exp, sig, now());
        if (verdict === 'ok') {
          const principal: Principal = { name: 'signed-link', kind: 'human', scopes: [scope], transport: 'http', tokenId: null, expiresAt: Number(exp) };
          return { ok: true, viewer: { name: 'shared link', csrf: null, canBriefing: false, canIncidents: false }, principal, session: null, linkExp: Number(exp) };
        }
        if (verdict === 'expired') return { ok: false, why: 'expired', scope, viewer: null };
      }
      return { ok: false, why: 'login', scope, viewer: null };
    }

    function refuse(req: Request, res: Response, a: Extract<Access, { ok: false }>): void {
      if (a.why === 'denied') {
        void audit(req, { name: 'anonymous', kind: 'human', scopes: [], transport: 'http', tokenId: null, expiresAt: null }, 'auth', `web:${req.path}`, {}, null, async () => ({ value: null, outcome: 'denied', error: `missing scope ${a.scope}` }));
        html(res, 403, messagePage('Not allowed', `This page needs the scope ${a.scope}, which your token does not hold. Ask for a token with it (roles oncall, ciso or analyst).`, a.viewer));
        return;
      }
      const next = SAFE_NEXT.test(req.path) ? req.path : '/';
      res.redirect(303, `/login?next=${encodeURIComponent(next)}${a.why === 'expired' ? '&expired=1' : ''}`);
    }

    function audit<T>(req: Request, principal: Principal, kind: 'resource' | 'auth', name: string, args: Record<string, unknown>, target: string | null, fn: () => Promise<{ value: T; outcome: 'ok' | 'denied' | 'unauthenticated' | 'rate_limited' | 'error'; error?: string | null }>): Promise<T> {
      return audited(rt, { principal, client: clientOf(req), kind, name, args, target }, fn);
    }

    const page = (scope: Scope, name: string, render: (req: Request, res: Response, a: Extract<Access, { ok: true }>) => Promise<void>): RequestHandler =>
      async (req, res) => {
        try {
          const a = await access(req, scope);
          if (!a.ok) return refuse(req, res, a);
          await audit(req, a.principal, 'resource', name, { path: req.path, link: a.linkExp !== null }, typeof req.params.id === 'string' ? req.params.id : null, async () => {
            await render(req, res, a);
            return { value: { status: res.statusCode }, outcome: 'ok' };
          });
        } catch {
          if (!res.headersSent) html(res, 500, messagePage('Something went wrong', 'The page could not be rendered. The server log and the audit log have the details.', null));
        }
      };

    let refreshing: Promise<void> | null = null;
    let lastRefresh = 0;
    async function refreshIfStale(notices: string[]): Promise<void> {
      if (o.refresh === false) return;
      if (!refreshing && now() - lastRefresh > 60_000 && (await triageIsStale(db))) {
        lastRefresh = now();
        refreshing = triageForChannels(db, rt.config, { top: 20, detect: false }).then(() => undefined, (err: Error) => {
          notices.push(`Incidents could not be refreshed (${err.message.split('\n')[0]}); showing the last stored ones.`);
        }).finally(() => {
          refreshing = null;
        });
      }
      if (refreshing) {
        const done = await Promise.race([refreshing.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref())]);
        if (!done) notices.push('Incidents are being refreshed from newer data: reload in a minute.');
      }
    }

    app.get('/favicon.ico', (_req, res) => void res.status(204).end());

    app.get('/login', headers, (req, res) => {
      const csrf = randomBytes(24).toString('base64url');
      setCookie(res, csrfCookie(req), csrf, { secure: secure(req), maxAgeS: 1800, path: '/' });
      const next = typeof req.query.next === 'string' && SAFE_NEXT.test(req.query.next) ? req.query.next : '/';
      html(res, 200, loginPage({ csrf, next, notice: req.query.expired ? 'That link has expired. Sign in to open the page.' : null }));
    });

    app.post('/login', headers, form, async (req, res) => {
      const addr = req.socket.remoteAddress ?? 'unknown';
      if (blockedUntil.size > 10_000) blockedUntil.clear();
      const body = (req.body ?? {}) as Record<string, unknown>;
      const next = typeof body.next === 'string' && SAFE_NEXT.test(body.next) ? body.next : '/';
      const again = (status: number, error: string) => {
        const csrf = randomBytes(24).toString('base64url');
        setCookie(res, csrfCookie(req), csrf, { secure: secure(req), maxAgeS: 1800, path: '/' });
        html(res, status, loginPage({ csrf, next, error }));
      };
      const anonymous: Principal = { name: 'anonymous', kind: 'human', scopes: [], transport: 'http', tokenId: null, expiresAt: null };
      const blocked = blockedUntil.get(addr) ?? 0;
      if (blocked > now()) {
        const wait = Math.ceil((blocked - now()) / 1000);
        res.set('Retry-After', String(wait));
        void audit(req, anonymous, 'auth', 'web-login', {}, null, async () => ({ value: null, outcome: 'rate_limited' })).catch(() => undefined);
        return again(429, `Too many failed attempts: wait ${wait} s.`);
      }
      // Only failures count against an address: a team signing in from one office is not throttled.
      const failed = (status: number, error: string, principal: Principal, outcome: 'denied' | 'unauthenticated', reason: string) => {
        const wait = loginLimiter.take(addr);
        if (wait !== null) blockedUntil.set(addr, now() + wait * 1000);
        void audit(req, principal, 'auth', 'web-login', { reason }, null, async () => ({ value: null, outcome, error: reason })).catch(() => undefined);
        again(status, error);
      };
      if (!sameOrigin(req) || !equalSecrets(typeof body.csrf === 'string' ? body.csrf : null, readCookie(req, csrfCookie(req)))) {
        return failed(403, 'The form expired or came from another site. Try again.', anonymous, 'denied', 'cross-site or stale login form');
      }
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      let principal: Awaited<ReturnType<TokenVerifier['verify']>> = null;
      try {
        principal = token ? await o.verifier.verify(token) : null;
      } catch {
        principal = null;
      }
      if (!principal) return failed(401, 'That token was not accepted.', anonymous, 'unauthenticated', 'invalid, revoked or expired token');
      if (!hasScope(principal.scopes, 'read:incidents') && !hasScope(principal.scopes, 'read:briefing')) {
        return failed(403, 'This token holds neither read:incidents nor read:briefing, which the web view needs.', principal, 'denied', 'needs read:incidents or read:briefing');
      }
      const { id, session } = sessions.create(principal);
      await audit(req, principal, 'auth', 'web-login', { scopes: principal.scopes }, null, async () => ({ value: null, outcome: 'ok' }));
      setCookie(res, sessionCookie(req), id, { secure: secure(req), maxAgeS: (session.expiresAt - now()) / 1000 });
      setCookie(res, csrfCookie(req), 'x'.repeat(16), { secure: secure(req), maxAgeS: 0, path: '/' });
      const target = next === '/' && !hasScope(session.scopes, 'read:incidents') ? '/briefing' : next;
      res.redirect(303, target);
    });

    app.post('/logout', headers, form, async (req, res) => {
      const cookie = readCookie(req, sessionCookie(req));
      const s = await sessions.get(cookie);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (s && sameOrigin(req) && equalSecrets(typeof body.csrf === 'string' ? body.csrf : null, s.csrf)) {
        sessions.destroy(cookie);
        setCookie(res, sessionCookie(req), 'x'.repeat(16), { secure: secure(req), maxAgeS: 0 });
      }
      res.redirect(303, '/login');
    });

    app.get('/', headers, page('read:incidents', 'web:incidents', async (_req, res, a) => {
      const notices: string[] = [];
      await refreshIfStale(notices);
      const [open, closed] = await Promise.all([
        listStoredIncidents(db, { status: ['open', 'acknowledged'], limit: 100 }),
        listStoredIncidents(db, { status: ['resolved', 'false_positive'], limit: 10 }),
      ]);
      const [r] = await db.query<{ t: Date | null }>('SELECT max(as_of) AS t FROM incidents');
      if (!open.length && !closed.length) notices.push('No incidents are stored yet: run `idcopilot triage` (or `idcopilot notify slack`) on this store.');
      const s = a.linkExp !== null ? await signer() : null;
      const href = (id: string) => {
        const path = `/incidents/${id}`;
        return s && a.linkExp !== null ? s.signedPathUntil(path, a.linkExp) : path;
      };
      const list = (xs: StoredSummary[]): ListedIncident[] => ranked(xs).map((stored) => ({ stored, href: href(stored.id) }));
      html(res, 200, incidentsPage({ open: list(open), closed: list(closed), asOf: r?.t ? new Date(r.t).toISOString() : null, notices, viewer: a.viewer }));
    }));

    app.get('/incidents/:id', headers, async (req, res, next) => {
      if (!INCIDENT_ID.test(String(req.params.id))) return void html(res, 404, messagePage('Not found', 'There is no such incident.', null));
      next();
    }, page('read:incidents', 'web:incident', async (req, res, a) => {
      const id = String(req.params.id);
      const stored = await getStoredIncident(db, id);
      let inc: TriageIncident | null = stored?.assessment ?? null;
      if (stored && !inc) {
        const fresh = await assessIncident(db, id, { config: rt.config });
        inc = fresh ? { ...fresh, ...narrateIncident(fresh), status: stored.status } : null;
      }
      if (!inc) return void html(res, 404, messagePage('Not found', `No incident ${id} is stored (it may predate the last triage).`, a.viewer));
      const history = await incidentHistory(db, id);
      html(res, 200, incidentPage({ inc, history, viewer: a.viewer, backHref: a.session ? '/' : null }));
    }));

    app.get('/briefing', headers, page('read:briefing', 'web:briefing', async (_req, res, a) => {
      const b = await briefingData(db);
      const canIncidents = a.session ? hasScope(a.session.scopes, 'read:incidents') : false;
      html(res, 200, renderHtml(b, { header: nav(a.viewer), incidentHref: canIncidents ? (id) => `/incidents/${id}` : undefined }));
    }));
  };
}

/** Open incidents in triage's order: score (its ranks follow it), then the last run's rank. */
export function ranked(xs: StoredSummary[]): StoredSummary[] {
  const order: Record<string, number> = { open: 0, acknowledged: 1 };
  return [...xs].sort((a, b) => (order[a.status] ?? 2) - (order[b.status] ?? 2) || b.score - a.score
    || (a.assessment?.rank ?? 1e9) - (b.assessment?.rank ?? 1e9) || a.id.localeCompare(b.id));
}

/**
 * A form post must come from this site's own pages. Browsers say so in Sec-Fetch-Site; Origin is no
 * help here, since under the pages' no-referrer policy a browser sends `Origin: null` even for its own
 * forms. Without Sec-Fetch-Site (an older client), an Origin naming another site is refused. The CSRF
 * token and SameSite=Strict cookies stand behind both.
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin === 'null') return true;
  return origin === `${req.secure ? 'https' : 'http'}://${req.headers.host}`;
}
