import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from '../../src/channels/briefing/pdf.js';
import { CisoBriefing } from '../../src/model/index.js';
import { idcopilot, ROOT } from '../helpers/cli.js';

/** `idcopilot brief` as a CISO's assistant runs it: the real CLI on a store loaded from vendor files. */
const FIXTURES = join(ROOT, 'tests/fixtures/channels');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const chromium = findChromium();

describe('idcopilot brief (CLI)', () => {
  let dir: string;
  const data = () => join(dir, 'store');

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'idc-brief-'));
    const r = idcopilot(['ingest', FIXTURES, '--data', data()]);
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs triage first when the stored incidents are older than the data, and prints Markdown', () => {
    const r = idcopilot(['brief', '--format', 'md', '--data', data()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: triage ran first');
    expect(r.stdout).toMatch(/^# Identity risk briefing\n\nData as of 2026-11-10T05:30:00.000Z; incidents of the last 30 days \(2026-10-11 to 2026-11-10\)/);
    expect(r.stdout).toContain('1. **Approve containment: Access key used from a TOR exit node: deploy-bot (+1 alert)**');
    expect(r.stdout).toContain('4 incident(s): 1 critical, 1 high, 1 medium, 1 low; 4 open.');
    const again = idcopilot(['brief', '--format', 'md', '--data', data()]);
    expect(again.stderr).not.toContain('triage ran first');
  }, 120_000);

  it('writes the JSON contract and a self-contained HTML page', () => {
    const json = idcopilot(['brief', '--format', 'json', '--period', '7d', '--data', data()]);
    expect(json.status, json.stderr).toBe(0);
    const b = CisoBriefing.parse(json.json());
    expect(b.period.days).toBe(7);
    expect(b.decisions.map((d) => d.kind)).toEqual(['incident', 'incident', 'posture']);
    const out = join(dir, 'reports', 'briefing.html');
    const html = idcopilot(['brief', '--out', out, '--title', 'Board pack: identity risk', '--data', data()]);
    expect(html.status, html.stderr).toBe(0);
    expect(html.stderr).toContain(`wrote ${out}`);
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<h1>Board pack: identity risk</h1>');
    expect(page).not.toMatch(/<script|<link |\ssrc=|@import|url\(/i);
  }, 120_000);

  it('refuses a period it cannot use', () => {
    const r = idcopilot(['brief', '--period', '3 months', '--data', data()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--period: "3 months" is not a duration');
    expect(idcopilot(['brief', '--period', '2h', '--data', data()]).stderr).toContain('--period must be between 1d and 366d');
  }, 60_000);

  describe.skipIf(!chromium)(`PDF through headless Chromium${chromium ? '' : ' (SKIPPED: no Chromium at /usr/bin/chromium; apt-get install chromium)'}`, () => {
    it('prints the briefing to a multi-page PDF on A4 and on Letter', () => {
      const a4 = join(dir, 'briefing-a4.pdf');
      const r = idcopilot(['brief', '--format', 'pdf', '--out', a4, '--data', data()]);
      expect(r.status, r.stderr).toBe(0);
      const pdf = readFileSync(a4);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      const text = pdf.toString('latin1');
      // Page size in points: A4 is 595 x 842, Letter 612 x 792.
      expect(text).toMatch(/\/MediaBox \[0 0 59[56](\.\d+)? 84[12](\.\d+)?\]/);
      expect(text.match(/\/Type \/Page\b/g)!.length).toBeGreaterThanOrEqual(2);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'briefing-a4.pdf'), pdf);
      const letter = join(dir, 'briefing-letter.pdf');
      expect(idcopilot(['brief', '--format', 'pdf', '--paper', 'Letter', '--out', letter, '--data', data()]).status).toBe(0);
      expect(readFileSync(letter).toString('latin1')).toMatch(/\/MediaBox \[0 0 61[12](\.\d+)? 79[12](\.\d+)?\]/);
    }, 180_000);
  });

  it('says plainly how to get a PDF where Chromium is missing', () => {
    const r = idcopilot(['brief', '--format', 'pdf', '--out', join(dir, 'x.pdf'), '--data', data()], { env: { IDCOPILOT_CHROMIUM: '/nonexistent/chromium' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PDF needs a headless Chromium and none was found');
    expect(r.stderr).toContain('apt-get install chromium');
  }, 60_000);
});
