import { rec } from '../contract.js';
import { RecordError } from '../../lib/errors.js';
import { classifySource } from '../../lib/network.js';
import { fingerprint, redactIfNeeded, redactText } from '../../lib/secrets.js';
import { requireIso } from '../../lib/time.js';
import type { CanonicalRecord } from '../../model/index.js';
import { azureResourceId, contentId, entraId, parseAzureResourceId } from '../shared/graph.js';
import { resolveCaller } from './caller.js';

type Obj = Record<string, unknown>;
type Outcome = 'success' | 'failure' | 'unknown';

/**
 * An Azure Activity Log event (control plane: who did what to which resource), in the REST shape
 * (`az monitor activity-log list`: eventTimestamp, caller, claims, operationName.value, status.value)
 * or the diagnostic export shape (time, identity.claims, operationName, resultType). Storage resource
 * logs that pipelines file beside it (StorageRead/Write/Delete) read the same way.
 */
export function activityRecords(v: Obj, rawRef: string): CanonicalRecord[] {
  // The REST shape names its time eventTimestamp, the diagnostic export time.
  const rest = 'eventDataId' in v || 'caller' in v || 'claims' in v || 'eventTimestamp' in v;
  const time = requireIso(v.eventTimestamp ?? v.time ?? v.TimeGenerated, rest ? 'eventTimestamp' : 'time');
  const operation = valueOf(v.operationName) ?? valueOf(v.operationname);
  if (!operation) throw new RecordError('missing operationName');
  const rawResource = str(v.resourceId) ?? str(v.resourceid) ?? str(v.ResourceId);
  const props = obj(v.properties);
  const storageAccount = str(props?.accountName) ?? (rawResource ? /\/storageaccounts\/([^/]+)/i.exec(rawResource)?.[1] ?? null : null);
  const caller = resolveCaller(v, storageAccount);

  const resource = rawResource ? azureResourceId(rawResource) : null;
  const parsed = rawResource ? parseAzureResourceId(rawResource) : null;
  const id = str(v.eventDataId) ? `azure:activity:${str(v.eventDataId)}` : contentId('azure:activity', v);
  const { outcome, code } = outcomeOf(v, props);
  const ip = stripPort(str(v.callerIpAddress) ?? str(v.calleripaddress) ?? str(obj(v.httpRequest)?.clientIpAddress) ?? caller.ip);
  const category = valueOf(v.category);
  const subscription = parsed?.subscription ?? str(v.subscriptionId);
  const assignment = roleAssignmentOf(props);

  const out: CanonicalRecord[] = [];
  if (caller.kind) {
    out.push(rec.identity({
      id: caller.id,
      kind: caller.kind,
      provider: caller.id.startsWith('entra:') ? 'entra' : 'azure',
      name: caller.name,
      email: caller.email,
      account: str(v.tenantId) ?? str(v.tenantid),
      lastSeenAt: outcome === 'failure' ? null : time,
      origin: 'log',
      attributes: caller.attributes,
    }));
  }
  if (resource && parsed && (parsed.subscription || resource.startsWith('/providers/'))) {
    out.push(rec.resource({ id: resource, provider: 'azure', type: parsed.type, name: parsed.name, account: parsed.subscription }));
  }
  out.push(rec.event({
    id,
    time,
    provider: 'azure',
    service: operation.split('/')[0] || 'azure',
    action: operation,
    outcome,
    errorCode: outcome === 'failure' ? code : null,
    actorId: caller.id,
    chain: { invokedBy: caller.invokedBy, credentialId: caller.credentialId, mfa: caller.mfa },
    // Storage logs without a resource id still name the object: its URI, never with the query (a SAS).
    target: resource ?? str(v.uri)?.split('?')[0] ?? null,
    resources: [resource, assignment?.principal ?? null, assignment?.scope ?? null].filter((x): x is string => !!x),
    sourceIp: ip,
    sourceKind: classifySource(ip),
    userAgent: str(props?.userAgentHeader) ?? str(obj(v.httpRequest)?.userAgent),
    region: str(v.location) || null,
    account: subscription,
    rawRef,
    detail: compact({
      category,
      level: str(v.level) ?? str(v.Level),
      resultSignature: valueOf(v.resultSignature) ?? valueOf(v.subStatus),
      correlationId: str(v.correlationId) ?? str(v.correlationid),
      authorization: obj(obj(v.identity)?.authorization ?? v.authorization) ? redactIfNeeded(obj(obj(v.identity)?.authorization ?? v.authorization)) : null,
      roleAssignment: assignment,
      objectKey: str(props?.objectKey),
      properties: props ? keptProperties(props, /\/(secrets|keys|certificates)\b|listkeys|regeneratekey/i.test(operation)) : null,
    }),
  }));
  return out;
}

