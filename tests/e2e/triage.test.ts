import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityExplain, IncidentExplain, TriageResult } from '../../src/model/index.js';
import { BIN, ROOT, idcopilot } from '../helpers/cli.js';
import { startOpenAIServer, type OpenAIServer } from '../helpers/openai-server.js';

/**
 * The real CLI, as an analyst uses it at 3 a.m.: ingest a scenario's vendor files, triage, explain,
 * acknowledge, mark a false positive with a suppression rule, and the LLM narrator against an
 * OpenAI-compatible endpoint.
 */
const SCENARIO = join(ROOT, 'evals/scenarios/dormant-admin-key');
const USER = 'arn:aws:iam::556677889900:user/ops-legacy';
const KEY = 'aws:access-key:AKIAOPSLEGACY0000007';

/** The CLI without blocking this process (the scripted LLM server runs here). */
function run(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e: Record<string, string | undefined> = { ...process.env, ...env };
    delete e.DATABASE_URL;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('idcopilot triage, explain, incident (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idc-triage-e2e-'));
  const data = join(dir, 'store');
  const suppressions = join(dir, 'suppressions.yaml');
  let first: TriageResult;
  let server: OpenAIServer;

  beforeAll(async () => {
    const inputs = readdirSync(SCENARIO).filter((f) => f !== 'truth.yaml').map((f) => join(SCENARIO, f));
    const ing = idcopilot(['ingest', ...inputs, '--data', data, '--json']);
    expect(ing.status, ing.stderr).toBe(0);
    server = await startOpenAIServer({
      chat: (req) => {
        const user = JSON.stringify(req.messages);
        const id = /Incident (inc-[0-9a-f]{10})/.exec(user)?.[1] ?? 'inc-0000000000';
        const root = /rootIdentity\\?":\s*\\?"([^"\\]+)/.exec(user)?.[1] ?? '';
        return { content: JSON.stringify({ whatIsHappening: `Incident [${id}] starts at [${root}].`, whatNeedsActionNow: `Follow the recommended actions for [${root}].` }) };
      },
    });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  it('prints the triage contract, ranked, with actions and commands', () => {
    const r = idcopilot(['triage', '--json', '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    first = TriageResult.parse(r.json());
    expect(first.asOf).toBe('2026-10-10T02:16:03.000Z');
    const top = first.incidents[0];
    expect(top).toMatchObject({ rank: 1, rootIdentity: USER, status: 'open', chain: [{ identity: USER, edge: null }, { identity: KEY, edge: 'owns_credential' }] });
    expect(top.actions.find((a) => a.action === 'deactivate_credential' && a.target === KEY)?.command).toBe('aws iam update-access-key --user-name ops-legacy --access-key-id AKIAOPSLEGACY0000007 --status Inactive');
    expect(top.whatIsHappening).toContain(`[${USER}]`);
    expect(top.narrator).toMatchObject({ kind: 'deterministic', fallbackReason: null });
  });

  it('keeps the same incident ids on a re-run, and reads like an answer in text', () => {
    const r = idcopilot(['triage', '--data', data]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`#1  ${first.incidents[0].severity.toUpperCase()}`);
    expect(r.stdout).toContain(first.incidents[0].id);
    expect(r.stdout).toContain('What needs action now: Now: ');
    expect(r.stdout).toContain('$ aws iam update-access-key --user-name ops-legacy');
    const again = TriageResult.parse(idcopilot(['triage', '--json', '--data', data]).json());
    expect(again.incidents.map((i) => i.id)).toEqual(first.incidents.map((i) => i.id));
  });

  it('explains an incident and an identity', () => {
    const inc = IncidentExplain.parse(idcopilot(['explain', first.incidents[0].id, '--json', '--data', data]).json());
    expect(inc.incident.id).toBe(first.incidents[0].id);
    expect(inc.mermaid).toMatch(/^flowchart LR/);
    expect(inc.history.map((h) => h.action)).toEqual(['opened']);
    const txt = idcopilot(['explain', first.incidents[0].id, '--data', data]);
    expect(txt.stdout).toMatch(/Why it ranks here:\n {2}severity/);
    expect(txt.stdout).toContain('Chain (root first):');
    const who = IdentityExplain.parse(idcopilot(['explain', USER, '--json', '--data', data]).json());
    expect(who.identity).toMatchObject({ id: USER, kind: 'service_account' });
    expect(who.incidents.map((i) => i.id)).toContain(first.incidents[0].id);
    expect(who.whatIsIt).toMatch(/ops-legacy is a service account in aws/);
  });

  it('narrates through an OpenAI-compatible endpoint when asked, behind the grounding guard', async () => {
    const r = await run(['triage', '--json', '--narrator', 'llm', '--top', '3', '--data', data], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'k' });
    expect(r.status, r.stderr).toBe(0);
    const out = TriageResult.parse(JSON.parse(r.stdout));
    const top = out.incidents[0];
    expect(top.narrator).toMatchObject({ kind: 'llm', model: 'gpt-4o-mini', fallbackReason: null });
    expect(top.whatIsHappening).toBe(`Incident [${top.id}] starts at [${top.rootIdentity}].`);
    expect(top.actions).toEqual(first.incidents.find((i) => i.id === top.id)!.actions);
    expect(server.chats.length).toBeGreaterThan(0);
  }, 120_000);

  it('records an analyst decision in the history', () => {
    const id = first.incidents[0].id;
    const ack = idcopilot(['incident', 'ack', id, '--reason', 'disabling the key now', '--actor', 'oncall@acme.example', '--json', '--data', data]);
    expect(ack.status, ack.stderr).toBe(0);
    expect(ack.json()).toMatchObject({ id, from: 'open', to: 'acknowledged' });
    const h = idcopilot(['incident', 'history', id, '--json', '--data', data]).json();
    expect(h.history.map((x: { action: string; actor: string }) => [x.action, x.actor])).toEqual([['opened', 'copilot'], ['ack', 'oncall@acme.example']]);
    expect(idcopilot(['incident', 'ack', id, '--data', data]).status).toBe(2);
    const missing = idcopilot(['incident', 'resolve', 'inc-00000000ff', '--reason', 'x', '--data', data]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no incident inc-00000000ff/);
  });

  it('turns a false positive into a suppression rule that keeps the pattern out of triage', () => {
    const benign = first.incidents[0];
    const fp = idcopilot(['incident', 'false-positive', benign.id, '--reason', 'Sam reviewing dashboards', '--suppress', '30d', '--suppressions', suppressions, '--json', '--data', data]);
    expect(fp.status, fp.stderr).toBe(0);
    expect(fp.json()).toMatchObject({ id: benign.id, from: 'acknowledged', to: 'false_positive', suppressions: [...new Set(benign.signals.map((x) => x.rule ?? x.title))].map((_, i) => `${benign.id}-${i + 1}`) });
    expect(readFileSync(suppressions, 'utf8')).toContain(`rootIdentity: ${benign.rootIdentity}`);
    const after = TriageResult.parse(idcopilot(['triage', '--json', '--suppressions', suppressions, '--data', data]).json());
    expect(after.incidents.map((i) => i.id)).not.toContain(benign.id);
    expect(after.totals.suppressedAlerts).toBe(benign.alerts.length);
  });

  it('refuses bad usage', () => {
    expect(idcopilot(['triage', '--top', '0', '--data', data]).status).toBe(2);
    expect(idcopilot(['triage', '--as-of', 'yesterday', '--data', data]).stderr).toMatch(/--as-of: "yesterday" is not a time/);
  });
});
