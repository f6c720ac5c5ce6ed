import { CONTRACT_VERSION, TriageIncident, TriageResult, type Severity } from '../../src/model/index.js';

/** Incidents shaped as triage returns them, for the channels' unit and store tests. */
export const DEPLOY_BOT = 'arn:aws:iam::111122223333:user/svc/deploy-bot';
export const DEPLOY_ROLE = 'arn:aws:iam::111122223333:role/ci/deploy';
export const KEY = 'aws:access-key:AKIAIOSFODNN7EXAMPLE';

export function makeIncident(over: Partial<Record<keyof TriageIncident, unknown>> & { id: string }): TriageIncident {
  return TriageIncident.parse({
    rank: 1,
    severity: 'critical',
    score: 87.4,
    title: 'Access key used from a TOR exit node: deploy-bot',
    rootIdentity: DEPLOY_BOT,
    chain: [{ identity: DEPLOY_BOT, edge: null }, { identity: KEY, edge: 'owns_credential' }, { identity: DEPLOY_ROLE, edge: 'assumed' }],
    identities: [DEPLOY_BOT, KEY, DEPLOY_ROLE],
    alerts: ['splunk-es:sp-3001'],
    events: ['aws:ct:11111111-2222-3333-4444-555555555555'],
    owner: 'hr:employee:E2001',
    whatIsHappening: 'deploy-bot [arn:aws:iam::111122223333:user/svc/deploy-bot] used its key from 198.51.100.77 to assume deploy.',
    actions: [
      { action: 'deactivate_credential', target: KEY, urgency: 'now', reason: 'The key is used from a TOR exit node.', command: 'aws iam update-access-key --user-name deploy-bot --access-key-id AKIAIOSFODNN7EXAMPLE --status Inactive' },
      { action: 'revoke_sessions', target: DEPLOY_ROLE, urgency: 'now', reason: 'Sessions issued to the attacker stay valid until revoked.', command: null },
      { action: 'contact_owner', target: DEPLOY_BOT, urgency: 'today', reason: 'Dana Reyes owns it.' },
    ],
    evidence: ['splunk-es:sp-3001'],
    status: 'open',
    priorityFactors: [{ name: 'severity', value: 40, detail: 'critical alert' }],
    firstSeen: '2026-11-10T03:20:00.000Z',
    lastSeen: '2026-11-10T03:24:00.000Z',
    whatNeedsActionNow: 'Now: deactivate AKIAIOSFODNN7EXAMPLE; revoke the sessions of deploy.',
    confidence: 0.85,
    happeningNow: true,
    providers: ['aws'],
    person: 'hr:employee:E2001',
    ownerDetail: { id: 'hr:employee:E2001', name: 'Dana Reyes', email: 'dana.reyes@example.com', status: 'active', team: 'Platform', source: 'ownership-map', of: DEPLOY_BOT },
    signals: [{ id: 'splunk-es:sp-3001', source: 'splunk-es', severity: 'critical', title: 'Access key used from a TOR exit node', time: '2026-11-10T03:20:00.000Z', rule: null }],
    commands: [],
    dependents: [],
    impact: null,
    narrator: { kind: 'deterministic' },
    entities: {
      [DEPLOY_BOT]: { name: 'deploy-bot', kind: 'service_account', provider: 'aws' },
      [KEY]: { name: 'AKIAIOSFODNN7EXAMPLE', kind: 'api_key', provider: 'aws' },
      [DEPLOY_ROLE]: { name: 'deploy', kind: 'role', provider: 'aws' },
      'hr:employee:E2001': { name: 'Dana Reyes', kind: 'human', provider: 'hr', status: 'active' },
    },
    ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)),
  });
}

export function makeTriage(incidents: TriageIncident[], asOf = '2026-11-10T05:30:00.000Z'): TriageResult {
  return TriageResult.parse({
    contractVersion: CONTRACT_VERSION, asOf, since: null, incidents,
    totals: { alerts: incidents.length, incidents: incidents.length, shown: incidents.length, suppressedAlerts: 0, belowThreshold: 0, closed: 0 },
    findings: [], notices: [], durationMs: 1,
  });
}

/** Four incidents: critical, high (owner left), medium, and an acknowledged high. */
export function fourIncidents(sev: Partial<Record<string, Severity>> = {}): TriageIncident[] {
  return [
    makeIncident({ id: 'inc-00000000a1', rank: 1, severity: sev['inc-00000000a1'] ?? 'critical' }),
    makeIncident({ id: 'inc-00000000b2', rank: 2, severity: sev['inc-00000000b2'] ?? 'high', score: 61, title: 'Leaver\'s service account active: etl-loader', ownerDetail: null, owner: null }),
    makeIncident({ id: 'inc-00000000c3', rank: 3, severity: sev['inc-00000000c3'] ?? 'medium', score: 40, title: 'Unusual S3 listing volume: report-reader' }),
    makeIncident({ id: 'inc-00000000d4', rank: 4, severity: sev['inc-00000000d4'] ?? 'high', score: 35, title: 'Console sign-in without MFA', status: 'acknowledged' }),
  ];
}
