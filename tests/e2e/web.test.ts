import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, findChromium } from '../../src/channels/briefing/pdf.js';
import { idcopilot, ROOT, startBackground } from '../helpers/cli.js';

/**
 * The web view in a real headless Chromium (Debian's, driven by playwright-core) against the real
 * `serve --http` on the demo company: sign in with a token, the demo's top incident is first, the
 * incident page draws its chain, the briefing draws its charts, nothing breaks the CSP. Screenshots go
 * to test-artifacts/ (git-ignored).
 */
const chromium = findChromium();
const ARTIFACTS = join(ROOT, 'test-artifacts');
// The demo's own crown jewels (src/cli/commands/demo.ts), so that triage ranks as `idcopilot demo` does.
const DEMO_CONFIG = `crownJewels:
  - resource: "arn:aws:s3:::*customer-data-prod*"
    name: customer personal data
    why: customer personal data (GDPR)
    classification: restricted
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!chromium)(`web view in headless Chromium on the demo company${chromium ? '' : ' (SKIPPED: no Chromium at /usr/bin/chromium; apt-get install chromium)'}`, () => {
  let dir: string;
  let base: string;
  let token: string;
  let triage: { incidents: { id: string; rank: number; title: string }[] };
  let server: ReturnType<typeof startBackground> | null = null;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idc-web-'));
    const { generateEstate, DEMO } = await import('../../src/generator/index.js');
    await generateEstate({ ...DEMO, out: join(dir, 'estate') });
    writeFileSync(join(dir, 'idcopilot.yaml'), DEMO_CONFIG);
    const store = join(dir, 'store');
    const g = ['--data', store, '--config', join(dir, 'idcopilot.yaml')];
    const ingest = idcopilot(['ingest', join(dir, 'estate'), ...g], { timeoutMs: 900_000 });
    expect(ingest.status, ingest.stderr).toBe(0);
    const t = idcopilot(['triage', '--json', '--top', '10', ...g], { timeoutMs: 300_000 });
    expect(t.status, t.stderr).toBe(0);
    triage = t.json();
    expect(triage.incidents.length).toBeGreaterThan(3);
    const created = idcopilot(['token', 'create', '--principal', 'web-e2e', '--role', 'analyst', '--json', ...g]);
    expect(created.status, created.stderr).toBe(0);
    token = created.json().token;
    const port = await freePort();
    server = startBackground(['serve', '--http', `127.0.0.1:${port}`, ...g], /web view .*: http:\/\/127\.0\.0\.1:\d+\//);
    await server.ready;
    base = `http://127.0.0.1:${port}`;
    const { chromium: pw } = await import('playwright-core');
    browser = await pw.launch({ executablePath: chromium!, args: CHROMIUM_FLAGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 1_200_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server!.child.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('signs in with a token, ranks the demo\'s top incident first, and draws its chain', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));

    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);

    const ids = await page.$$eval('tr[data-incident]', (rows) => rows.map((r) => r.getAttribute('data-incident')));
    expect(ids[0]).toBe(triage.incidents[0].id);
    expect(ids.slice(0, 5)).toEqual(triage.incidents.slice(0, 5).map((i) => i.id));
    await expect(page.locator('tr[data-incident] td.num').first().textContent()).resolves.toBe('1');
    await page.screenshot({ path: join(ARTIFACTS, 'web-incidents.png'), fullPage: true });

    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([['idc_session', true, 'Strict']]);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await Promise.all([page.waitForURL(/\/incidents\/inc-[0-9a-f]{10}$/), page.locator('tr[data-incident] a').first().click()]);
    await expect(page.locator('h1').textContent()).resolves.toBe(triage.incidents[0].title);
    const diagram = page.locator('.diagram svg');
    const box = await diagram.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(await diagram.locator('rect').count()).toBeGreaterThanOrEqual(2);
    await expect(page.getByRole('heading', { name: 'Do now' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('.action').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'web-incident.png'), fullPage: true });

    await page.goto(`${base}/briefing`);
    await expect(page.getByRole('heading', { name: 'Three things that need a decision' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('svg[role=img]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('ol.decisions > li').count()).toBe(3);
    await page.screenshot({ path: join(ARTIFACTS, 'web-briefing.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('nav.top').isVisible()).resolves.toBe(false);
    await page.emulateMedia({ media: 'screen' });

    expect(problems, problems.join('\n')).toEqual([]);

    await Promise.all([page.waitForURL(/\/login$/), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  }, 300_000);

  it('refuses to be framed and runs no inline script even if one got into the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => violations.push(m.text()));
    const res = await page.goto(`${base}/login`);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // Inject an inline script the way an XSS would land: the CSP must stop it.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'document.title = "pwned"';
      document.body.appendChild(s);
    });
    expect(await page.title()).not.toBe('pwned');
    expect(violations.join('\n')).toMatch(/Content Security Policy/);
    await context.close();
  }, 120_000);
});
