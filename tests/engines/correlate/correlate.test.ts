import { afterAll, beforeAll, expect, it } from 'vitest';
import { correlate, incidentHistory, setIncidentStatus } from '../../../src/engines/correlate/index.js';
import { getStoredIncident } from '../../../src/engines/correlate/stored.js';
import { Config, TriageResult, type TriageIncident } from '../../../src/model/index.js';
import type { Db } from '../../../src/store/index.js';
import { seed } from '../../helpers/seed.js';
import { describeStores } from '../../helpers/stores.js';
import { AS_OF, BUCKET, ETL, ETL_KEY, JO, JO_HR, JO_KEY, JO_NEW_KEY, MIA, PROD_ROLE, estate } from './estate.js';

const cfg = Config.parse({ crownJewels: [{ resource: 'arn:aws:s3:::acme-customer-*', name: 'customer ledger', classification: 'restricted' }] });
const byRoot = (r: { incidents: TriageIncident[] }, root: string) => r.incidents.find((i) => i.rootIdentity === root)!;
const action = (i: TriageIncident, kind: string, target: string) => i.actions.find((a) => a.action === kind && a.target === target);

describeStores('correlate: alerts into ranked incidents', (open) => {
  let db: Db;
  let first: Awaited<ReturnType<typeof correlate>>['result'];
  beforeAll(async () => {
    db = await open();
    await seed(db, estate());
    first = (await correlate(db, { config: cfg, detect: false, top: 10 })).result;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers as of the latest event, with the triage contract', () => {
    expect(TriageResult.parse(first).asOf).toBe(AS_OF);
    expect(first.totals).toMatchObject({ alerts: 5, incidents: 3, shown: 3, suppressedAlerts: 0 });
  });

  it('groups alerts around root identities and their chains, across the alerts that cite no event', () => {
    const leaver = byRoot(first, JO);
    expect(leaver.chain).toEqual([{ identity: JO, edge: null }, { identity: JO_KEY, edge: 'owns_credential' }]);
    expect(leaver.person).toBe(JO_HR);
    // The GuardDuty finding names only the key: it joins the story through the key's holder.
    expect(leaver.alerts.sort()).toEqual(['baseline:dormant:jo', 'guardduty:jo-key']);
    const prod = byRoot(first, ETL);
    expect(prod.chain).toEqual([{ identity: ETL, edge: null }, { identity: ETL_KEY, edge: 'owns_credential' }, { identity: PROD_ROLE, edge: 'assumed' }]);
    expect(prod.alerts.sort()).toEqual(['baseline:new_resource:prod', 'rule:cross-account:prod-assume']);
    // Its own activity: the session's twelve reads and the assume, not the ETL's daily jobs in development.
    expect(prod.activity).toMatchObject({ events: 13 });
    expect(prod.events).not.toContain('aws:ct:etl-daily-3');
    expect(byRoot(first, MIA).alerts).toEqual(['rule:console-no-mfa:mia']);
  });

  it('ranks by explained factors: the leaver and the production crossing above a console login', () => {
    const ranks = first.incidents.map((i) => i.rootIdentity);
    expect(ranks.slice(0, 2).sort()).toEqual([ETL, JO].sort());
    expect(ranks[2]).toBe(MIA);
    const leaver = byRoot(first, JO);
    const f = Object.fromEntries(leaver.priorityFactors.map((x) => [x.name, x]));
    expect(f.ownerStatus.value).toBe(10);
    expect(f.ownerStatus.detail).toMatch(/Jo Leaver .*terminated/);
    expect(f.behaviour.detail).toMatch(/CreateAccessKey/);
    expect(leaver.priorityFactors.reduce((s, x) => s + x.value, 0)).toBeCloseTo(leaver.score, 0);
    const prod = byRoot(first, ETL);
    const p = Object.fromEntries(prod.priorityFactors.map((x) => [x.name, x]));
    expect(p.reach.detail).toMatch(/from dev into production/);
    expect(p.sensitiveData.value).toBeGreaterThan(0);
    expect(p.privilege.detail).toMatch(/prod-reader holds admin/);
    expect(byRoot(first, MIA).severity).toBe('low');
  });

  it("proposes the leaver's actions with exact commands: keys off now, the account disabled", () => {
    const leaver = byRoot(first, JO);
    const off = action(leaver, 'deactivate_credential', JO_KEY)!;
    expect(off).toMatchObject({ urgency: 'now' });
    expect(off.command).toBe('aws iam update-access-key --user-name jo.leaver --access-key-id AKIAJOLEAVER00000001 --status Inactive');
    expect(off.reason).toMatch(/no other use observed/);
    expect(action(leaver, 'deactivate_credential', JO_NEW_KEY)?.reason).toMatch(/created during the incident/);
    expect(action(leaver, 'disable_identity', JO)?.command).toMatch(/attach-user-policy --user-name jo.leaver --policy-arn arn:aws:iam::aws:policy\/AWSDenyAll/);
    expect(leaver.actions[0].urgency).toBe('now');
  });

  it('shows what breaks before revoking, and a safe order, for a key other workloads use', () => {
    const prod = byRoot(first, ETL);
    const rotate = action(prod, 'rotate_credential', ETL_KEY)!;
    expect(rotate.dependents[0]).toMatch(/^boto3\|linux from 10\.2\.3\.0\/24: 8 call\(s\)/);
    expect(rotate.steps[0]).toBe('Issue a new key: aws iam create-access-key --user-name etl-loader');
    const deps = prod.dependents.find((d) => d.target === ETL_KEY)!;
    expect(deps.safeToRevoke).toBe(false);
    expect(deps.dependents[0].evidence[0]).toMatch(/^aws:ct:etl-daily-/);
  });

  it('removes the trust that let development into production, keeping the rest of the trust policy', () => {
    const prod = byRoot(first, ETL);
    const trust = action(prod, 'remove_trust', PROD_ROLE)!;
    expect(trust.reason).toMatch(/whole dev account 222222222222/);
    const doc = JSON.parse(/--policy-document '(.*)'$/.exec(trust.command!)![1]);
    expect(doc.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'glue.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(action(prod, 'revoke_sessions', PROD_ROLE)).toMatchObject({ urgency: 'now' });
    const scope = action(prod, 'scope_down_policy', PROD_ROLE)!;
    expect(scope.command).toContain('"Action":["s3:GetObject"]');
    expect(scope.command).toContain('arn:aws:s3:::acme-customer-ledger/*');
    expect(scope.command).toContain('detach-role-policy --role-name prod-reader --policy-arn arn:aws:iam::aws:policy/AdministratorAccess');
    expect(action(prod, 'contact_owner', ETL)?.reason).toMatch(/Priya Data/);
    expect(prod.ownerDetail).toMatchObject({ id: 'hr:employee:E2', name: 'Priya Data' });
  });

  it('says what the touched systems hold', () => {
    const prod = byRoot(first, ETL);
    expect(prod.impact?.touched[0]).toMatchObject({ id: BUCKET, classification: 'restricted', crownJewel: 'customer ledger', events: 12 });
    expect(prod.impact?.summary).toMatch(/read acme-customer-ledger \(crown jewel: customer ledger; customer ledger/);
    expect(action(prod, 'investigate', BUCKET)).toBeTruthy();
  });

  it('keeps incident ids across runs, and an analyst decision with them', async () => {
    const again = (await correlate(db, { config: cfg, detect: false })).result;
    expect(again.incidents.map((i) => i.id).sort()).toEqual(first.incidents.map((i) => i.id).sort());
    const leaver = byRoot(first, JO);
    await setIncidentStatus(db, leaver.id, 'ack', { actor: 'analyst@acme.example', reason: 'keys being disabled' });
    const third = (await correlate(db, { config: cfg, detect: false })).result;
    expect(byRoot(third, JO)).toMatchObject({ id: leaver.id, status: 'acknowledged' });
    const history = await incidentHistory(db, leaver.id);
    expect(history.map((h) => h.action)).toEqual(['opened', 'ack']);
    expect(history[1]).toMatchObject({ actor: 'analyst@acme.example', reason: 'keys being disabled' });
  });

  it('keeps a resolved incident closed until newer alerts arrive, then reopens it', async () => {
    const mia = byRoot(first, MIA);
    await setIncidentStatus(db, mia.id, 'resolve', { actor: 'analyst', reason: 'Mia enrolled MFA' });
    const closed = (await correlate(db, { config: cfg, detect: false })).result;
    expect(closed.incidents.find((i) => i.id === mia.id)).toBeUndefined();
    expect(closed.totals.closed).toBe(1);
    await seed(db, [{ kind: 'alert', value: { id: 'rule:console-no-mfa:mia-2', time: '2026-06-10T12:30:00Z', source: 'copilot:rules', severity: 'low', title: 'Console sign-in without MFA', rule: 'aws.console.login-without-mfa', identities: [MIA], events: [] } }]);
    const reopened = (await correlate(db, { config: cfg, detect: false, asOf: '2026-06-10T13:00:00Z' })).result;
    expect(reopened.incidents.find((i) => i.id === mia.id)).toMatchObject({ status: 'open' });
    expect((await incidentHistory(db, mia.id)).map((h) => h.action)).toEqual(['opened', 'resolve', 'reopened']);
  });

  it('sets aside alerts a suppression rule matches, and counts them', async () => {
    const r = (await correlate(db, { config: cfg, detect: false, persist: false, suppressions: [
      { id: 'mia-console', match: { rule: 'aws.console.login-*', rootIdentity: MIA }, reason: 'known: MFA rollout', author: 'lead@acme.example', expires: '2099-01-01' },
    ] })).result;
    expect(r.incidents.map((i) => i.rootIdentity)).not.toContain(MIA);
    expect(r.totals.suppressedAlerts).toBe(1);
  });

  it('judges as of an earlier time and within --since', async () => {
    const early = (await correlate(db, { config: cfg, detect: false, persist: false, asOf: '2026-06-10T10:00:00Z' })).result;
    expect(early.incidents.map((i) => i.rootIdentity).sort()).toEqual([JO, MIA].sort());
    const late = (await correlate(db, { config: cfg, detect: false, persist: false, since: '2026-06-10T10:30:00Z', asOf: AS_OF })).result;
    expect(late.incidents.map((i) => i.rootIdentity)).toEqual([ETL]);
  });

  it('stores the assessment of shown incidents for explain and the tools', async () => {
    const stored = await getStoredIncident(db, byRoot(first, ETL).id);
    expect(stored?.assessment?.actions.map((a) => a.action)).toContain('remove_trust');
    expect(stored?.rootIdentity).toBe(ETL);
  });
});
