import { rec } from '../contract.js';
import { classifySource } from '../../lib/network.js';
import { RecordError } from '../../lib/errors.js';
import { redactIfNeeded } from '../../lib/secrets.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord, EdgeKind, IdentityKind, Severity } from '../../model/index.js';
import { contentId } from '../shared/graph.js';
import { oktaId } from '../okta-inventory/ids.js';

type Obj = Record<string, unknown>;

/**
 * Okta System Log events (GET /api/v1/logs, or a SIEM export of them) -> events, the identities they
 * name, observed hops, and alerts for Okta's own detections. Log pipelines lower-case top-level keys
 * (`eventtype`, `debugcontext`), so both spellings are read.
 */
export function oktaEventRecords(v: Obj, rawRef: string): CanonicalRecord[] {
  const time = requireIso(v.published, 'published');
  const eventType = str(v.eventType ?? v.eventtype);
  if (!eventType) throw new RecordError('missing eventType');
  const actorObj = obj(v.actor);
  if (!actorObj) throw new RecordError('missing actor');
  const actor = principal(actorObj, 'actor');
  if (!actor) throw new RecordError(`missing actor.id${actorObj.id === 'unknown' ? ' (it is "unknown")' : ''}`);

  const id = typeof v.uuid === 'string' && v.uuid && v.uuid !== 'redacted' ? `okta:log:${v.uuid}` : contentId('okta:log', v);
  const outcomeObj = obj(v.outcome);
  const result = str(outcomeObj?.result)?.toUpperCase() ?? null;
  const outcome = result === 'SUCCESS' || result === 'ALLOW' ? 'success' : result === 'FAILURE' || result === 'DENY' || result === 'CHALLENGE' ? 'failure' : 'unknown';
  const reason = str(outcomeObj?.reason);
  const client = obj(v.client);
  const ip = str(client?.ipAddress);
  const authCtx = obj(v.authenticationContext ?? v.authenticationcontext);
  const debugData = obj(obj(v.debugContext ?? v.debugcontext)?.debugData);
  const txDetail = obj(obj(v.transaction)?.detail);

  const out: CanonicalRecord[] = [];
  if (actor.identity) out.push(rec.identity({ ...actor.identity, lastSeenAt: time }));

  const targets: Principal[] = [];
  for (const t of Array.isArray(v.target) ? v.target : []) {
    const p = t && typeof t === 'object' ? principal(t as Obj, 'target') : null;
    if (!p) continue;
    targets.push(p);
    if (p.identity && p.id !== actor.id) out.push(rec.identity(p.identity));
  }
  // The main target is the first identity the event names (a sign-in's app, not its authenticator).
  const firstTarget = (targets.find((t) => t.identity) ?? targets[0])?.id ?? null;

  const userTarget = targets.find((t) => t.type === 'User');
  const actorIsApp = actor.kind === 'oauth_app';
  // An app acts on behalf of a user only when it holds the user's delegation (a token granted for the
  // user, an SSO into the app); an app that deactivates or updates a user acts *on* that user.
  const delegated = /^app\.oauth2\.|^user\.authentication\.sso/.test(eventType);
  const onBehalfOf = actorIsApp && delegated ? (userTarget?.id ?? (str(debugData?.userId) ? oktaId.user(str(debugData?.userId)!) : null)) : null;
  const clientId = str(client?.id);
  const invokedBy = clientId && !actorIsApp ? oktaId.app(clientId) : null;
  const tokenId = str(txDetail?.requestApiTokenId);
  const session = str(authCtx?.externalSessionId);
  const idpTarget = targets.find((t) => t.type === 'IdentityProvider');
  const issuerId = str(obj(authCtx?.issuer)?.id);
  const authProvider = str(authCtx?.authenticationProvider);
  const federatedProvider = idpTarget?.id ?? (issuerId ? oktaId.idp(issuerId) : authProvider === 'FEDERATION' || authProvider === 'SOCIAL' ? authProvider : null);
  const mfa = eventType === 'user.authentication.auth_via_mfa' ? outcome === 'success' : null;

  out.push(rec.event({
    id,
    time,
    provider: 'okta',
    service: 'okta',
    action: eventType,
    outcome,
    errorCode: outcome === 'failure' ? reason : null,
    actorId: actor.id,
    chain: {
      session: session && session !== 'unknown' ? session : null,
      onBehalfOf,
      credentialId: tokenId ? oktaId.apiToken(tokenId) : null,
      invokedBy,
      federatedProvider,
      mfa,
    },
    target: firstTarget,
    resources: targets.map((t) => t.id),
    sourceIp: ip,
    sourceKind: classifySource(ip),
    userAgent: str(obj(client?.userAgent)?.rawUserAgent),
    rawRef,
    detail: {
      displayMessage: str(v.displayMessage ?? v.displaymessage),
      severity: str(v.severity),
      legacyEventType: str(v.legacyEventType ?? v.legacyeventtype),
      outcomeReason: reason,
      targets: targets.map((t) => ({ id: t.id, type: t.type, name: t.name })),
      ...(debugData ? { debugData: redactIfNeeded(debugData) } : {}),
      ...(obj(v.securityContext ?? v.securitycontext) ? { securityContext: obj(v.securityContext ?? v.securitycontext) } : {}),
      ...(obj(client?.geographicalContext) ? { geo: { city: str(obj(client?.geographicalContext)?.city), country: str(obj(client?.geographicalContext)?.country) } } : {}),
    },
  }));

  const observe = (from: string, kind: EdgeKind, to: string) => out.push(rec.observation({ eventId: id, from, kind, to, time }));
  if (outcome === 'success') {
    if (onBehalfOf) observe(actor.id, 'acts_for', onBehalfOf);
    if (eventType === 'user.authentication.sso' && actor.type === 'User') {
      const app = targets.find((t) => t.type === 'AppInstance');
      if (app) observe(actor.id, 'can_access', app.id);
    }
    if (eventType === 'system.api_token.create') {
      const token = targets.find((t) => t.type === 'Token');
      if (token) {
        observe(actor.id, 'created', token.id);
        observe(actor.id, 'owns_credential', token.id);
      }
    }
    if (eventType === 'user.session.impersonation.initiate' && userTarget) observe(actor.id, 'impersonates', userTarget.id);
  }

  const detection = DETECTIONS[eventType];
  if (detection) {
    out.push(rec.alert({
      id: id.replace(/^okta:log:/, 'okta:'),
      time,
      source: 'okta',
      severity: detection.severity ?? SEVERITY[str(v.severity)?.toUpperCase() ?? ''] ?? 'medium',
      title: `${detection.title}${reason ? `: ${reason}` : ''}`,
      description: str(v.displayMessage ?? v.displaymessage) ?? '',
      rule: eventType,
      identities: [actor, ...targets].filter((p) => p.identity).map((p) => p.id),
      credentials: tokenId ? [oktaId.apiToken(tokenId)] : [],
      events: [id],
      entities: ip ? { ip: [ip] } : {},
      mitre: detection.mitre,
      rawRef,
      detail: { outcome: result, threatDetections: str(debugData?.threatDetections) },
    }));
  }
  return out;
}

