import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { fingerprint } from '../../lib/secrets.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { contentId, entraId, garr, gobj, gp, gs } from '../shared/graph.js';
import type { Envelope } from './envelope.js';
import { compact } from './signin.js';

type Obj = Record<string, unknown>;

/**
 * A directory audit record (who changed what in the directory) -> an event with the initiator as
 * actor and the first target resource as target. Credentials added to apps and service principals
 * become credential records, consents and group additions observed hops.
 */
export function auditRecords(p: Obj, env: Envelope | null, rawRef: string): CanonicalRecord[] {
  const time = requireIso(gp(p, 'activityDateTime') ?? env?.time, 'activityDateTime');
  const initiatedBy = gobj(p, 'initiatedBy');
  if (!initiatedBy) throw new RecordError('missing initiatedBy');
  const user = gobj(initiatedBy, 'user');
  const app = gobj(initiatedBy, 'app');
  const out: CanonicalRecord[] = [];
  let actorId: string;
  if (user && (gs(user, 'id') || gs(user, 'userPrincipalName'))) {
    const uid = gs(user, 'id');
    const upn = gs(user, 'userPrincipalName');
    actorId = uid ? entraId.user(uid) : entraId.upn(upn!);
    out.push(rec.identity({
      id: actorId, kind: 'human', provider: 'entra', name: gs(user, 'displayName') ?? upn ?? uid!,
      email: upn && upn.includes('@') && !upn.includes('#EXT#') ? upn : null, account: env?.tenantId ?? null, lastSeenAt: time, origin: 'log',
      attributes: compact({ objectId: uid, userPrincipalName: upn }),
    }));
  } else if (app && (gs(app, 'servicePrincipalId') || gs(app, 'appId'))) {
    const spId = gs(app, 'servicePrincipalId');
    actorId = spId ? entraId.sp(spId) : entraId.app(gs(app, 'appId')!);
    out.push(rec.identity({
      id: actorId, kind: spId ? 'service_account' : 'oauth_app', provider: 'entra', name: gs(app, 'servicePrincipalName') ?? gs(app, 'displayName') ?? actorId.split(':').pop()!,
      account: env?.tenantId ?? null, lastSeenAt: time, origin: 'log', attributes: compact({ objectId: spId, appId: gs(app, 'appId') }),
    }));
  } else {
    throw new RecordError('missing initiatedBy.user.id or initiatedBy.app.servicePrincipalId');
  }

  const targets = garr(p, 'targetResources').filter((t): t is Obj => !!t && typeof t === 'object').map(targetOf).filter((t): t is Target => !!t);
  const details = keyValues(garr(p, 'additionalDetails'));
  const activity = gs(p, 'activityDisplayName') ?? gs(p, 'operationName') ?? env?.operationName;
  if (!activity) throw new RecordError('missing activityDisplayName');
  const result = (gs(p, 'result') ?? env?.result ?? env?.resultSignature ?? '').toLowerCase();
  const outcome = result === 'success' ? 'success' : result === 'failure' || result === 'failed' || result === 'timeout' ? 'failure' : 'unknown';
  const id = gs(p, 'id') ? `entra:audit:${gs(p, 'id')}` : contentId('entra:audit', p);
  const ip = gs(user, 'ipAddress') ?? details.ipaddr ?? env?.callerIpAddress ?? null;

  out.push(rec.event({
    id,
    time,
    provider: 'entra',
    service: gs(p, 'loggedByService') ?? 'entra',
    action: activity,
    outcome,
    errorCode: outcome === 'failure' ? gs(p, 'resultReason') : null,
    actorId,
    target: targets[0]?.id ?? null,
    resources: targets.map((t) => t.id),
    sourceIp: ip,
    sourceKind: classifySource(ip),
    userAgent: details['User-Agent'] ?? gs(p, 'userAgent'),
    account: env?.tenantId ?? gs(p, 'tenantId'),
    rawRef,
    detail: compact({
      category: gs(p, 'category') ?? env?.category,
      operationType: gs(p, 'operationType'),
      correlationId: gs(p, 'correlationId') ?? env?.correlationId,
      targets: targets.map((t) => compact({ id: t.id, type: t.type, name: t.name, modified: t.modified.length ? t.modified.map((m) => m.name) : null })),
      additionalDetails: Object.keys(details).length ? details : null,
    }),
  }));

  if (outcome === 'success') {
    const observe = (from: string, kind: 'granted' | 'member_of' | 'created', to: string) => out.push(rec.observation({ eventId: id, from, kind, to, time }));
    const sp = targets.find((t) => t.type === 'ServicePrincipal');
    // A person's consent lets the app act with their rights (admin consent for all users is not this).
    if (activity === 'Consent to application' && sp && actorId.startsWith('entra:user:') && modifiedValue(targets, 'ConsentContext.IsAdminConsent') !== 'True') {
      observe(actorId, 'granted', sp.id);
    }
    if (activity === 'Add member to group') {
      const member = targets.find((t) => t.type === 'User' || t.type === 'ServicePrincipal' || t.type === 'Group');
      const group = modifiedValue(targets, 'Group.ObjectID');
      if (member && group) observe(member.id, 'member_of', entraId.group(group));
    }
    for (const t of targets) {
      for (const key of addedKeys(t)) {
        out.push(rec.credential({
          id: entraId.credential(key.keyId),
          identityId: t.id,
          type: key.type,
          fingerprint: fingerprint(key.keyId),
          createdAt: time,
          status: 'active',
          origin: 'log',
          attributes: compact({ keyId: key.keyId, displayName: key.displayName, addedBy: actorId }),
        }));
        observe(actorId, 'created', entraId.credential(key.keyId));
      }
    }
  }
  return out;
}

