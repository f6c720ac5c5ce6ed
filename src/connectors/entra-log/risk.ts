import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord, Severity } from '../../model/index.js';
import { entraId, garr, gp, gs } from '../shared/graph.js';
import type { EntraLogKind, Envelope } from './envelope.js';
import { compact } from './signin.js';

type Obj = Record<string, unknown>;

/**
 * Entra ID Protection: risk detections (users and service principals) and the risky users and
 * service principals it tracks -> alerts about those identities. A detection names the sign-in it
 * came from (requestId), which links the alert to that sign-in event.
 */
export function riskRecords(kind: EntraLogKind, p: Obj, env: Envelope | null, rawRef: string): CanonicalRecord[] {
  switch (kind) {
    case 'riskDetection':
    case 'spRiskDetection':
      return [detectionAlert(kind, p, env, rawRef)];
    case 'riskyUser':
    case 'riskyServicePrincipal':
      return riskyPrincipal(kind, p, env, rawRef);
    default:
      throw new RecordError(`not a risk record (${kind})`);
  }
}

function severityOf(level: string | null, state: string | null): Severity {
  if (state === 'confirmedCompromised') return 'critical';
  if (state === 'dismissed' || state === 'remediated' || state === 'confirmedSafe') return 'info';
  return level === 'high' ? 'high' : level === 'medium' ? 'medium' : level === 'low' ? 'low' : 'info';
}

function detectionAlert(kind: EntraLogKind, p: Obj, env: Envelope | null, rawRef: string): CanonicalRecord {
  const id = gs(p, 'id');
  if (!id) throw new RecordError('missing id');
  const time = requireIso(gp(p, 'detectedDateTime') ?? gp(p, 'activityDateTime') ?? env?.time, 'detectedDateTime');
  const type = gs(p, 'riskEventType');
  if (!type) throw new RecordError('missing riskEventType');
  let identity: string;
  const credentials: string[] = [];
  if (kind === 'spRiskDetection') {
    const sp = gs(p, 'servicePrincipalId');
    if (!sp) throw new RecordError('missing servicePrincipalId');
    identity = entraId.sp(sp);
    for (const k of garr(p, 'keyIds')) if (typeof k === 'string') credentials.push(entraId.credential(k));
  } else {
    const user = gs(p, 'userId');
    if (!user) throw new RecordError('missing userId');
    identity = entraId.user(user);
  }
  const requestId = gs(p, 'requestId');
  const ip = gs(p, 'ipAddress');
  const state = gs(p, 'riskState');
  const level = gs(p, 'riskLevel');
  return rec.alert({
    id: `entra:risk:${id}`,
    time,
    source: 'entra',
    severity: severityOf(level, state),
    title: `Entra ID Protection: ${type}${kind === 'spRiskDetection' ? ' (workload identity)' : ''}`,
    description: gs(p, 'riskDetail') && gs(p, 'riskDetail') !== 'none' ? `risk detail: ${gs(p, 'riskDetail')}` : '',
    rule: type,
    identities: [identity],
    credentials,
    // The sign-in the detection is about has the requestId as its id.
    events: requestId ? [`entra:signin:${requestId}`] : [],
    entities: compact({ ip: ip ? [ip] : null, app: gs(p, 'appId') ? [entraId.app(gs(p, 'appId')!)] : null }) as Record<string, string[]>,
    mitre: MITRE[type] ?? [],
    confidence: state === 'confirmedCompromised' ? 0.95 : state === 'dismissed' || state === 'confirmedSafe' ? 0.2 : 0.7,
    rawRef,
    detail: compact({ riskState: state, riskLevel: level, detectionTimingType: gs(p, 'detectionTimingType'), source: gs(p, 'source'), activity: gs(p, 'activity'), userPrincipalName: gs(p, 'userPrincipalName'), tenantId: env?.tenantId }),
  });
}

function riskyPrincipal(kind: EntraLogKind, p: Obj, env: Envelope | null, rawRef: string): CanonicalRecord[] {
  const id = gs(p, 'id');
  if (!id) throw new RecordError('missing id');
  const time = requireIso(gp(p, 'riskLastUpdatedDateTime') ?? env?.time, 'riskLastUpdatedDateTime');
  const state = gs(p, 'riskState');
  const level = gs(p, 'riskLevel');
  const sp = kind === 'riskyServicePrincipal';
  const identity = sp ? (gs(p, 'servicePrincipalType') === 'ManagedIdentity' ? entraId.mi(id) : entraId.sp(id)) : entraId.user(id);
  const name = gs(p, 'displayName') ?? gs(p, 'userDisplayName') ?? gs(p, 'userPrincipalName') ?? id;
  return [rec.alert({
    // One alert per principal: Entra keeps one risk state per principal and updates it.
    id: sp ? `entra:risky-sp:${id}` : `entra:risky-user:${id}`,
    time,
    source: 'entra',
    severity: severityOf(level, state),
    title: `Entra ID Protection: ${sp ? 'risky workload identity' : 'risky user'} ${name} (${state ?? 'unknown state'})`,
    rule: sp ? 'riskyServicePrincipal' : 'riskyUser',
    identities: [identity],
    entities: gs(p, 'appId') ? { app: [entraId.app(gs(p, 'appId')!)] } : {},
    confidence: state === 'confirmedCompromised' ? 0.95 : state === 'atRisk' ? 0.7 : 0.2,
    rawRef,
    detail: compact({ riskState: state, riskLevel: level, riskDetail: gs(p, 'riskDetail'), userPrincipalName: gs(p, 'userPrincipalName'), appId: gs(p, 'appId') }),
  })];
}

const MITRE: Record<string, string[]> = {
  leakedCredentials: ['T1552'],
  passwordSpray: ['T1110.003'],
  unfamiliarFeatures: ['T1078'],
  anonymizedIPAddress: ['T1090.003'],
  impossibleTravel: ['T1078'],
  unlikelyTravel: ['T1078'],
  anomalousToken: ['T1550.001'],
  tokenIssuerAnomaly: ['T1606.002'],
  maliciousIPAddress: ['T1078'],
  suspiciousAPITraffic: ['T1078.004'],
  investigationsThreatIntelligence: ['T1078'],
  adminConfirmedServicePrincipalCompromised: ['T1078.004'],
  suspiciousSignins: ['T1078.004'],
};