function outcomeOf(v: Obj, props: Obj | null): { outcome: Outcome; code: string | null } {
  const status = valueOf(v.status) ?? valueOf(v.resultType) ?? valueOf(v.resulttype);
  if (status) {
    const s = status.toLowerCase();
    if (s === 'success' || s === 'succeeded' || s === 'active' || s === 'resolved') return { outcome: 'success', code: null };
    if (s === 'failure' || s === 'failed') return { outcome: 'failure', code: valueOf(v.subStatus) ?? valueOf(v.resultSignature) ?? status };
    if (s === 'started' || s === 'accepted' || s === 'in progress') return { outcome: 'unknown', code: null };
  }
  // Storage resource logs: an HTTP status and a response type.
  const http = typeof v.statusCode === 'number' ? v.statusCode : Number(v.statusCode);
  if (Number.isFinite(http) && http > 0) return http < 400 ? { outcome: 'success', code: null } : { outcome: 'failure', code: str(v.statusText) ?? String(http) };
  const metric = str(props?.metricResponseType);
  if (metric) return metric === 'Success' ? { outcome: 'success', code: null } : { outcome: 'failure', code: metric };
  return { outcome: 'unknown', code: null };
}

/** A role assignment write names the new assignee, its role and scope in the request body. */
function roleAssignmentOf(props: Obj | null): Obj | null {
  const body = parseBody(props?.requestbody ?? props?.requestBody);
  const p = obj(body?.Properties ?? body?.properties);
  const principalId = str(p?.PrincipalId ?? p?.principalId);
  if (!p || !principalId) return null;
  const type = str(p.PrincipalType ?? p.principalType);
  const principal = type === 'User' ? entraId.user(principalId) : type === 'Group' ? entraId.group(principalId) : type === 'ServicePrincipal' ? entraId.sp(principalId) : `entra:principal:${principalId}`;
  const scope = str(p.Scope ?? p.scope);
  return compact({ principal, principalType: type, roleDefinitionId: str(p.RoleDefinitionId ?? p.roleDefinitionId)?.split('/').pop() ?? null, scope: scope ? azureResourceId(scope) : null });
}

function parseBody(v: unknown): Obj | null {
  if (obj(v)) return obj(v);
  if (typeof v !== 'string' || !v.startsWith('{')) return null;
  try {
    return obj(JSON.parse(v));
  } catch {
    return null;
  }
}

/**
 * Request bodies can carry deployment parameters and keys: kept parsed and redacted, and bounded. On
 * secret, key and certificate operations every value in the body is a fingerprint (a secret's value
 * sits under a plain `value` key there).
 */
function keptProperties(props: Obj, secretOperation: boolean): Obj {
  const out: Obj = {};
  for (const [k, val] of Object.entries(props)) {
    if (k === 'requestbody' || k === 'requestBody' || k === 'responseBody') {
      const body = parseBody(val);
      if (body) out[k] = secretOperation ? fingerprintLeaves(body) : redactIfNeeded(body);
      else out[k] = typeof val === 'string' ? (secretOperation ? fingerprint(val) : redactText(val).slice(0, 2000)) : null;
    } else out[k] = typeof val === 'string' ? redactIfNeeded(val).slice(0, 2000) : redactIfNeeded(val);
  }
  return out;
}

function fingerprintLeaves(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return fingerprint(v);
  if (depth > 20 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => fingerprintLeaves(x, depth + 1));
  return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, fingerprintLeaves(x, depth + 1)]));
}

function valueOf(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v;
  if (typeof v === 'number') return String(v);
  const o = obj(v);
  return o ? str(o.value) : null;
}
/** Storage logs print `ip:port`. */
function stripPort(ip: string | null): string | null {
  if (!ip) return null;
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  return m ? m[1] : ip;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}
function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}
function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