interface Target {
  id: string;
  type: string;
  name: string | null;
  modified: { name: string; newValue: string | null }[];
}

function targetOf(t: Obj): Target | null {
  const raw = gs(t, 'id');
  if (!raw) return null;
  const type = gs(t, 'type') ?? 'Other';
  const modified = garr(t, 'modifiedProperties').filter((m): m is Obj => !!m && typeof m === 'object').map((m) => ({ name: gs(m, 'displayName') ?? '', newValue: gs(m, 'newValue') }));
  let id: string;
  switch (type) {
    case 'User': id = entraId.user(raw); break;
    case 'ServicePrincipal': id = entraId.sp(raw); break;
    case 'Group': id = entraId.group(raw); break;
    case 'Role': id = entraId.role(raw); break;
    case 'Application': {
      // Audit targets name applications by object id; the appId appears only in some modified properties.
      const appId = unquote(modified.find((m) => m.name === 'AppId')?.newValue ?? null);
      id = appId ? entraId.app(appId) : entraId.appObject(raw);
      break;
    }
    default: id = `entra:${type.toLowerCase().replace(/[^a-z0-9]+/g, '-')}:${raw}`;
  }
  return { id, type, name: gs(t, 'displayName') ?? gs(t, 'userPrincipalName'), modified };
}

/** Modified property values are JSON text (`"[\"abc\"]"`, `"\"abc\""`): the first string in it. */
function unquote(v: string | null): string | null {
  if (!v) return null;
  const m = /"([^"\\[\]]+)"/.exec(v);
  return m ? m[1] : v.replace(/^\[|\]$/g, '') || null;
}

function modifiedValue(targets: Target[], name: string): string | null {
  for (const t of targets) {
    const m = t.modified.find((x) => x.name === name);
    if (m) return unquote(m.newValue);
  }
  return null;
}

/** `KeyDescription` new values: `[KeyIdentifier=<guid>,KeyType=Password,KeyUsage=Verify,DisplayName=...]`. */
function addedKeys(t: Target): { keyId: string; type: 'client_secret' | 'certificate'; displayName: string | null }[] {
  const out: { keyId: string; type: 'client_secret' | 'certificate'; displayName: string | null }[] = [];
  const desc = t.modified.find((m) => m.name === 'KeyDescription')?.newValue;
  if (!desc) return out;
  for (const m of desc.matchAll(/KeyIdentifier=([0-9a-fA-F-]{36})[^\]]*?KeyType=(\w+)(?:[^\]]*?DisplayName=([^\]]*))?/g)) {
    out.push({ keyId: m[1].toLowerCase(), type: /password/i.test(m[2]) ? 'client_secret' : 'certificate', displayName: m[3]?.trim() || null });
  }
  return out;
}

function keyValues(list: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    if (!kv || typeof kv !== 'object') continue;
    const k = gs(kv as Obj, 'key');
    const v = gs(kv as Obj, 'value');
    if (k && v) out[k] = v;
  }
  return out;
}
