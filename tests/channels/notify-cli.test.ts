import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { spawn } from 'node:child_process';
import { BIN, idcopilot, ROOT } from '../helpers/cli.js';
import { startSlackServer, type SlackServer } from '../helpers/slack-server.js';

/** `idcopilot notify slack` as a cron job runs it: the real CLI, a real store, a Slack that answers as Slack does. */
const FIXTURES = join(ROOT, 'tests/fixtures/channels');
const NO_SLACK_ENV = { SLACK_WEBHOOK_URL: undefined, SLACK_BOT_TOKEN: undefined, IDCOPILOT_SLACK_API_URL: undefined };

/** The CLI in a child process without blocking this one: the Slack server here must answer it meanwhile. */
function run(args: string[], env: Record<string, string | undefined>): Promise<{ status: number | null; stdout: string; stderr: string; json: () => any }> {
  return new Promise((resolve) => {
    const e = { ...process.env, ...env };
    delete e.DATABASE_URL;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }));
  });
}

describe('idcopilot notify slack (CLI)', () => {
  let dir: string;
  let slack: SlackServer;
  const data = () => join(dir, 'store');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idc-notify-'));
    slack = await startSlackServer({ channel: 'C0ONCALL' });
    const r = idcopilot(['ingest', FIXTURES, '--data', data()], { env: NO_SLACK_ENV });
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run needs no Slack settings and prints the payloads as JSON', () => {
    const r = idcopilot(['notify', 'slack', '--dry-run', '--data', data(), '--web-url', 'https://copilot.example.com'], { env: NO_SLACK_ENV });
    expect(r.status, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ dryRun: true, asOf: '2026-11-10T05:30:00.000Z', minSeverity: 'high', pending: 0 });
    expect(out.messages.map((m: any) => [m.kind, m.severity, m.announcement])).toEqual([['incident', 'critical', 'new'], ['incident', 'high', 'new'], ['digest', null, 'digest']]);
    expect(out.messages[0].blocks[0].text.text).toBe('CRITICAL: Access key used from a TOR exit node: deploy-bot (+1 alert)');
    expect(out.messages[0].blocks.find((b: any) => b.type === 'actions').elements[0].url).toMatch(/^https:\/\/copilot\.example\.com\/incidents\/inc-[0-9a-f]{10}\?exp=\d+&sig=[A-Za-z0-9_-]{43}$/);
    // The leaver's incident title carries a mention and a link from the alert: escaped in mrkdwn.
    const leaver = JSON.stringify(out.messages[1].blocks.slice(1));
    expect(leaver).not.toContain('<!channel>');
    expect(JSON.stringify(out)).not.toMatch(/ghp_[A-Za-z0-9]{20}/);
    // Nothing was queued or recorded.
    const again = idcopilot(['notify', 'slack', '--dry-run', '--data', data()], { env: NO_SLACK_ENV }).json();
    expect(again.messages).toHaveLength(3);
  }, 120_000);

  it('without settings says which to set, and exits 2', () => {
    const r = idcopilot(['notify', 'slack', '--data', data()], { env: NO_SLACK_ENV });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no Slack settings: set SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN with --channel');
    const plain = idcopilot(['notify', 'slack', '--data', data(), '--webhook', 'http://hooks.example.com/services/x'], { env: NO_SLACK_ENV });
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('--webhook must be https://');
  }, 120_000);

  it('keeps messages queued while Slack rate-limits, delivers them on the next run, and never twice', async () => {
    const env = { ...NO_SLACK_ENV, SLACK_BOT_TOKEN: slack.token, IDCOPILOT_SLACK_API_URL: slack.apiUrl };
    slack.script(...Array.from({ length: 5 }, () => ({ status: 429 as const, retryAfter: 0 })));
    const down = await run(['notify', 'slack', '--channel', 'C0ONCALL', '--data', data(), '--json'], env);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('error: Slack is unavailable (rate_limited after 5 attempt(s)): messages stay queued for the next run');
    expect(down.json()).toMatchObject({ planned: 3, queued: 3, sent: 0, pending: 3 });
    expect(slack.accepted()).toHaveLength(0);

    const up = await run(['notify', 'slack', '--channel', 'C0ONCALL', '--data', data()], env);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain('0 message(s) planned (0 queued, 0 already queued before); sent 3, rejected 0, still queued 0.');
    expect(slack.accepted().map((r) => r.body.channel)).toEqual(['C0ONCALL', 'C0ONCALL', 'C0ONCALL']);

    const quiet = await run(['notify', 'slack', '--channel', 'C0ONCALL', '--data', data(), '--json'], env);
    expect(quiet.json()).toMatchObject({ planned: 0, sent: 0, pending: 0 });
    expect(slack.accepted()).toHaveLength(3);
  }, 180_000);

  it('keeps a token given on the command line out of the audit log', async () => {
    const token = 'xoxb-1234567890-0987654321-abcdefABCDEF0123456789';
    const r = await run(['notify', 'slack', '--token', token, '--channel', 'C0ONCALL', '--data', data(), '--no-digest'], { ...NO_SLACK_ENV, IDCOPILOT_SLACK_API_URL: slack.apiUrl });
    expect(r.status, r.stderr).toBe(0);
    const db = await openStore({ data: data() });
    try {
      const rows = await db.query<{ args: string }>(`SELECT args FROM audit_log WHERE name = 'notify slack'`);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      const all = JSON.stringify(rows);
      expect(all).not.toContain(token);
      expect(all).not.toContain(slack.apiUrl.replace('/api', ''));
      const outbox = JSON.stringify(await db.query('SELECT * FROM slack_outbox'));
      expect(outbox).not.toContain(slack.token);
    } finally {
      await db.close();
    }
  }, 120_000);
});
