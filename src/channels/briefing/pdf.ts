import { accessSync, constants } from 'node:fs';
import { CopilotError } from '../../lib/errors.js';

/**
 * HTML to PDF through a headless Chromium (Debian's `chromium` package, driven by playwright-core:
 * `npx playwright install` cannot download browsers here). IDCOPILOT_CHROMIUM names another binary.
 */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const wanted = env.IDCOPILOT_CHROMIUM ? [env.IDCOPILOT_CHROMIUM] : CANDIDATES;
  for (const p of wanted) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

export async function htmlToPdf(html: string, opts: { paper?: 'A4' | 'Letter'; executablePath?: string } = {}): Promise<Buffer> {
  const executablePath = opts.executablePath ?? findChromium();
  if (!executablePath) {
    throw new CopilotError('E_USAGE', 'PDF needs a headless Chromium and none was found (looked for /usr/bin/chromium; set IDCOPILOT_CHROMIUM to another): install it with `apt-get install chromium`, or write --format html and print that page to PDF from a browser');
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS, timeout: 30_000 });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load', timeout: 30_000 });
    return await page.pdf({ format: opts.paper ?? 'A4', printBackground: true, preferCSSPageSize: false, margin: { top: '12mm', bottom: '12mm', left: '12mm', right: '12mm' } });
  } finally {
    await browser.close();
  }
}
