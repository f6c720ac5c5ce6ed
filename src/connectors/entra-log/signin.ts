import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord, Severity } from '../../model/index.js';

import { azureResourceId, contentId, entraId, garr, gobj, gp, gs, parseAzureResourceId } from '../shared/graph.js';
import type { Envelope } from './envelope.js';

type Obj = Record<string, unknown>;
type Outcome = 'success' | 'failure' | 'unknown';

/**
 * One sign-in (user interactive or not, service principal, managed identity) -> an event, the
 * identities it names, observed hops (the client app acting for the user, the app's credential
 * signing in as its service principal, the Azure resource running as its managed identity), and an
 * alert when Entra ID Protection judged the sign-in risky.
 */
export function signInRecords(p: Obj, env: Envelope | null, rawRef: string): CanonicalRecord[] {
  const time = requireIso(gp(p, 'createdDateTime') ?? env?.time, 'createdDateTime');
  const category = env?.category?.toLowerCase() ?? '';
  const types = garr(p, 'signInEventTypes');
  const msi = gobj(p, 'managedServiceIdentity');
  const miType = gs(p, 'managedIdentityType');
  const isMi = category === 'managedidentitysigninlogs' || types.includes('managedIdentity') || !!gs(msi, 'msiType') || (!!miType && miType !== 'none');
  const userId = gs(p, 'userId');
  const upn = gs(p, 'userPrincipalName');
  const spId = gs(p, 'servicePrincipalId');
  const appId = gs(p, 'appId');
  const isSp = !isMi && (category === 'serviceprincipalsigninlogs' || types.includes('servicePrincipal') || (!userId && !upn && !!spId));
  const tenant = env?.tenantId ?? gs(p, 'resourceTenantId') ?? gs(p, 'tenantId');

  let actorId: string;
  const out: CanonicalRecord[] = [];
  if (isMi || isSp) {
    if (!spId && !appId) throw new RecordError('missing servicePrincipalId');
    actorId = spId ? (isMi ? entraId.mi(spId) : entraId.sp(spId)) : entraId.app(appId!);
  } else {
    if (!userId && !upn) throw new RecordError('missing userId');
    actorId = userId ? entraId.user(userId) : entraId.upn(upn!);
  }

  const { outcome, code } = outcomeOf(p, env);
  const id = gs(p, 'id') ? `entra:signin:${gs(p, 'id')}` : contentId('entra:signin', p);
  const resourceAppId = gs(p, 'resourceId');
  const client = appId ? entraId.app(appId) : null;
  const resource = resourceAppId && !resourceAppId.startsWith('/') ? entraId.app(resourceAppId) : null;
  const ip = gs(p, 'ipAddress') ?? env?.callerIpAddress ?? null;
  const keyId = gs(p, 'servicePrincipalCredentialKeyId');
  const requirement = gs(p, 'authenticationRequirement');
  const issuerType = gs(p, 'tokenIssuerType');
  const associatedResource = gs(msi, 'associatedResourceId');

  if (outcome === 'success' || isMi || isSp) {
    out.push(rec.identity({
      id: actorId,
      kind: isMi || isSp ? 'service_account' : 'human',
      provider: 'entra',
      name: (isMi || isSp ? gs(p, 'servicePrincipalName') ?? gs(p, 'appDisplayName') : gs(p, 'userDisplayName') ?? upn) ?? actorId.split(':').pop()!,
      email: !isMi && !isSp && upn && upn.includes('@') && !upn.includes('#EXT#') ? upn : null,
      account: tenant,
      lastSeenAt: outcome === 'success' ? time : null,
      origin: 'log',
      attributes: isMi || isSp ? compact({ objectId: spId, appId }) : compact({ objectId: userId, userPrincipalName: upn, userType: gs(p, 'userType') }),
    }));
  }
  if (client && !isMi) {
    out.push(rec.identity({ id: client, kind: 'oauth_app', provider: 'entra', name: gs(p, 'appDisplayName') ?? appId!, origin: 'log', attributes: { appId } }));
  }

  const user = !isMi && !isSp;
  out.push(rec.event({
    id,
    time,
    provider: 'entra',
    service: 'entra',
    action: isMi ? 'ManagedIdentitySignIn' : isSp ? 'ServicePrincipalSignIn' : gp(p, 'isInteractive') === false || category === 'noninteractiveusersigninlogs' ? 'NonInteractiveUserSignIn' : 'UserSignIn',
    outcome,
    errorCode: outcome === 'failure' ? code : null,
    actorId,
    chain: {
      session: gs(p, 'sessionId'),
      credentialId: keyId ? entraId.credential(keyId) : null,
      federatedProvider: issuerType && issuerType !== 'AzureAD' ? gs(p, 'tokenIssuerName') ?? issuerType : gs(p, 'federatedCredentialId'),
      mfa: requirement === 'multiFactorAuthentication' ? true : requirement === 'singleFactorAuthentication' ? false : null,
      invokedBy: isMi && associatedResource ? azureResourceId(associatedResource) : null,
    },
    // A person signs in to the client app; a service principal signs in to reach an API.
    target: user ? client ?? resource : resource,
    resources: [client, resource].filter((x): x is string => !!x),
    sourceIp: ip,
    sourceKind: classifySource(ip),
    userAgent: gs(p, 'userAgent'),
    account: tenant,
    rawRef,
    detail: compact({
      appDisplayName: gs(p, 'appDisplayName'),
      resourceDisplayName: gs(p, 'resourceDisplayName'),
      clientAppUsed: gs(p, 'clientAppUsed'),
      authenticationProtocol: gs(p, 'authenticationProtocol'),
      authenticationRequirement: requirement,
      clientCredentialType: gs(p, 'clientCredentialType'),
      conditionalAccessStatus: gs(p, 'conditionalAccessStatus'),
      crossTenantAccessType: gs(p, 'crossTenantAccessType'),
      homeTenantId: gs(p, 'homeTenantId'),
      failureReason: gs(gobj(p, 'status'), 'failureReason'),
      riskLevelDuringSignIn: gs(p, 'riskLevelDuringSignIn'),
      riskLevelAggregated: gs(p, 'riskLevelAggregated'),
      riskState: gs(p, 'riskState'),
      riskEventTypes: garr(p, 'riskEventTypes_v2').length ? garr(p, 'riskEventTypes_v2') : garr(p, 'riskEventTypes'),
      location: gobj(p, 'location') ? { city: gs(gobj(p, 'location'), 'city'), countryOrRegion: gs(gobj(p, 'location'), 'countryOrRegion') } : null,
      device: gobj(p, 'deviceDetail') ? compact({ deviceId: gs(gobj(p, 'deviceDetail'), 'deviceId'), operatingSystem: gs(gobj(p, 'deviceDetail'), 'operatingSystem'), trustType: gs(gobj(p, 'deviceDetail'), 'trustType') }) : null,
      correlationId: gs(p, 'correlationId') ?? env?.correlationId ?? null,
      autonomousSystemNumber: gp(p, 'autonomousSystemNumber') ?? null,
    }),
  }));

  const observe = (from: string, kind: 'acts_for' | 'runs_as', to: string) => out.push(rec.observation({ eventId: id, from, kind, to, time }));
  if (outcome === 'success') {
    // The client app got a token for the person: it acts with the person's rights.
    if (user && client) observe(client, 'acts_for', actorId);
    if (isSp && appId && spId) observe(entraId.app(appId), 'runs_as', actorId);
    if (isMi && associatedResource) {
      const rid = azureResourceId(associatedResource);
      const parsed = parseAzureResourceId(associatedResource);
      out.push(rec.resource({ id: rid, provider: 'azure', type: parsed?.type ?? 'unknown', name: parsed?.name ?? rid, account: parsed?.subscription ?? null }));
      observe(rid, 'runs_as', actorId);
    }
  }

  const alert = riskySignInAlert(p, id, actorId, time, ip, rawRef);
  if (alert) out.push(alert);
  return out;
}