/** Okta's own detections: these events are alerts as well as activity. */
const DETECTIONS: Record<string, { title: string; mitre: string[]; severity?: Severity }> = {
  'security.threat.detected': { title: 'Okta ThreatInsight: request from a suspicious actor', mitre: ['T1110'] },
  'security.attack.start': { title: 'Okta ThreatInsight: attack started', mitre: ['T1110'], severity: 'high' },
  'user.account.report_suspicious_activity_by_enduser': { title: 'User reported suspicious activity', mitre: ['T1078'], severity: 'high' },
  'app.oauth2.token.detect_reuse': { title: 'Okta detected OAuth refresh token reuse', mitre: ['T1550.001'], severity: 'high' },
};

const SEVERITY: Record<string, Severity> = { DEBUG: 'info', INFO: 'low', WARN: 'medium', ERROR: 'high' };

interface Principal {
  id: string;
  type: string;
  name: string | null;
  kind: IdentityKind | null;
  identity: Parameters<typeof rec.identity>[0] | null;
}

/** An Okta actor or target as an id, and as an identity when it is one (users, apps, tokens, groups). */
function principal(p: Obj, role: 'actor' | 'target'): Principal | null {
  const rawId = str(p.id);
  const type = str(p.type) ?? 'unknown';
  const alternateId = str(p.alternateId);
  const name = str(p.displayName) ?? (alternateId && alternateId !== 'unknown' ? alternateId : null);
  if (!rawId || rawId === 'unknown') return null;
  const email = alternateId && alternateId.includes('@') ? alternateId : null;
  const make = (id: string, kind: IdentityKind | null, attributes: Obj = {}): Principal => ({
    id,
    type,
    name,
    kind,
    identity: kind ? { id, kind, provider: 'okta', name: name ?? rawId, email: kind === 'human' ? email : null, origin: 'log', attributes } : null,
  });
  switch (type) {
    case 'User':
      return make(oktaId.user(rawId), 'human', alternateId && alternateId !== 'unknown' ? { login: alternateId } : {});
    case 'AppInstance':
    case 'PublicClientApp':
    case 'ConfidentialClientApp':
    case 'Application':
    case 'Client':
      return make(oktaId.app(rawId), 'oauth_app');
    case 'Token':
      return make(oktaId.apiToken(rawId), 'api_key');
    case 'UserGroup':
      return make(oktaId.group(rawId), 'group');
    case 'SystemPrincipal':
      return make(oktaId.system(rawId), role === 'actor' ? 'service_account' : null);
    case 'IdentityProvider':
      return make(oktaId.idp(rawId), null);
    case 'IP address':
      return make(oktaId.ip(rawId), null);
    default:
      return make(`okta:${type.toLowerCase().replace(/[^a-z0-9]+/g, '-')}:${rawId}`, null);
  }
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

