import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackClient } from '../../src/channels/slack/client.js';
import type { SlackMessage } from '../../src/channels/slack/limits.js';
import { startSlackServer, type SlackServer } from '../helpers/slack-server.js';

const MSG: SlackMessage = { text: 'HIGH incident', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*What is happening*\nsomething' } }] };

describe('Slack client against a server that answers as Slack does', () => {
  let slack: SlackServer;
  let waits: number[];
  const sleep = async (ms: number) => void waits.push(ms);

  beforeAll(async () => {
    slack = await startSlackServer({ channel: 'C0ONCALL' });
  });
  afterAll(() => slack.close());
  beforeEach(() => {
    waits = [];
    slack.requests.length = 0;
  });

  it('posts through a webhook and through chat.postMessage with the bot token', async () => {
    const hook = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep });
    expect(await hook.post(MSG)).toEqual({ ok: true, ts: null, channel: null, attempts: 1 });
    const api = new SlackClient({ kind: 'token', token: slack.token, channel: 'C0ONCALL', apiUrl: slack.apiUrl }, { sleep });
    const r = await api.post(MSG);
    expect(r).toMatchObject({ ok: true, channel: 'C0ONCALL', attempts: 1 });
    expect(r.ok && r.ts).toMatch(/^\d+\.000100$/);
    expect(slack.requests.map((q) => [q.kind, q.reply])).toEqual([['webhook', 'ok'], ['api', 'ok']]);
    expect(slack.requests[1].authorization).toBe(`Bearer ${slack.token}`);
    expect(slack.requests[1].body).toMatchObject({ channel: 'C0ONCALL', text: 'HIGH incident', unfurl_links: false });
    expect(slack.requests[0].body.channel).toBeUndefined();
  });

  it('waits what Retry-After says on 429, then delivers', async () => {
    slack.script({ status: 429, retryAfter: 7 }, { status: 429, retryAfter: 2 });
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep });
    const r = await c.post(MSG);
    expect(r).toEqual({ ok: true, ts: null, channel: null, attempts: 3 });
    expect(waits).toEqual([7000, 2000]);
    expect(slack.requests.map((q) => q.reply)).toEqual(['429', '429', 'ok']);
  });

  it('really sleeps for Retry-After (1 s) between the two requests', async () => {
    slack.script({ status: 429, retryAfter: 1 });
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl });
    const r = await c.post(MSG);
    expect(r.ok).toBe(true);
    expect(slack.requests[1].at - slack.requests[0].at).toBeGreaterThanOrEqual(990);
  });

  it('backs off exponentially on 5xx and gives up after its attempts, as unavailable', async () => {
    slack.script({ status: 500 }, { status: 503 }, { status: 500 }, { status: 502 });
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep, maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 });
    const r = await c.post(MSG);
    expect(r).toEqual({ ok: false, error: 'http 502', reason: 'unavailable', attempts: 4 });
    expect(waits).toHaveLength(3);
    // Jittered between half and all of 1, 2, 4 s.
    expect(waits[0]).toBeGreaterThanOrEqual(500);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    expect(waits[1]).toBeGreaterThanOrEqual(1000);
    expect(waits[1]).toBeLessThanOrEqual(2000);
    expect(waits[2]).toBeGreaterThanOrEqual(2000);
    expect(waits[2]).toBeLessThanOrEqual(4000);
  });

  it('does not sit out a Retry-After longer than it may wait', async () => {
    slack.script({ status: 429, retryAfter: 3600 });
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep, maxRetryAfterMs: 120_000 });
    const r = await c.post(MSG);
    expect(r).toMatchObject({ ok: false, reason: 'unavailable', attempts: 1, error: 'rate_limited (Slack asks to wait 3600 s)' });
    expect(waits).toEqual([]);
  });

  it('reports invalid_blocks as a content error, on both APIs, without retrying', async () => {
    slack.script('invalid_blocks', 'invalid_blocks');
    const hook = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep });
    expect(await hook.post(MSG)).toEqual({ ok: false, error: 'invalid_blocks', reason: 'content', attempts: 1 });
    const api = new SlackClient({ kind: 'token', token: slack.token, channel: 'C0ONCALL', apiUrl: slack.apiUrl }, { sleep });
    expect(await api.post(MSG)).toEqual({ ok: false, error: 'invalid_blocks', reason: 'content', attempts: 1 });
  });

  it('refuses a message over Block Kit limits as Slack does', async () => {
    const huge: SlackMessage = { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) };
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep });
    expect(await c.post(huge)).toMatchObject({ ok: false, error: 'invalid_blocks', reason: 'content' });
  });

  it('reports a refused token or channel as a configuration error, and never echoes the secret', async () => {
    const bad = new SlackClient({ kind: 'token', token: 'xoxb-9999999999-wrong-token-value', channel: 'C0ONCALL', apiUrl: slack.apiUrl }, { sleep });
    const r = await bad.post(MSG);
    expect(r).toEqual({ ok: false, error: 'invalid_auth', reason: 'config', attempts: 1 });
    const wrongChannel = new SlackClient({ kind: 'token', token: slack.token, channel: 'C0OTHER', apiUrl: slack.apiUrl }, { sleep });
    expect(await wrongChannel.post(MSG)).toEqual({ ok: false, error: 'channel_not_found', reason: 'config', attempts: 1 });
    const gone = new SlackClient({ kind: 'webhook', url: `${slack.url}/services/T1/B1/revoked` }, { sleep });
    const g = await gone.post(MSG);
    expect(g).toEqual({ ok: false, error: 'no_service', reason: 'config', attempts: 1 });
    expect(JSON.stringify([r, g])).not.toMatch(/xoxb|revoked/);
  });

  it('times out a Slack that never answers and treats it as unavailable', async () => {
    slack.script('hang', 'hang');
    const c = new SlackClient({ kind: 'webhook', url: slack.webhookUrl }, { sleep, timeoutMs: 200, maxAttempts: 2 });
    const r = await c.post(MSG);
    expect(r).toEqual({ ok: false, error: 'network: timed out', reason: 'unavailable', attempts: 2 });
  });

  it('treats a refused connection as unavailable without naming the URL', async () => {
    const c = new SlackClient({ kind: 'webhook', url: 'http://127.0.0.1:9/services/T/B/secretpart' }, { sleep, maxAttempts: 2 });
    const r = await c.post(MSG);
    expect(r).toMatchObject({ ok: false, reason: 'unavailable', attempts: 2 });
    expect(JSON.stringify(r)).not.toContain('secretpart');
  });

  it('refuses a webhook that would cross the network in clear', () => {
    expect(() => new SlackClient({ kind: 'webhook', url: 'http://hooks.slack.com/services/T/B/X' })).toThrow(/must be https/);
    expect(() => new SlackClient({ kind: 'webhook', url: 'not a url' })).toThrow(/not a URL/);
    expect(() => new SlackClient({ kind: 'webhook', url: 'https://hooks.slack.com/services/T/B/X' })).not.toThrow();
  });
});
