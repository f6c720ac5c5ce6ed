import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealtimeService, type IncidentChange } from '../../src/realtime/index.js';
import { Config } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';
import { ctRecord, eventId } from './cloudtrail.js';

const T = Date.parse('2026-05-01T10:00:00Z');
const at = (min: number) => new Date(T + min * 60_000);
const body = (recs: Record<string, unknown>[]) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A service as serve runs it, announcing by print into a list, incidents collected as they change. */
function service(db: Db) {
  const printed: string[] = [];
  const changes: IncidentChange[] = [];
  const svc = new RealtimeService(db, {
    config: Config.parse({}),
    riskIntervalMs: 0,
    notify: { target: { kind: 'print', write: (t) => printed.push(t) }, minSeverity: 'medium' },
    onEvent: (e) => {
      if (e.type === 'incident') changes.push(e.change);
    },
  });
  const send = async (recs: Record<string, unknown>[]) => {
    const r = svc.reserve(1 << 20)!;
    const o = await svc.submit(r, { label: `http:test`, text: body(recs), receivedAt: Date.now() });
    await svc.settled();
    // Delivery runs on its own: let it print.
    await new Promise((res) => setTimeout(res, 50));
    return o.outcome;
  };
  return { svc, send, printed, changes };
}

describeStores('realtime engines: incremental detections, incidents, escalation, notification', (open) => {
  let db: Db;
  let s: ReturnType<typeof service>;
  beforeAll(async () => {
    db = await open();
    s = service(db);
    await s.svc.start();
    // History for the baselines: ordinary reads by a few service users.
    const benign = Array.from({ length: 40 }, (_, i) => ctRecord({ id: eventId(`eng-b${i}`), time: at(i), user: `svc-${i % 3}`, action: 'ListUsers' }));
    expect((await s.send(benign)).loaded).toBe(40);
  });
  afterAll(async () => {
    await s?.svc.stop();
    await db?.close();
  });

  const incidentOf = async (root: string) => (await db.query('SELECT id, severity, score, status, alerts::text AS alerts, updated_at FROM incidents WHERE root_identity = $1', [root]))[0];
  const arn = (u: string) => `arn:aws:iam::111122223333:user/${u}`;

  it('an attack in new events opens an incident, records it as opened, and announces it once; the same events again change nothing', async () => {
    const attack = [ctRecord({ id: eventId('eng-a1'), time: at(41), user: 'ci-deployer', action: 'CreateAccessKey', params: { userName: 'billing-admin' } })];
    const out = await s.send(attack);
    expect(out).toMatchObject({ formats: ['aws-cloudtrail'], records: 1, loaded: 1, rejected: 0, error: null });
    const inc = await incidentOf(arn('ci-deployer'));
    expect(inc).toMatchObject({ severity: 'high', status: 'open' });
    expect(JSON.parse(inc.alerts)).toEqual([`rule:aws.iam.access-key-for-other-user:aws:ct:${eventId('eng-a1')}`]);
    const history = await db.query('SELECT action, actor FROM incident_history WHERE incident_id = $1 ORDER BY id', [inc.id]);
    expect(history).toEqual([{ action: 'opened', actor: 'copilot' }]);
    expect(s.changes.filter((c) => c.id === inc.id).map((c) => c.change)).toEqual(['opened']);
    expect(s.printed.filter((t) => t.includes('Access key created for another IAM user: ci-deployer'))).toHaveLength(1);
    expect(s.printed.find((t) => t.includes('ci-deployer'))).toMatch(/^HIGH /);

    const printedBefore = s.printed.length;
    const eventsBefore = (await db.query('SELECT count(*)::int AS n FROM events'))[0].n;
    await s.send(attack);
    expect((await db.query('SELECT count(*)::int AS n FROM events'))[0].n).toBe(eventsBefore);
    expect(s.printed.length).toBe(printedBefore);
    expect(await db.query('SELECT count(*)::int AS n FROM incident_history WHERE incident_id = $1', [inc.id])).toEqual([{ n: 1 }]);
  });

  it('new evidence that raises the severity escalates the incident: history says from, to and by which alert, and on-call hears it', async () => {
    await s.send([ctRecord({ id: eventId('eng-e1'), time: at(42), user: 'svc-esc', action: 'UploadSSHPublicKey', params: { userName: 'svc-esc', sSHPublicKeyBody: 'ssh-rsa AAAA' } })]);
    const first = await incidentOf(arn('svc-esc'));
    expect(first.severity).toBe('medium');
    await s.send([ctRecord({ id: eventId('eng-e2'), time: at(43), user: 'svc-esc', action: 'CreateAccessKey', params: { userName: 'billing-admin' } })]);
    const after = await incidentOf(arn('svc-esc'));
    expect(after.id).toBe(first.id);
    expect(after.severity).toBe('high');
    expect(JSON.parse(after.alerts)).toHaveLength(2);
    const history = await db.query('SELECT action, reason, detail FROM incident_history WHERE incident_id = $1 ORDER BY id', [first.id]);
    expect(history.map((h) => h.action)).toEqual(['opened', 'escalated']);
    const newAlert = `rule:aws.iam.access-key-for-other-user:aws:ct:${eventId('eng-e2')}`;
    expect(history[1].detail).toMatchObject({ from: 'medium', to: 'high', alerts: [newAlert], events: [`aws:ct:${eventId('eng-e2')}`] });
    expect(history[1].reason).toMatch(/^medium -> high: 1 new alert\(s\), high: Access key created for another IAM user/);
    expect(s.changes.filter((c) => c.id === first.id).map((c) => [c.change, c.previousSeverity, c.severity])).toEqual([['opened', null, 'medium'], ['escalated', 'medium', 'high']]);
    const texts = s.printed.filter((t) => t.includes('svc-esc'));
    expect(texts).toHaveLength(2);
    expect(texts[1]).toMatch(/^HIGH \(escalated\) /);
  });

  it('events that arrive older than the detections have got to are still judged', async () => {
    // The watermark is at minute 43 by now; this attack happened at minute 20 and arrives late.
    const late = ctRecord({ id: eventId('eng-late'), time: at(20), user: 'svc-late', action: 'CreateLoginProfile', params: { userName: 'billing-admin' } });
    await s.send([late]);
    const inc = await incidentOf(arn('svc-late'));
    expect(inc).toBeDefined();
    expect(JSON.parse(inc.alerts)).toEqual([`rule:aws.iam.login-profile-for-other-user:aws:ct:${eventId('eng-late')}`]);
    expect(s.svc.status().ingest.lateEvents).toBeGreaterThanOrEqual(1);
  });

  it('only the stories that new alerts touch are correlated again', async () => {
    await s.send([
      ctRecord({ id: eventId('eng-x1'), time: at(44), user: 'svc-x', action: 'CreateAccessKey', params: { userName: 'ops-admin' } }),
      ctRecord({ id: eventId('eng-y1'), time: at(44), user: 'svc-y', action: 'CreateAccessKey', params: { userName: 'ops-admin' } }),
    ]);
    const x = await incidentOf(arn('svc-x'));
    const y = await incidentOf(arn('svc-y'));
    await new Promise((r) => setTimeout(r, 20));
    await s.send([ctRecord({ id: eventId('eng-x2'), time: at(45), user: 'svc-x', action: 'CreateLoginProfile', params: { userName: 'ops-admin' } })]);
    const x2 = await incidentOf(arn('svc-x'));
    const y2 = await incidentOf(arn('svc-y'));
    expect(JSON.parse(x2.alerts)).toHaveLength(2);
    expect(new Date(x2.updated_at).getTime()).toBeGreaterThan(new Date(x.updated_at).getTime());
    expect(new Date(y2.updated_at).getTime()).toBe(new Date(y.updated_at).getTime());
  });

  it('with engine runs beside the commits, events arriving out of order in many bodies at once all get judged', async () => {
    const piped = new RealtimeService(db, { config: Config.parse({}), riskIntervalMs: 0, pipeline: true, notify: null });
    await piped.start();
    try {
      // Twelve shippers at once, each with ordinary calls and one attack, their times interleaved.
      const bodies = Array.from({ length: 12 }, (_, b) => {
        const base = T + 50 * 60_000 + b * 10_000;
        const recs = Array.from({ length: 150 }, (_, i) => ctRecord({ id: eventId(`pipe-${b}-${i}`), time: new Date(base + (i % 10) * 1000), user: `svc-${i % 3}`, action: 'ListUsers' }));
        recs.splice(b * 11, 0, ctRecord({ id: eventId(`pipe-attack-${b}`), time: new Date(base + 5000), user: `pipe-intruder-${b}`, action: 'CreateAccessKey', params: { userName: 'ops-admin' } }));
        return body(recs);
      });
      // One after the other, each older than the last: a commit lands while the previous one is judged.
      for (const [b, text] of [...bodies.entries()].reverse()) {
        const r = piped.reserve(1 << 20)!;
        await piped.submit(r, { label: `http:pipe-${b}`, text, receivedAt: Date.now() });
      }
      await piped.settled();
      const alerts = await db.query(`SELECT id FROM alerts WHERE rule = 'aws.iam.access-key-for-other-user'`);
      const want = Array.from({ length: 12 }, (_, b) => `rule:aws.iam.access-key-for-other-user:aws:ct:${eventId(`pipe-attack-${b}`)}`);
      expect(want.filter((id) => !alerts.some((a) => a.id === id))).toEqual([]);
      const roots = await db.query(`SELECT count(DISTINCT root_identity)::int AS n FROM incidents WHERE root_identity LIKE '%user/pipe-intruder-%'`);
      expect(roots[0].n).toBe(12);
    } finally {
      await piped.stop();
    }
  });

  it('a restart continues the alert feed: nothing is announced again, and new alerts still are', async () => {
    await s.svc.stop();
    const again = service(db);
    await again.svc.start();
    try {
      await again.send([ctRecord({ id: eventId('eng-r0'), time: at(46), user: 'svc-0', action: 'ListUsers' })]);
      expect(again.printed).toEqual([]);
      await again.send([ctRecord({ id: eventId('eng-r1'), time: at(47), user: 'svc-restart', action: 'CreateAccessKey', params: { userName: 'ops-admin' } })]);
      expect(again.printed).toHaveLength(1);
      expect(again.printed[0]).toMatch(/svc-restart/);
      // Each message went out once, through the outbox.
      const [o] = await db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'sent')::int AS sent FROM slack_outbox WHERE destination = 'stdout'`);
      expect(o.n).toBe(o.sent);
    } finally {
      s = again;
    }
  });
});
