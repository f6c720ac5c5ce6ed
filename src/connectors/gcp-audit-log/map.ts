import { rec } from '../contract.js';
import { classifySource } from '../../lib/network.js';
import { redactIfNeeded as redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, EventChain, EventInput } from '../../model/index.js';
import { gcpIds, principalFromAudit, principalFromEmail, type GcpPrincipal } from '../gcp-common/principals.js';
import { clusterName, objectIdOf } from '../k8s-common/ids.js';

type Obj = Record<string, unknown>;
type Outcome = NonNullable<EventInput['outcome']>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** IAM Credentials API calls: the caller gets a token or signature as the account named in the request. */
const IMPERSONATION_METHODS = new Set(['GenerateAccessToken', 'GenerateIdToken', 'SignBlob', 'SignJwt']);
const SA_NAME = /(?:^|\/)serviceAccounts\/([^/]+)$/;
const SA_KEY_PREFIX = /^\/\/iam\.googleapis\.com\//;
const K8S_OBJECT = /^(?:[a-z0-9.]+\/)?v\d\w*\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)/;
const PROJECT_OF_LOG = /^projects\/([^/]+)\//;

/**
 * One Cloud Audit Logs LogEntry (protoPayload AuditLog) as an event. The principal is
 * authenticationInfo.principalEmail (principalSubject when there is no email); the callers an account
 * acted for (serviceAccountDelegationInfo, first to last) go to chain.delegation and each hop, from the
 * original caller to the acting account, becomes an `impersonates` observation. IAM Credentials calls
 * for another account are impersonations too. Field names are read in both the API's camelCase and
 * the lower-case some pipelines (and Panther) write.
 */
export function mapAuditEntry(e: Obj, rawRef: string): CanonicalRecord[] {
  const pp = obj(e.protoPayload ?? e.protopayload);
  if (!pp) throw new Error('missing protoPayload');
  const timeField = e.timestamp != null ? 'timestamp' : e.receiveTimestamp != null ? 'receiveTimestamp' : e.receivetimestamp != null ? 'receivetimestamp' : 'p_event_time';
  const time = toIso(e[timeField], timeField);
  if (!time) throw new Error('missing timestamp');
  const method = str(pp.methodName);
  if (!method) throw new Error('missing protoPayload.methodName');
  const auth = obj(pp.authenticationInfo);
  const resource = obj(e.resource);
  const labels = resource ? obj(resource.labels) : null;
  const cluster = labels ? clusterName(labels.cluster_name) : null;
  const actor = principalFromAudit(auth ? str(auth.principalEmail) : null, auth ? str(auth.principalSubject) : null, cluster);
  if (!actor) throw new Error('missing protoPayload.authenticationInfo.principalEmail');

  const logName = str(e.logName) ?? str(e.logname);
  const insertId = str(e.insertId) ?? str(e.insertid);
  const id = insertId ? `gcp:audit:${insertId}` : `gcp:audit:h:${shortHash(JSON.stringify(e), 24)}`;
  const project = (labels ? str(labels.project_id) : null) ?? (logName ? PROJECT_OF_LOG.exec(logName)?.[1] ?? null : null);
  const out: CanonicalRecord[] = [identityOf(actor, time)];
  const observations: CanonicalRecord[] = [];
  const chain: Partial<EventChain> = {};

  // Who the acting account was acting for, first caller first.
  const delegation: string[] = [];
  const infos = auth && Array.isArray(auth.serviceAccountDelegationInfo) ? auth.serviceAccountDelegationInfo : [];
  for (const info of infos) {
    const p = delegatePrincipal(info);
    if (!p) continue;
    delegation.push(p.id);
    out.push(identityOf(p, null));
  }
  if (delegation.length) {
    chain.delegation = delegation;
    const hops = [...delegation, actor.id];
    for (let i = 0; i + 1 < hops.length; i++) {
      if (hops[i] !== hops[i + 1]) observations.push(rec.observation({ eventId: id, from: hops[i], to: hops[i + 1], kind: 'impersonates', time }));
    }
  }
  const keyName = auth ? str(auth.serviceAccountKeyName) : null;
  if (keyName) chain.credentialId = gcpIds.key(keyName.replace(SA_KEY_PREFIX, ''));
  const subject = auth ? str(auth.principalSubject) : null;
  if (subject?.startsWith('principal://') || subject?.startsWith('principalSet://')) chain.federatedProvider = subject.replace(/\/subject\/.*$/, '');

  const request = obj(pp.request);
  const status = obj(pp.status);
  const outcome = outcomeOf(status, pp.authorizationInfo);
  const resourceName = str(pp.resourceName);
  const requestName = request ? str(request.name) : null;
  let target: string | null = null;

  // The IAM Credentials API names the account being impersonated in request.name.
  const shortMethod = method.slice(method.lastIndexOf('.') + 1);
  const saRef = SA_NAME.exec(requestName ?? '')?.[1] ?? SA_NAME.exec(resourceName ?? '')?.[1] ?? null;
  if (saRef && saRef !== '-' && saRef.includes('@')) {
    const sa = principalFromEmail(saRef);
    target = sa.id;
    out.push(identityOf(sa, null));
  }
  const chainOfDelegates = pp.metadata && isObj(pp.metadata) && Array.isArray(pp.metadata.identityDelegationChain)
    ? pp.metadata.identityDelegationChain.map((x) => SA_NAME.exec(String(x))?.[1]).filter((x): x is string => !!x && x.includes('@'))
    : [];
  if (IMPERSONATION_METHODS.has(shortMethod) && outcome !== 'failure') {
    // generateAccessToken with delegates: caller -> delegate ... -> target, each hop an impersonation.
    const path = [actor.id, ...chainOfDelegates.map((x) => gcpIds.serviceAccount(x))];
    if (target && path[path.length - 1] !== target) path.push(target);
    for (let i = 0; i + 1 < path.length; i++) {
      if (path[i] !== path[i + 1]) observations.push(rec.observation({ eventId: id, from: path[i], to: path[i + 1], kind: 'impersonates', time }));
    }
    for (const d of chainOfDelegates) out.push(identityOf(principalFromEmail(d), null));
  }
  if (!target && resourceName) target = k8sTarget(resourceName, cluster) ?? resourceName;

  const reqMeta = obj(pp.requestMetadata);
  const sourceIp = reqMeta ? str(reqMeta.callerIp) ?? str(reqMeta.callerIP) : null;
  const resources = new Set<string>();
  if (resourceName) resources.add(resourceName);
  const permissions: { permission: string; granted: boolean | null; resource: string | null }[] = [];
  if (Array.isArray(pp.authorizationInfo)) {
    for (const a of pp.authorizationInfo) {
      if (!isObj(a)) continue;
      const r = str(a.resource);
      if (r) resources.add(r);
      const perm = str(a.permission);
      if (perm) permissions.push({ permission: perm, granted: typeof a.granted === 'boolean' ? a.granted : null, resource: r });
    }
  }
  const serviceData = obj(pp.serviceData);
  const metadata = obj(pp.metadata);
  const policyDelta = (serviceData && obj(serviceData.policyDelta)) ?? (metadata && obj(metadata.policyDelta)) ?? null;

  const event: EventInput = {
    id, time, provider: cluster && method.startsWith('io.k8s.') ? 'k8s' : 'gcp', service: str(pp.serviceName) ?? '', action: method, outcome,
    errorCode: outcome === 'failure' ? (status ? str(status.message) ?? (status.code !== undefined ? String(status.code) : null) : 'PERMISSION_DENIED') : null,
    actorId: actor.id, chain, target, resources: [...resources].slice(0, 50), sourceIp, sourceKind: classifySource(sourceIp),
    userAgent: reqMeta ? str(reqMeta.callerSuppliedUserAgent) : null,
    region: labels ? str(labels.location) ?? str(labels.zone) ?? str(labels.region) : null, account: project ?? cluster, rawRef,
    detail: {
      logName, severity: str(e.severity), resourceType: resource ? str(resource.type) : null, resourceLabels: labels ? redact(labels) : null,
      principalEmail: auth ? str(auth.principalEmail) : null, principalSubject: subject, permissions,
      statusCode: status && typeof status.code === 'number' ? status.code : null, policyDelta: policyDelta ? redact(policyDelta) : null,
      identityDelegationChain: chainOfDelegates.length ? chainOfDelegates : null, cluster,
      // The request says what was asked for; responses can carry key material (CreateServiceAccountKey) and are not kept.
      request: request ? redact(request) : null,
    },
  };
  out.push(rec.event(event), ...observations);
  return out;
}

