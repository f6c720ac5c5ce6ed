import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TriageResult } from '../model/index.js';
import type { Db } from '../store/index.js';
import { briefingData, renderHtml } from './briefing/index.js';
import { planNotifications } from './slack/notify.js';

/**
 * What `idcopilot demo` leaves behind for the two audiences who never open a terminal: the CISO
 * briefing as one HTML file, and the Slack messages the on-call engineer would get, as Block Kit JSON
 * (each `{ blocks }` pastes into Slack's Block Kit Builder). Nothing is posted.
 */
export async function writeDemoOutputs(db: Db, triage: TriageResult, outDir: string): Promise<{ briefing: string; slack: string; messages: number }> {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const b = await briefingData(db, { title: 'Identity risk briefing (demo company)' });
  const briefing = join(dir, 'briefing.html');
  writeFileSync(briefing, renderHtml(b));
  const planned = await planNotifications(db, triage, { minSeverity: 'high', destination: 'dry-run' });
  const slack = join(dir, 'slack.json');
  writeFileSync(slack, JSON.stringify({
    asOf: triage.asOf,
    note: 'What `idcopilot notify slack` would post: one card per new incident of high severity or above, then the on-call digest. Paste a message\'s { "blocks": [...] } into https://app.slack.com/block-kit-builder to see it.',
    messages: planned.map((p) => ({ kind: p.kind, incident: p.incidentId, severity: p.severity, text: p.message.text, blocks: p.message.blocks })),
  }, null, 2) + '\n');
  return { briefing, slack, messages: planned.length };
}
