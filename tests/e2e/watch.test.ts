import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestPaths } from '../../src/ingest/pipeline.js';
import { openStore, type Db } from '../../src/store/index.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { startSlackServer } from '../helpers/slack-server.js';
import { mixedStream } from '../realtime/cloudtrail.js';

const dir = mkdtempSync(join(tmpdir(), 'idc-e2e-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURES = join(ROOT, 'tests/fixtures/realtime');

/** The real CLI in the background, its stdout read as JSON lines (watch --json) and stderr kept. */
function run(args: string[], env: Record<string, string | undefined> = {}) {
  const e = { ...process.env, ...env };
  if (!('DATABASE_URL' in env)) delete e.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: any[] = [];
  let stderr = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        lines.push({ type: 'text', text: line });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const waitFor = async (what: string, pred: (l: any) => boolean, ms = 60_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before ${what}: ${stderr}`);
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, lines, stderr: () => stderr, exited, waitFor };
}

async function count(db: Db, sql: string): Promise<number> {
  return Number((await db.query(sql))[0].n);
}
const hops = (db: Db) => db.query(`SELECT from_id, kind, to_id, count FROM edges WHERE observed ORDER BY 1, 2, 3`);

describe('idcopilot watch (the real CLI)', { timeout: 300_000 }, () => {
  it('killed with SIGKILL in the middle of a file and started again, it loses nothing and repeats nothing', async () => {
    const data = join(dir, 'store-kill');
    const logs = join(dir, 'logs-kill');
    mkdirSync(logs);
    const n = 12_000;
    const text = mixedStream(n, new Date('2026-05-01T00:00:00Z'), 'e2e-kill').map((r) => JSON.stringify(r)).join('\n') + '\n';
    const file = join(logs, 'trail.ndjson');
    writeFileSync(file, text);
    const size = statSync(file).size;

    // The CLI's own start (tsx, every command's modules) is measured apart: the machine may be loaded.
    const v0 = Date.now();
    await run(['--version']).exited;
    const cliMs = Date.now() - v0;
    const started = Date.now();
    const first = run(['watch', logs, '--data', data, '--json', '--no-engines', '--chunk', '262144']);
    const ready = await first.waitFor('ready', (l) => l.type === 'ready');
    const readyMs = Date.now() - started;
    expect(ready).toMatchObject({ files: 1, engines: false });
    await first.waitFor('a first commit', (l) => l.type === 'commit');
    first.child.kill('SIGKILL');
    await first.exited;
    const before = first.lines.filter((l) => l.type === 'commit');
    expect(before.at(-1).offset).toBeLessThan(size);

    const second = run(['watch', logs, '--data', data, '--json', '--no-engines', '--chunk', '262144']);
    await second.waitFor('the end of the file', (l) => l.type === 'commit' && l.offset === size, 120_000);
    // It went on from a committed offset, never from the start.
    const resumed = second.lines.filter((l) => l.type === 'commit');
    expect(resumed[0].from).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.lines.at(-1)).toEqual({ type: 'stopped' });

    // The store now holds what one clean ingest of the file gives.
    const db = await openStore({ data });
    const ref = await openStore({ data: ':memory:' });
    try {
      await ingestPaths(ref, [file]);
      expect(await count(db, `SELECT count(*)::int AS n FROM events WHERE provider <> 'copilot'`)).toBe(n);
      expect(await hops(db)).toEqual(await hops(ref));
      const [cp] = await db.query('SELECT byte_offset, records, status FROM watch_checkpoints');
      expect({ offset: Number(cp.byte_offset), records: Number(cp.records), status: cp.status }).toEqual({ offset: size, records: n, status: 'following' });
    } finally {
      await db.close();
      await ref.close();
    }
    // Ready within seconds beyond the CLI's own start (a fresh store included: PGlite's initdb and the migrations).
    expect(readyMs - cliMs).toBeLessThan(20_000);
  });

  it('reads a CloudTrail delivery dropped into the folder and tells on-call through Slack within seconds', async () => {
    const slack = await startSlackServer();
    const data = join(dir, 'store-slack');
    const logs = join(dir, 'logs-slack');
    mkdirSync(logs);
    const w = run(['watch', logs, '--data', data, '--json'], { SLACK_WEBHOOK_URL: slack.webhookUrl });
    try {
      const ready = await w.waitFor('ready', (l) => l.type === 'ready');
      expect(ready.notify).toBe('Slack (webhook)');
      // Written to a temporary name, then renamed into place, as S3 sync tools do.
      const name = '111122223333_CloudTrail_us-east-1_20260501T1005Z_fx01.json.gz';
      writeFileSync(join(logs, `.${name}.tmp`), readFileSync(join(FIXTURES, name)));
      const dropped = Date.now();
      const { renameSync } = await import('node:fs');
      renameSync(join(logs, `.${name}.tmp`), join(logs, name));
      const commit = await w.waitFor('commit', (l) => l.type === 'commit');
      expect(commit).toMatchObject({ mode: 'document', format: 'aws-cloudtrail', records: 13, loaded: 13 });
      const inc = await w.waitFor('incident', (l) => l.type === 'incident');
      expect(inc).toMatchObject({ change: 'opened', severity: 'high', rootIdentity: 'arn:aws:iam::111122223333:user/ci-deployer' });
      for (let i = 0; i < 200 && !slack.accepted().length; i++) await new Promise((r) => setTimeout(r, 50));
      const msg = slack.accepted()[0];
      expect(msg.body.text).toMatch(/^HIGH Access key created for another IAM user: ci-deployer/);
      expect(msg.body.blocks.some((b: any) => b.type === 'header')).toBe(true);
      expect(msg.at - dropped).toBeLessThan(15_000);
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(slack.accepted()).toHaveLength(1);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await slack.close();
    }
  });
});
