import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTriage } from '../../../src/agent/triage.js';
import { deriveAfterIngest } from '../../../src/engines/derive.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import { openStore, type Db } from '../../../src/store/index.js';
import { ROOT } from '../../helpers/cli.js';

/** Triage works on whatever was ingested: logs alone (detections make the alerts), inventories alone (findings, not incidents). */
const scenario = (name: string, ...parts: string[]) => join(ROOT, 'evals/scenarios', name, ...parts);

describe('triage on partial inputs', () => {
  let db: Db | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
  });

  it('logs alone: identities inferred from the events, alerts from the built-in detections', async () => {
    db = await openStore({ data: ':memory:' });
    const r = await ingestPaths(db, [scenario('leaked-key-in-public-repo', 'AWSLogs')]);
    expect(r.totals.counts).not.toHaveProperty('alert');
    await deriveAfterIngest(db);
    const t = await runTriage(db, { top: 5, embed: false });
    const top = t.incidents[0];
    expect(top.rootIdentity).toBe('arn:aws:iam::210987654321:user/service/svc-reports');
    expect(top.chain.map((l) => l.identity)).toEqual(['arn:aws:iam::210987654321:user/service/svc-reports', 'aws:access-key:AKIATPL4REPORTS00001']);
    // No vendor alert was ingested: the behaviour baselines saw a key used from a network it never used.
    expect(top.signals.every((s) => s.source.startsWith('copilot:'))).toBe(true);
    expect(top.signals.map((s) => s.rule)).toContain('baseline:new_network');
    expect(t.findings).toEqual([]);
  });

  it('inventories alone: posture risks are findings, never incidents', async () => {
    db = await openStore({ data: ':memory:' });
    await ingestPaths(db, [scenario('dormant-admin-key', 'aws'), scenario('dormant-admin-key', 'hr'), scenario('dormant-admin-key', 'ownership')]);
    await deriveAfterIngest(db);
    const t = await runTriage(db, { top: 5, embed: false });
    expect(t.incidents).toEqual([]);
    expect(t.totals.alerts).toBe(0);
    expect(t.findings.map((f) => `${f.identity} ${f.code}`)).toEqual(expect.arrayContaining(['arn:aws:iam::556677889900:user/ops-legacy NHI1', 'arn:aws:iam::556677889900:user/ops-legacy NHI7']));
    expect(t.notices.join(' ')).toMatch(/no alerts in the window/);
  });
});
