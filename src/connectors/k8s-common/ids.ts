import type { IdentityKind } from '../../model/index.js';

/**
 * Kubernetes ids (docs/model.md): every name is scoped by its cluster, because `default/default` exists
 * in every cluster. The cluster comes from ParseOptions.cluster, else from the data (EKS log group, GKE
 * resource labels, `metadata.clusterName`), else `default`.
 */
export const DEFAULT_CLUSTER = 'default';

export const k8sIds = {
  serviceAccount: (cluster: string, ns: string, name: string) => `k8s:serviceaccount:${cluster}/${ns}/${name}`,
  user: (cluster: string, name: string) => `k8s:user:${cluster}/${name}`,
  group: (cluster: string, name: string) => `k8s:group:${cluster}/${name}`,
  pod: (cluster: string, ns: string, name: string) => `k8s:pod:${cluster}/${ns}/${name}`,
  role: (cluster: string, ns: string, name: string) => `k8s:role:${cluster}/${ns}/${name}`,
  clusterRole: (cluster: string, name: string) => `k8s:clusterrole:${cluster}/${name}`,
  /** Controllers that stamp out pods (Deployment, CronJob, ...): `kind` lower-case. */
  workload: (cluster: string, ns: string, kind: string, name: string) => `k8s:workload:${cluster}/${ns}/${kind.toLowerCase()}/${name}`,
  saToken: (cluster: string, ns: string, secret: string) => `k8s:sa-token:${cluster}/${ns}/${secret}`,
  namespace: (cluster: string, ns: string) => `k8s:namespace:${cluster}/${ns}`,
  cluster: (cluster: string) => `k8s:cluster:${cluster}`,
  /** Any other object, as a resource: `k8s:<resource or kind>:<cluster>/<ns>/<name>` (no ns when cluster-scoped). */
  object: (cluster: string, type: string, ns: string | null, name: string) =>
    `k8s:${type.toLowerCase()}:${cluster}/${ns ? `${ns}/` : ''}${name}`,
};

export interface K8sPrincipal {
  id: string;
  kind: IdentityKind;
  name: string;
  namespace: string | null;
}

const SA_PREFIX = 'system:serviceaccount:';
const NODE_PREFIX = 'system:node:';

/**
 * A Kubernetes username as audit logs and RBAC subjects write it, as an identity: service-account
 * usernames (`system:serviceaccount:ns:name`) are the service account itself; nodes and the control
 * plane's own users (`system:...`, `eks:...`) are machine identities; anything else is a person.
 */
export function principalOf(cluster: string, username: string): K8sPrincipal {
  if (username.startsWith(SA_PREFIX)) {
    const rest = username.slice(SA_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0) {
      const ns = rest.slice(0, colon);
      const name = rest.slice(colon + 1);
      return { id: k8sIds.serviceAccount(cluster, ns, name), kind: 'service_account', name, namespace: ns };
    }
  }
  if (username.startsWith(NODE_PREFIX)) return { id: k8sIds.user(cluster, username), kind: 'workload', name: username, namespace: null };
  const machine = username.startsWith('system:') || username.startsWith('eks:') || username.startsWith('aws:');
  return { id: k8sIds.user(cluster, username), kind: machine ? 'service_account' : 'human', name: username, namespace: null };
}

/** A usable cluster name from a value the data offers, or null. */
export function clusterName(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Controllers whose objects are workload identities (`k8s:workload:...`). */
const WORKLOAD_RESOURCES = new Set(['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers']);

/**
 * The id of an object an API call names by its resource (plural, as in URLs and audit logs): the
 * identity id when the object is an identity (service account, pod, role, workload), else the
 * object id the RBAC inventory gives it, so that logs and inventory meet on the same node.
 */
export function objectIdOf(cluster: string, resource: string, ns: string | null, name: string): string {
  if (ns) {
    if (resource === 'serviceaccounts') return k8sIds.serviceAccount(cluster, ns, name);
    if (resource === 'pods') return k8sIds.pod(cluster, ns, name);
    if (resource === 'roles') return k8sIds.role(cluster, ns, name);
    if (WORKLOAD_RESOURCES.has(resource)) return k8sIds.workload(cluster, ns, singular(resource), name);
  }
  if (resource === 'clusterroles') return k8sIds.clusterRole(cluster, name);
  if (resource === 'namespaces') return k8sIds.namespace(cluster, name);
  return k8sIds.object(cluster, singular(resource), ns, name);
}

function singular(resource: string): string {
  if (resource.endsWith('ies')) return `${resource.slice(0, -3)}y`;
  return resource.endsWith('s') ? resource.slice(0, -1) : resource;
}
