import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runTriage } from '../../src/agent/triage.js';
import { createToken, resolveScopes, revokeToken, TokenVerifier } from '../../src/audit/index.js';
import { LinkSigner } from '../../src/channels/links.js';
import { WEB_CSP, webView } from '../../src/channels/web/routes.js';
import { deriveAfterIngest } from '../../src/engines/derive.js';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import { createCopilotApp, listen, startRuntime, type Listening, type ServingRuntime } from '../../src/mcp/index.js';
import { Config, type TriageResult } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import { ROOT } from '../helpers/cli.js';
import { describeStores } from '../helpers/stores.js';

/**
 * The web view over real HTTP on the app `serve --http` builds: sign-in (CSRF, cross-site, bad tokens,
 * scopes, rate limit), sessions (cookie attributes, revocation, sign-out), signed links, pages, headers
 * and the audit trail.
 */
const FIXTURES = `${ROOT}/tests/fixtures/channels`;
const SIGNER = new LinkSigner(Buffer.alloc(32, 9));

interface Reply {
  status: number;
  headers: Headers;
  body: string;
  location: string | null;
  cookies: string[];
}

describeStores('web view', (open) => {
  let db: Db;
  let rt: ServingRuntime;
  let server: Listening;
  let base: string;
  let triage: TriageResult;
  let offset = 0;
  const tokens: Record<string, string> = {};
  const clock = () => Date.now() + offset;

  beforeAll(async () => {
    db = await open();
    await ingestPaths(db, [FIXTURES]);
    await deriveAfterIngest(db);
    triage = await runTriage(db, { top: 10, embed: false });
    for (const [name, role] of [['alice', 'oncall'], ['carol', 'ciso'], ['bob', 'analyst'], ['loader', 'ingest'], ['board', 'read:briefing']] as const) {
      const { scopes, roles } = resolveScopes([role]);
      tokens[name] = (await createToken(db, { principal: name, scopes, roles, createdBy: 'test' })).token;
    }
    rt = await startRuntime(db, Config.parse({}), { surface: 'test', tools: [] });
    const verifier = new TokenVerifier(db, { cacheMs: 0 });
    const { app } = createCopilotApp({ runtime: rt, verifier, host: '127.0.0.1', routes: [webView({ verifier, signer: SIGNER, now: clock, refresh: false })] });
    server = await listen(app, '127.0.0.1', 0);
    base = server.url.replace(/\/mcp$/, '');
  });
  afterAll(async () => {
    await server?.close();
    await rt?.close();
    await db?.close();
  });

  async function req(path: string, o: { method?: string; cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.cookie) headers.cookie = o.cookie;
    let body: string | undefined;
    if (o.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['sec-fetch-site'] ??= 'same-origin';
      body = new URLSearchParams(o.form).toString();
    }
    const r = await fetch(base + path, { method: o.method ?? (o.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    return { status: r.status, headers: r.headers, body: await r.text(), location: r.headers.get('location'), cookies: r.headers.getSetCookie() };
  }

  const cookieValue = (cookies: string[], name: string) => cookies.map((c) => c.split(';')[0]).find((c) => c.startsWith(`${name}=`)) ?? null;

  /** GET the form, POST the token with its CSRF value; returns the reply to the POST. */
  async function signIn(token: string, next = '/', extra: Record<string, string> = {}): Promise<Reply> {
    const form = await req(`/login?next=${encodeURIComponent(next)}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)![1];
    return req('/login', { cookie: cookieValue(form.cookies, 'idc_login')!, form: { csrf, next, token }, headers: extra });
  }

  async function session(token: string): Promise<string> {
    const r = await signIn(token);
    expect(r.status).toBe(303);
    return cookieValue(r.cookies, 'idc_session')!;
  }

  it('sends a visitor without a session to the sign-in page, with strict headers', async () => {
    const r = await req('/');
    expect(r.status).toBe(303);
    expect(r.location).toBe('/login?next=%2F');
    const login = await req('/login');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toBe(WEB_CSP);
    expect(WEB_CSP).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
    expect(WEB_CSP).not.toContain('unsafe');
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.body).not.toMatch(/<script/i);
    expect(login.cookies[0]).toMatch(/^idc_login=[A-Za-z0-9_-]{32}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800$/);
  });

  it('exchanges an oncall token for an HttpOnly SameSite=Strict session and shows incidents in triage order', async () => {
    const r = await signIn(tokens.alice);
    expect(r.status).toBe(303);
    expect(r.location).toBe('/');
    const set = r.cookies.find((c) => c.startsWith('idc_session='))!;
    expect(set).toMatch(/^idc_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    expect(set).not.toContain('Secure');
    expect(set).not.toContain(tokens.alice);
    const list = await req('/', { cookie: cookieValue(r.cookies, 'idc_session')! });
    expect(list.status).toBe(200);
    expect(list.headers.get('content-security-policy')).toBe(WEB_CSP);
    const ids = [...list.body.matchAll(/<tr data-incident="(inc-[0-9a-f]{10})">/g)].map((m) => m[1]);
    expect(ids).toEqual(triage.incidents.map((i) => i.id));
    expect(list.body).toContain('>alice</span>');
    // A title from an alert is shown, escaped, never as markup.
    expect(list.body).toContain('Leaver&#39;s service account active &lt;!channel&gt; &lt;https://evil.example/|click&gt;: etl-loader');
    expect(list.body).not.toContain('<!channel>');
  });

  it('shows an incident with its chain drawn, its owner and its actions', async () => {
    const cookie = await session(tokens.alice);
    const top = triage.incidents[0];
    const r = await req(`/incidents/${top.id}`, { cookie });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<h1>Access key used from a TOR exit node: deploy-bot (+1 alert)</h1>');
    expect(r.body).toMatch(/<svg [^>]*aria-label="Delegation chain, root first"/);
    expect(r.body).toContain('>deploy-bot</text>');
    expect(r.body).toContain('Dana Reyes &lt;dana.reyes@example.com&gt;');
    expect(r.body).toContain('<h2>Do now</h2>');
    for (const a of top.actions) if (a.command) expect(r.body).toContain(a.command.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    expect((await req('/incidents/inc-ffffffffff', { cookie })).status).toBe(404);
    expect((await req('/incidents/..%2Fbriefing', { cookie })).status).toBe(404);
  });

  it('applies read:briefing and read:incidents: oncall is refused the briefing, a briefing-only token lands on it', async () => {
    const alice = await session(tokens.alice);
    const denied = await req('/briefing', { cookie: alice });
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('This page needs the scope read:briefing');
    const carol = await session(tokens.carol);
    expect((await req('/', { cookie: carol })).status).toBe(200);
    const b = await req('/briefing', { cookie: carol });
    expect(b.status).toBe(200);
    expect(b.body).toContain('Three things that need a decision');
    expect(b.body).toContain('Approve containment: Access key used from a TOR exit node: deploy-bot (+1 alert)');
    expect(b.body).not.toMatch(/<script/i);
    const r = await signIn(tokens.board);
    expect(r.location).toBe('/briefing');
    const board = cookieValue(r.cookies, 'idc_session')!;
    expect((await req('/briefing', { cookie: board })).status).toBe(200);
    const list = await req('/', { cookie: board });
    expect(list.status).toBe(403);
    expect(list.body).toContain('This page needs the scope read:incidents');
  });

  it('refuses bad sign-ins: a wrong or missing CSRF value, a cross-site post, a bad token, a token without read scopes', async () => {
    const form = await req('/login');
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)![1];
    const cookie = cookieValue(form.cookies, 'idc_login')!;
    const wrong = await req('/login', { cookie, form: { csrf: 'A'.repeat(32), next: '/', token: tokens.alice } });
    expect(wrong.status).toBe(403);
    const noCookie = await req('/login', { form: { csrf, next: '/', token: tokens.alice } });
    expect(noCookie.status).toBe(403);
    const crossSite = await req('/login', { cookie, form: { csrf, next: '/', token: tokens.alice }, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.cookies.some((c) => c.startsWith('idc_session='))).toBe(false);
    const bad = await signIn('idc_0000000000000000_' + 'x'.repeat(43));
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('That token was not accepted.');
    const ingest = await signIn(tokens.loader);
    expect(ingest.status).toBe(403);
    expect(ingest.body).toContain('neither read:incidents nor read:briefing');
    // An open redirect through `next` is not possible.
    const evil = await signIn(tokens.alice, '//evil.example/');
    expect(evil.location).toBe('/');
  });

  it('opens one page from a signed link without a session, and nothing else', async () => {
    const top = triage.incidents[0];
    const other = triage.incidents[1];
    const link = SIGNER.signedPath(`/incidents/${top.id}`, 3_600_000, clock());
    const r = await req(link);
    expect(r.status).toBe(200);
    expect(r.body).toContain('shared link');
    expect(r.body).not.toContain('All incidents');
    const sig = new URL(link, base).search;
    const moved = await req(`/incidents/${other.id}${sig}`);
    expect(moved.status).toBe(303);
    expect(moved.location).toBe(`/login?next=${encodeURIComponent(`/incidents/${other.id}`)}`);
    expect((await req(`/briefing${sig}`)).status).toBe(303);
    const expired = await req(SIGNER.signedPath(`/incidents/${top.id}`, 1000, clock() - 10_000));
    expect(expired.location).toBe(`/login?next=${encodeURIComponent(`/incidents/${top.id}`)}&expired=1`);
    const login = await req(expired.location!);
    expect(login.body).toContain('That link has expired.');
    // A signed list (the digest's button) links its incidents with the same expiry.
    const list = await req(SIGNER.signedPath('/', 3_600_000, clock()));
    expect(list.status).toBe(200);
    const href = /<a href="(\/incidents\/inc-[0-9a-f]{10}\?exp=\d+&amp;sig=[A-Za-z0-9_-]{43})">/.exec(list.body)![1].replace(/&amp;/g, '&');
    expect((await req(href)).status).toBe(200);
  });

  it('ends the session when the token is revoked, and on sign-out', async () => {
    const r = await signIn(tokens.bob);
    const cookie = cookieValue(r.cookies, 'idc_session')!;
    expect((await req('/', { cookie })).status).toBe(200);
    const page = await req('/', { cookie });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1];
    const out = await req('/logout', { cookie, form: { csrf } });
    expect(out.status).toBe(303);
    expect(out.cookies[0]).toMatch(/^idc_session=x+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0$/);
    expect((await req('/', { cookie })).status).toBe(303);

    const again = await session(tokens.bob);
    const id = tokens.bob.split('_')[1];
    await revokeToken(db, id, 'test');
    offset += 6000; // past the session's token re-check interval
    expect((await req('/', { cookie: again })).status).toBe(303);
  });

  it('rate-limits sign-in attempts per address', async () => {
    let last: Reply | null = null;
    for (let i = 0; i < 8; i++) last = await signIn('idc_0000000000000000_' + 'y'.repeat(43));
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    offset += 120_000;
  });

  it('property: whatever a client sends to the sign-in form, cookies or links, it gets a refusal, never a session or a 500', async () => {
    const junk = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('', 'x'.repeat(5000), '%00', '../../', tokens.loader, `${tokens.alice}x`, '\r\nSet-Cookie: a=b'));
    await fc.assert(fc.asyncProperty(junk, junk, junk, junk, async (csrf, token, next, cookie) => {
      offset += 60_000; // keep the failed-attempt limit out of the way
      const r = await req('/login', { form: { csrf, token, next }, headers: { cookie: `idc_login=${encodeURIComponent(cookie)}` } });
      expect([401, 403, 413, 429]).toContain(r.status); // 413: a form over 8 kB
      expect(r.cookies.some((c) => c.startsWith('idc_session='))).toBe(false);
      const page = await req(`/incidents/${triage.incidents[0].id}?exp=${encodeURIComponent(next)}&sig=${encodeURIComponent(token)}`, { headers: { cookie: `idc_session=${encodeURIComponent(cookie)}` } });
      expect(page.status).toBe(303);
    }), { numRuns: 40 });
  });

  it('audits page views and sign-ins', async () => {
    const rows = await db.query<{ principal: string; kind: string; name: string; outcome: string }>(`SELECT principal, kind, name, outcome FROM audit_log ORDER BY time, n`);
    const seen = new Set(rows.map((r) => `${r.principal} ${r.kind} ${r.name} ${r.outcome}`));
    for (const want of ['alice auth web-login ok', 'alice resource web:incidents ok', 'alice resource web:incident ok', 'carol resource web:briefing ok',
      'anonymous auth web-login unauthenticated', 'anonymous auth web-login denied', 'loader auth web-login denied', 'signed-link resource web:incident ok', 'anonymous auth web-login rate_limited']) {
      expect(seen, want).toContain(want);
    }
  });
});
