import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { BIN, ROOT, idcopilot } from '../helpers/cli.js';
import { startSlackServer } from '../helpers/slack-server.js';
import { ctRecord, delivery, eventId } from '../realtime/cloudtrail.js';

const dir = mkdtempSync(join(tmpdir(), 'idc-e2e-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A fresh database on the test server for the PostgreSQL run. */
async function freshDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `e2e_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

type StoreSetup = { env: Record<string, string | undefined>; args: string[]; done(): Promise<void> };
const stores: { name: string; setup: () => Promise<StoreSetup> }[] = [
  { name: 'pglite', setup: async () => ({ env: {}, args: ['--data', join(dir, `store-${randomBytes(3).toString('hex')}`)], done: async () => {} }) },
];
const pgUrl = inject('pgUrl');
if (pgUrl) stores.push({ name: 'postgres', setup: async () => {
  const db = await freshDatabase(pgUrl);
  return { env: { DATABASE_URL: db.url }, args: [], done: () => db.drop() };
} });

describe.each(stores)('serve --http with POST /ingest and --watch (the real CLI) [$name]', { timeout: 300_000 }, ({ setup }) => {
  it('events posted and files dropped both reach incidents and Slack within seconds; SIGTERM stops cleanly', async () => {
    const store = await setup();
    const slack = await startSlackServer();
    const logs = join(dir, `logs-${randomBytes(3).toString('hex')}`);
    mkdirSync(logs);
    const made = idcopilot(['token', 'create', '--principal', 'log-shipper', '--kind', 'service_account', '--role', 'ingest', '--json', ...store.args], { env: store.env });
    expect(made.status).toBe(0);
    const token: string = made.json().token;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ...store.env, SLACK_WEBHOOK_URL: slack.webhookUrl };
    if (!store.env.DATABASE_URL) delete env.DATABASE_URL;
    const child = spawn(process.execPath, [BIN, 'serve', '--http', `127.0.0.1:${port}`, '--watch', logs, ...store.args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const until = async (what: string, pred: () => boolean, ms = 90_000) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (child.exitCode !== null) throw new Error(`serve exited before ${what}: ${err}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until('the ingest line', () => /ingest: POST http:\/\/127\.0\.0\.1:\d+\/ingest .*watching .*incidents to Slack \(webhook\)/.test(err));
      const url = `http://127.0.0.1:${port}/ingest`;
      const post = (body: string) => fetch(url, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' } });

      // 1. Over HTTP: ordinary calls, then a key minted for someone else.
      const t = Date.parse('2026-05-01T12:00:00Z');
      const benign = Array.from({ length: 20 }, (_, i) => ctRecord({ id: eventId(`e2e-http-b${i}`), time: new Date(t + i * 1000), user: `svc-${i % 3}`, action: 'ListUsers' }));
      expect((await post(benign.map((r) => JSON.stringify(r)).join('\n'))).status).toBe(200);
      const sent = Date.now();
      const attack = ctRecord({ id: eventId('e2e-http-attack'), time: new Date(t + 30_000), user: 'http-intruder', action: 'CreateAccessKey', params: { userName: 'ops-admin' } });
      const r = await post(JSON.stringify(attack) + '\n');
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ records: 1, loaded: 1, durable: true });
      await until('the Slack message for the posted attack', () => slack.accepted().some((m) => /http-intruder/.test(m.body.text)), 60_000);
      const viaHttp = slack.accepted().find((m) => /http-intruder/.test(m.body.text))!;
      expect(viaHttp.body.text).toMatch(/^HIGH Access key created for another IAM user: http-intruder/);
      expect(viaHttp.at - sent).toBeLessThan(15_000);

      // 2. From a file dropped into the watched folder.
      const dropped = Date.now();
      writeFileSync(join(logs, '111122223333_CloudTrail_us-east-1_20260501T1205Z_e2e.json.gz'), delivery([
        ctRecord({ id: eventId('e2e-file-attack'), time: new Date(t + 40_000), user: 'file-intruder', action: 'CreateLoginProfile', params: { userName: 'ops-admin' } }),
      ]));
      await until('the Slack message for the dropped file', () => slack.accepted().some((m) => /file-intruder/.test(m.body.text)), 60_000);
      expect(slack.accepted().find((m) => /file-intruder/.test(m.body.text))!.at - dropped).toBeLessThan(15_000);

      // 3. The status endpoint agrees.
      const st = await (await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } })).json();
      expect(st.incidents.opened).toBeGreaterThanOrEqual(2);
      expect(st.notify).toMatchObject({ target: 'webhook', failed: 0 });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toMatch(/stopping/);
      expect(slack.accepted()).toHaveLength(2);
      // Every ingest call was audited, and the chain verifies.
      const v = idcopilot(['audit', 'verify', '--json', ...store.args], { env: store.env });
      expect(v.status, v.stdout + v.stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await slack.close();
      await store.done();
    }
  });
});

