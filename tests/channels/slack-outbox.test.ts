import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { LinkSigner } from '../../src/channels/links.js';
import { SlackClient } from '../../src/channels/slack/client.js';
import { planNotifications, queuePlanned, type PlanOptions } from '../../src/channels/slack/notify.js';
import { deliver, listOutbox } from '../../src/channels/slack/outbox.js';
import type { Severity } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import { startSlackServer, type SlackServer } from '../helpers/slack-server.js';
import { describeStores } from '../helpers/stores.js';
import { fourIncidents, makeTriage } from './incidents.js';

const SIGNER = new LinkSigner(Buffer.alloc(32, 7));
const PLAN: PlanOptions = { minSeverity: 'high', destination: 'webhook', signer: SIGNER, webUrl: 'https://copilot.example.com', now: Date.parse('2026-11-10T06:00:00Z') };
const noSleep = async () => undefined;

describeStores('Slack outbox and notification state', (open) => {
  let db: Db;
  let slack: SlackServer;
  let client: SlackClient;

  beforeAll(async () => {
    db = await open();
    slack = await startSlackServer();
    client = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep: noSleep, maxAttempts: 3 });
  });
  afterAll(async () => {
    await slack?.close();
    await db?.close();
  });
  beforeEach(async () => {
    await db.exec('DELETE FROM slack_outbox; DELETE FROM slack_notified; DELETE FROM incident_history;');
    slack.requests.length = 0;
  });

  async function run(triage = makeTriage(fourIncidents()), opts: Partial<PlanOptions> = {}) {
    const planned = await planNotifications(db, triage, { ...PLAN, ...opts });
    const queued = await queuePlanned(db, planned, 'webhook');
    const report = await deliver(db, client);
    return { planned, queued, report };
  }

  it('announces each new open incident at or above the minimum once, with a digest, and nothing the second time', async () => {
    const first = await run();
    expect(first.planned.map((p) => [p.kind, p.incidentId, p.announcement])).toEqual([
      ['incident', 'inc-00000000a1', 'new'],
      ['incident', 'inc-00000000b2', 'new'],
      ['digest', null, 'digest'],
    ]);
    expect(first.queued).toEqual({ queued: 3, alreadyQueued: 0 });
    expect(first.report).toMatchObject({ sent: 3, plainText: 0, rejected: 0, pending: 0, stopped: null });
    expect(slack.accepted().map((r) => r.body.blocks[0].text.text)).toEqual([
      'CRITICAL: Access key used from a TOR exit node: deploy-bot',
      "HIGH: Leaver's service account active: etl-loader",
      'On-call digest: 3 open incidents',
    ]);
    // The link in the card is signed for that incident's page and verifies.
    const url = new URL(slack.accepted()[0].body.blocks.find((b: any) => b.type === 'actions').elements[0].url);
    expect(url.origin + url.pathname).toBe('https://copilot.example.com/incidents/inc-00000000a1');
    expect(SIGNER.verify(url.pathname, url.searchParams.get('exp'), url.searchParams.get('sig'), PLAN.now)).toBe('ok');
    expect(SIGNER.verify('/incidents/inc-00000000b2', url.searchParams.get('exp'), url.searchParams.get('sig'), PLAN.now)).toBe('invalid');

    const second = await run();
    expect(second.planned).toEqual([]);
    expect(slack.requests).toHaveLength(3);
  });

  it('announces an escalation once, and neither a de-escalation nor a return to the same severity', async () => {
    await run();
    slack.requests.length = 0;
    const up = await run(makeTriage(fourIncidents({ 'inc-00000000b2': 'critical' })));
    expect(up.planned.map((p) => [p.incidentId, p.announcement, p.previousSeverity])).toEqual([['inc-00000000b2', 'escalated', 'high'], [null, 'digest', null]]);
    expect(slack.accepted()[0].body.blocks[0].text.text).toBe("Escalated to critical: Leaver's service account active: etl-loader");
    const down = await run(makeTriage(fourIncidents({ 'inc-00000000b2': 'high' })));
    expect(down.planned.filter((p) => p.kind === 'incident')).toEqual([]);
    const again = await run(makeTriage(fourIncidents({ 'inc-00000000b2': 'critical' })));
    expect(again.planned.filter((p) => p.kind === 'incident')).toEqual([]);
    const [row] = await db.query(`SELECT severity, generation FROM slack_notified WHERE incident_id = 'inc-00000000b2'`);
    expect(row).toEqual({ severity: 'critical', generation: 0 });
  });

  it('announces the escalation of an acknowledged incident, and nothing else about it', async () => {
    const withD4 = (sev: Severity, status: 'open' | 'acknowledged') =>
      makeTriage(fourIncidents({ 'inc-00000000d4': sev }).map((i) => (i.id === 'inc-00000000d4' ? { ...i, status } : i)));
    const first = await run(withD4('high', 'open'), { digest: false });
    expect(first.planned.map((p) => [p.incidentId, p.announcement])).toContainEqual(['inc-00000000d4', 'new']);
    // Someone acknowledges it: no announcement while its severity holds ...
    expect((await run(withD4('high', 'acknowledged'), { digest: false })).planned).toEqual([]);
    // ... but new evidence that raises it reaches on-call.
    const up = await run(withD4('critical', 'acknowledged'), { digest: false });
    expect(up.planned.map((p) => [p.incidentId, p.announcement, p.previousSeverity])).toEqual([['inc-00000000d4', 'escalated', 'high']]);
  });

  it('announces a reopened incident again', async () => {
    await run();
    await db.query(`INSERT INTO incident_history (incident_id, action, actor, reason) VALUES ('inc-00000000a1', 'reopened', 'triage', 'newer alerts')`);
    const r = await run();
    expect(r.planned.filter((p) => p.kind === 'incident').map((p) => [p.incidentId, p.announcement, p.dedupeKey])).toEqual([['inc-00000000a1', 'reopened', 'incident:inc-00000000a1:critical:g1']]);
    expect(slack.accepted().at(-1)!.body.blocks[0].text.text).toBe('Reopened, critical: Access key used from a TOR exit node: deploy-bot');
  });

  it('skips what is below the minimum or already being handled, and follows --min-severity', async () => {
    const r = await run(undefined, { minSeverity: 'medium', digest: false });
    expect(r.planned.map((p) => p.incidentId)).toEqual(['inc-00000000a1', 'inc-00000000b2', 'inc-00000000c3']);
  });

  it('loses nothing while Slack is down: the next run delivers what is queued, each once', async () => {
    slack.script({ status: 500 }, { status: 500 }, { status: 503 });
    const down = await run();
    expect(down.report).toMatchObject({ sent: 0, pending: 3 });
    expect(down.report.stopped).toMatch(/^Slack is unavailable \(http 503 after 3 attempt\(s\)\): messages stay queued/);
    expect(slack.requests).toHaveLength(3);
    const rows = await listOutbox(db, { status: ['pending'] });
    expect(rows.map((r) => [r.incidentId, r.attempts, r.lastError])).toEqual([['inc-00000000a1', 1, 'http 503'], ['inc-00000000b2', 0, null], [null, 0, null]]);

    // Slack is back; the next run plans nothing new but delivers the queue, in order.
    const back = await run();
    expect(back.planned).toEqual([]);
    expect(back.report).toMatchObject({ sent: 3, pending: 0, stopped: null });
    const bodies = slack.accepted().map((r) => r.body.blocks[0].text.text);
    expect(bodies).toEqual(['CRITICAL: Access key used from a TOR exit node: deploy-bot', "HIGH: Leaver's service account active: etl-loader", 'On-call digest: 3 open incidents']);
    expect(new Set(bodies).size).toBe(bodies.length);
  });

  it('honours 429 with Retry-After within a delivery', async () => {
    const waits: number[] = [];
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep: async (ms) => void waits.push(ms) });
    slack.script({ status: 429, retryAfter: 4 });
    await queuePlanned(db, await planNotifications(db, makeTriage(fourIncidents()), PLAN), 'webhook');
    const r = await deliver(db, c);
    expect(r).toMatchObject({ sent: 3, pending: 0 });
    expect(waits).toEqual([4000]);
    expect(slack.requests.map((q) => q.reply)).toEqual(['429', 'ok', 'ok', 'ok']);
  });

  it('retries a message refused for its blocks once as plain text, and records it', async () => {
    slack.script('invalid_blocks');
    const r = await run(undefined, { digest: false });
    expect(r.report).toMatchObject({ sent: 2, plainText: 1, rejected: 0 });
    const retried = slack.requests[1];
    expect(retried.body.blocks).toBeUndefined();
    expect(retried.body.text).toContain('*What is happening*');
    expect(retried.body.text).toContain('https://copilot.example.com/incidents/inc-00000000a1?exp=');
    const [row] = await listOutbox(db, { status: ['sent'], limit: 1 });
    expect(row).toMatchObject({ incidentId: 'inc-00000000a1', fallback: 'plain_text', lastError: 'blocks refused; sent as plain text' });
  });

  it('records a message refused even as plain text, and goes on with the rest', async () => {
    slack.script('invalid_blocks', 'invalid_blocks');
    const r = await run(undefined, { digest: false });
    expect(r.report).toMatchObject({ sent: 1, rejected: 1, pending: 0 });
    const [rejected] = await listOutbox(db, { status: ['rejected'] });
    expect(rejected).toMatchObject({ incidentId: 'inc-00000000a1', fallback: 'plain_text', lastError: 'invalid_blocks; as plain text: invalid_blocks' });
    // Rejected is final: it is not planned or posted again.
    const again = await run(undefined, { digest: false });
    expect(again.planned).toEqual([]);
    expect(again.report.sent).toBe(0);
  });

  it('stops on a refused token or channel and keeps every message queued', async () => {
    const bad = new SlackClient({ kind: 'token', token: 'xoxb-0-wrong', channel: 'C1', apiUrl: slack.apiUrl }, { sleep: noSleep });
    await queuePlanned(db, await planNotifications(db, makeTriage(fourIncidents()), PLAN), 'C1');
    const r = await deliver(db, bad);
    expect(r).toMatchObject({ sent: 0, pending: 3 });
    expect(r.stopped).toBe('Slack refused the token or channel (invalid_auth): fix it and run again; messages stay queued');
    expect(slack.requests).toHaveLength(1);
  });

  it('never queues the same state twice, even when planned twice before delivery', async () => {
    const plan = await planNotifications(db, makeTriage(fourIncidents()), PLAN);
    const a = await queuePlanned(db, plan, 'webhook');
    const b = await queuePlanned(db, plan, 'webhook');
    expect(a).toEqual({ queued: 3, alreadyQueued: 0 });
    expect(b).toEqual({ queued: 0, alreadyQueued: 3 });
    const [n] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM slack_outbox');
    expect(n.n).toBe(3);
  });

  it('lets two deliveries share a queue without posting a message twice', async () => {
    await queuePlanned(db, await planNotifications(db, makeTriage(fourIncidents()), PLAN), 'webhook');
    const [a, b] = await Promise.all([deliver(db, client), deliver(db, client)]);
    expect(a.sent + b.sent).toBe(3);
    expect(slack.accepted()).toHaveLength(3);
  });
});
