import { afterAll, beforeAll, expect, it } from 'vitest';
import { runTriage } from '../../src/agent/triage.js';
import { briefingData, cisoBriefingRenderer, renderHtml, renderMarkdown } from '../../src/channels/briefing/index.js';
import { deriveAfterIngest } from '../../src/engines/derive.js';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import { CisoBriefing, Config, type TriageResult } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import { ROOT } from '../helpers/cli.js';
import { describeStores } from '../helpers/stores.js';

const FIXTURES = `${ROOT}/tests/fixtures/channels`;
const NOW = new Date('2026-11-11T00:00:00Z');
const DEPLOY_BOT = 'arn:aws:iam::111122223333:user/svc/deploy-bot';

describeStores('CISO briefing', (open) => {
  let db: Db;
  let triage: TriageResult;
  let b: CisoBriefing;

  beforeAll(async () => {
    db = await open();
    await ingestPaths(db, [FIXTURES]);
    await deriveAfterIngest(db);
    triage = await runTriage(db, { top: 10, embed: false });
    // A snapshot from an earlier data day, as a daily ingest would have left it.
    await db.query(`INSERT INTO posture_snapshots (day, as_of, identities, scored, mean_score, bands, factors, summary)
      VALUES ('2026-11-03', '2026-11-03T23:00:00Z', 8, 3, 38.5, '{"critical": 0, "high": 1, "medium": 1, "low": 1}', '{"NHI1": 2}', '{}'),
             ('2026-09-01', '2026-09-01T23:00:00Z', 7, 2, 20, '{"high": 0}', '{}', '{}')`);
    b = await briefingData(db, { now: NOW });
  });
  afterAll(() => db?.close());

  it('is the CisoBriefing contract, dated by the data', () => {
    expect(CisoBriefing.parse(b)).toEqual(b);
    expect(b.asOf).toBe('2026-11-10T05:30:00.000Z');
    expect(b.period).toEqual({ days: 30, from: '2026-10-11T05:30:00.000Z', to: '2026-11-10T05:30:00.000Z' });
    expect(b.generatedAt).toBe(NOW.toISOString());
    expect(b.notices).toEqual([]);
  });

  it('names the three decisions: the two worst open incidents, then the posture problem', () => {
    const top = triage.incidents[0];
    expect(top.rootIdentity).toBe(DEPLOY_BOT);
    expect(b.decisions.map((d) => [d.kind, d.ref, d.owner])).toEqual([
      ['incident', top.id, 'Dana Reyes'],
      ['incident', triage.incidents[1].id, 'Lena Okafor'],
      ['posture', 'NHI5', 'Identity and access management'],
    ]);
    expect(b.decisions[0].title).toBe(`Approve containment: ${top.title}`);
    expect(b.decisions[0].why).toMatch(/^Critical incident, score 51\/100; 2 alert\(s\) in aws; /);
    expect(b.decisions[1].ask).toBe('Approve 3 action(s) now (disable identity, contact owner, investigate).');
  });

  it('carries the posture figures and the OWASP NHI Top 10 counts', () => {
    expect(b.posture).toMatchObject({
      identities: 9, humans: 3, machines: 2, machineToHuman: 0.7, ownership: { ownable: 2, owned: 1, coverage: 0.5 }, orphaned: 1,
      overprivileged: 1, longLived: 0, humanUseOfNhi: 0, meanScore: 46,
    });
    expect(b.owasp.map((o) => o.code)).toEqual(['NHI1', 'NHI2', 'NHI3', 'NHI4', 'NHI5', 'NHI6', 'NHI7', 'NHI8', 'NHI9', 'NHI10']);
    expect(b.owasp.find((o) => o.code === 'NHI1')).toEqual({ code: 'NHI1', title: 'Improper offboarding', identities: 2 });
    expect(b.owasp.find((o) => o.code === 'NHI5')!.identities).toBe(1);
  });

  it('draws the trend from the snapshots within the period, oldest first', () => {
    expect(b.trend.map((t) => [t.day, t.scored, t.meanScore, t.high])).toEqual([['2026-11-03', 3, 38.5, 1], ['2026-11-10', 4, 46, 2]]);
  });

  it('lists the top risks with owners and the action that lowers each most', () => {
    expect(b.topRisks[0]).toMatchObject({ id: DEPLOY_BOT, name: 'deploy-bot', score: 79, owner: { name: 'Dana Reyes', status: 'active' }, action: 'Triage the open alerts on it' });
    expect(b.topRisks[1]).toMatchObject({ name: 'etl-loader', owner: { name: 'Lena Okafor', status: 'terminated' } });
    expect(b.topRisks.map((r) => r.score)).toEqual([...b.topRisks.map((r) => r.score)].sort((x, y) => y - x));
  });

  it('lists the period\'s incidents in triage order with their owner and first action', () => {
    expect(b.incidents.map((i) => i.id)).toEqual(triage.incidents.map((i) => i.id));
    expect(b.incidents[0]).toMatchObject({ rank: 1, severity: 'critical', owner: 'Dana Reyes', doNow: 'contact owner deploy-bot', urgency: 'now' });
    expect(b.incidentTotals).toEqual({ total: 4, bySeverity: { critical: 1, high: 1, medium: 1, low: 1 }, byStatus: { open: 4 } });
  });

  it('renders Markdown with the sections a board pack needs', () => {
    const md = renderMarkdown(b);
    for (const h of ['# Identity risk briefing', '## Three decisions', '## Posture', '## OWASP Non-Human Identities Top 10 (2025)', '## Risk over time', '## Top 10 risks', '## Incidents in the period']) expect(md).toContain(h);
    expect(md).toContain('| Ownership coverage | 50.0% (1 of 2 machine identities have an active owner) |');
    expect(md).toContain('| NHI1 Improper offboarding | 2 | ████████████████████ |');
    expect(md).toContain('| 2026-11-03 | 3 | 38.5 | 0 | 1 |');
    // A title from an alert cannot break the table.
    expect(md).toContain("Leaver's service account active <!channel> <https://evil.example/\\|click>: etl-loader");
  });

  it('renders one self-contained HTML page: inline SVG charts, no script, nothing fetched, print rules', () => {
    const html = renderHtml(b);
    // OWASP, trend, identities by kind; the fixture has no AI agents, which the page says instead of a chart.
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain('No AI agents in the inventory.');
    expect(html).toContain('aria-label="OWASP Non-Human Identities Top 10: identities affected per risk"');
    expect(html).toContain('aria-label="Risk over time: identities in the critical and high bands, and the mean score"');
    // Nothing that would load a resource: no script, stylesheet link, image or font source, import or url().
    expect(html).not.toMatch(/<script|<link |<img |<iframe|\ssrc=|@import|url\(|@font-face|href="https?:/i);
    expect(html).toContain('@media print');
    expect(html).toContain('.page { break-after: page; }');
    expect(html).toContain('&lt;!channel&gt; &lt;https://evil.example/|click&gt;');
    expect(html).not.toContain('<!channel>');
    // Two trend days: each series draws a line through two points.
    expect(html.match(/<polyline /g)?.length).toBe(3);
  });

  it('serves briefing://latest as the CISO briefing', async () => {
    const out = await cisoBriefingRenderer({ db, config: Config.parse({}), tools: new Map(), principal: { name: 'ciso', kind: 'human', scopes: ['read:briefing'], transport: 'http', tokenId: null, expiresAt: null }, deadlineMs: 30_000 });
    expect(out.asOf).toBe('2026-11-10T05:30:00.000Z');
    expect(out.markdown).toContain('## Three decisions');
  });
});