function delegatePrincipal(info: unknown): GcpPrincipal | null {
  if (!isObj(info)) return null;
  const first = obj(info.firstPartyPrincipal);
  const email = first ? str(first.principalEmail) : null;
  if (email) return principalFromEmail(email);
  const subject = str(info.principalSubject);
  if (subject) return principalFromAudit(null, subject, null);
  const third = obj(info.thirdPartyPrincipal);
  const claims = third ? obj(third.thirdPartyClaims) : null;
  if (claims) {
    const who = str(claims.sub) ?? str(claims.email) ?? str(claims.principal);
    if (who) return { id: `gcp:principal:third-party/${who}`, kind: 'workload', provider: 'gcp', name: who, email: null, account: null, attributes: { thirdParty: true } };
  }
  return null;
}

function outcomeOf(status: Obj | null, authorizationInfo: unknown): Outcome {
  if (status) {
    const code = typeof status.code === 'number' ? status.code : 0;
    return code !== 0 ? 'failure' : 'success';
  }
  if (Array.isArray(authorizationInfo) && authorizationInfo.length && authorizationInfo.every((a) => isObj(a) && a.granted === false)) return 'failure';
  return 'unknown';
}

/** GKE audit logs name Kubernetes objects (`core/v1/namespaces/ns/pods/name`): the same ids as the k8s connectors. */
function k8sTarget(resourceName: string, cluster: string | null): string | null {
  if (!cluster) return null;
  const m = K8S_OBJECT.exec(resourceName);
  if (!m) return null;
  return objectIdOf(cluster, m[2], m[1], m[3]);
}

function identityOf(p: GcpPrincipal, lastSeenAt: string | null): CanonicalRecord {
  return rec.identity({
    id: p.id, kind: p.kind, provider: p.provider, name: p.name, email: p.email, account: p.account, lastSeenAt, origin: 'log', attributes: p.attributes,
  });
}

function obj(v: unknown): Obj | null {
  return isObj(v) ? v : null;
}