function outcomeOf(p: Obj, env: Envelope | null): { outcome: Outcome; code: string | null } {
  const status = gobj(p, 'status');
  const raw = status ? gp(status, 'errorCode') : undefined;
  if (raw !== undefined && raw !== null && raw !== '') return { outcome: String(raw) === '0' ? 'success' : 'failure', code: String(raw) };
  const rt = env?.resultType;
  if (rt !== undefined && rt !== null && rt !== '') {
    const s = String(rt).toLowerCase();
    if (s === '0' || s === 'success' || s === 'succeeded') return { outcome: 'success', code: null };
    return { outcome: 'failure', code: String(rt) };
  }
  const sig = (env?.resultSignature ?? gs(p, 'result') ?? '').toLowerCase();
  if (sig === 'success' || sig === 'succeeded') return { outcome: 'success', code: null };
  if (sig === 'failure' || sig === 'failed') return { outcome: 'failure', code: null };
  return { outcome: 'unknown', code: null };
}

const LEVEL: Record<string, number> = { none: 0, hidden: 0, low: 1, medium: 2, high: 3 };

/** Entra ID Protection's verdict on the sign-in, as an alert when it is at risk (or confirmed compromised). */
function riskySignInAlert(p: Obj, eventId: string, actorId: string, time: string, ip: string | null, rawRef: string): CanonicalRecord | null {
  const state = gs(p, 'riskState');
  if (state !== 'atRisk' && state !== 'confirmedCompromised') return null;
  const level = Math.max(LEVEL[gs(p, 'riskLevelDuringSignIn') ?? 'none'] ?? 0, LEVEL[gs(p, 'riskLevelAggregated') ?? 'none'] ?? 0);
  if (state === 'atRisk' && level < 2) return null;
  const severity: Severity = state === 'confirmedCompromised' ? 'critical' : level >= 3 ? 'high' : 'medium';
  const riskTypes = (garr(p, 'riskEventTypes_v2').length ? garr(p, 'riskEventTypes_v2') : garr(p, 'riskEventTypes')).filter((t): t is string => typeof t === 'string');
  return rec.alert({
    id: eventId.replace(/^entra:signin:/, 'entra:signin-risk:'),
    time,
    source: 'entra',
    severity,
    title: `Entra ID Protection: ${state === 'confirmedCompromised' ? 'sign-in confirmed compromised' : 'risky sign-in'}${riskTypes.length ? ` (${riskTypes.join(', ')})` : ''}`,
    rule: 'riskySignIn',
    identities: [actorId],
    events: [eventId],
    entities: ip ? { ip: [ip] } : {},
    mitre: ['T1078'],
    confidence: state === 'confirmedCompromised' ? 0.95 : 0.7,
    rawRef,
    detail: { riskState: state, riskDetail: gs(p, 'riskDetail'), riskLevelDuringSignIn: gs(p, 'riskLevelDuringSignIn'), riskLevelAggregated: gs(p, 'riskLevelAggregated') },
  });
}

export function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}
