import { rec } from '../contract.js';
import { classifySource } from '../../lib/network.js';
import { redactIfNeeded as redact, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, EventChain, EventInput } from '../../model/index.js';
import { k8sIds, objectIdOf, principalOf } from '../k8s-common/ids.js';
import { isObj, str, type Obj } from '../k8s-common/objects.js';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\//;
/** The Panther flattening of `authentication.kubernetes.io/pod-name` and the real key. */
const POD_NAME_KEYS = ['authentication.kubernetes.io/pod-name', 'authentication_kubernetes_io_slash_pod-name'];

/**
 * One audit.k8s.io Event as an event, its actor, and the hops it shows: an impersonation
 * (`impersonatedUser`), an AWS principal entering the cluster through aws-iam-authenticator (EKS), a
 * pod using its service account's token.
 */
export function mapAuditEvent(e: Obj, cluster: string, rawRef: string): CanonicalRecord[] {
  const user = isObj(e.user) ? e.user : null;
  const username = user ? str(user.username) : null;
  if (!username) throw new Error('missing user.username');
  const timeValue = e.stageTimestamp ?? e.requestReceivedTimestamp;
  if (timeValue === undefined || timeValue === null || timeValue === '') throw new Error('missing requestReceivedTimestamp');
  const time = toIso(timeValue, e.stageTimestamp != null ? 'stageTimestamp' : 'requestReceivedTimestamp')!;
  const verb = str(e.verb);
  if (!verb) throw new Error('missing verb');

  const out: CanonicalRecord[] = [];
  const actor = principalOf(cluster, username);
  const extra = isObj(user!.extra) ? user!.extra : {};
  const groups = Array.isArray(user!.groups) ? user!.groups.filter((g): g is string => typeof g === 'string') : [];
  out.push(rec.identity({
    id: actor.id, kind: actor.kind, provider: 'k8s', name: actor.name, account: cluster, lastSeenAt: time, origin: 'log',
    email: username.includes('@') ? username : null, attributes: { cluster, username, ...(actor.namespace ? { namespace: actor.namespace } : {}) },
  }));

  const chain: Partial<EventChain> = {};
  const observations: CanonicalRecord[] = [];
  const eventId = eventIdOf(e, cluster);

  const imp = isObj(e.impersonatedUser) ? str(e.impersonatedUser.username) : null;
  if (imp) {
    const as = principalOf(cluster, imp);
    chain.onBehalfOf = as.id;
    out.push(rec.identity({ id: as.id, kind: as.kind, provider: 'k8s', name: as.name, account: cluster, origin: 'log', attributes: { cluster, username: imp } }));
    observations.push(rec.observation({ eventId, from: actor.id, to: as.id, kind: 'impersonates', time }));
  }

  // EKS: aws-iam-authenticator puts the AWS principal behind a Kubernetes username in user.extra.
  const canonicalArn = first(extra.canonicalArn);
  if (canonicalArn) {
    chain.sessionIssuer = canonicalArn;
    chain.session = first(extra.arn);
    chain.federatedProvider = 'aws-iam-authenticator';
    const keyId = first(extra.accessKeyId);
    if (keyId) chain.credentialId = keyId.startsWith('AKIA') ? `aws:access-key:${keyId}` : `aws:session-key:${keyId}`;
    const awsKind = ROLE_ARN.test(canonicalArn) ? 'role' : 'human';
    out.push(rec.identity({ id: canonicalArn, kind: awsKind, provider: 'aws', name: canonicalArn.slice(canonicalArn.lastIndexOf('/') + 1), account: /:(\d{12}):/.exec(canonicalArn)?.[1] ?? null, origin: 'log' }));
    observations.push(rec.observation({ eventId, from: canonicalArn, to: actor.id, kind: 'federates_to', time }));
  }

  // A bound service-account token names the pod it was issued to: the pod acted as the service account.
  const podName = POD_NAME_KEYS.map((k) => first(extra[k])).find(Boolean);
  if (podName && actor.kind === 'service_account' && actor.namespace) {
    const pod = k8sIds.pod(cluster, actor.namespace, podName);
    chain.invokedBy = pod;
    out.push(rec.identity({ id: pod, kind: 'workload', provider: 'k8s', name: podName, account: cluster, lastSeenAt: time, origin: 'log', attributes: { cluster, namespace: actor.namespace } }));
    observations.push(rec.observation({ eventId, from: pod, to: actor.id, kind: 'runs_as', time }));
  }

  const ref = isObj(e.objectRef) ? e.objectRef : null;
  const resource = ref ? str(ref.resource) : null;
  const sub = ref ? str(ref.subresource) : null;
  const ns = ref ? str(ref.namespace) : null;
  const objName = ref ? str(ref.name) : null;
  const uri = str(e.requestURI);
  const action = resource ? `${verb} ${resource}${sub ? `/${sub}` : ''}` : `${verb} ${uri ? uri.split('?')[0] : '/'}`;
  const target = resource && objName ? objectIdOf(cluster, resource, ns, objName) : null;

  const status = isObj(e.responseStatus) ? e.responseStatus : null;
  const code = status && typeof status.code === 'number' ? status.code : null;
  const annotations = isObj(e.annotations) ? e.annotations : {};
  const decision = str(annotations['authorization.k8s.io/decision']);
  const failed = (code !== null && code >= 400) || decision === 'forbid';
  const outcome = failed ? 'failure' : code !== null ? 'success' : 'unknown';
  const sourceIp = Array.isArray(e.sourceIPs) ? str(e.sourceIPs[0]) : null;

  const event: EventInput = {
    id: eventId, time, provider: 'k8s', service: 'kube-apiserver', action, outcome,
    errorCode: failed ? (status ? str(status.reason) ?? (code !== null ? String(code) : null) : 'Forbidden') : null,
    actorId: actor.id, chain, target, resources: target ? [target] : [],
    sourceIp, sourceKind: classifySource(sourceIp), userAgent: str(e.userAgent), account: cluster, rawRef,
    detail: {
      verb, requestURI: uri, stage: str(e.stage), level: str(e.level), auditID: str(e.auditID), responseCode: code,
      decision, reason: str(annotations['authorization.k8s.io/reason']), groups,
      objectRef: ref ? redact(ref) : null, userExtra: Object.keys(extra).length ? redact(extra) : null,
    },
  };
  // A request is logged at each stage; only its last stage counts as seeing the hop, once.
  const final = str(e.stage) !== 'RequestReceived';
  out.push(rec.event(event), ...(final ? observations : []));
  return out;
}

/** The same request is logged once per stage, so the stage is part of the id. */
function eventIdOf(e: Obj, cluster: string): string {
  const auditId = str(e.auditID);
  const stage = str(e.stage) ?? 'ResponseComplete';
  return auditId ? `k8s:audit:${cluster}/${auditId}/${stage}` : `k8s:audit:h:${shortHash(JSON.stringify(e), 24)}`;
}

function first(v: unknown): string | null {
  if (Array.isArray(v)) return str(v[0]);
  return str(v);
}
