import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { DEFAULT_CLUSTER } from '../k8s-common/ids.js';
import { readManifests } from '../k8s-common/read-manifests.js';
import { mapObject } from './map.js';

const RBAC_KIND = /(?:"kind"\s*:\s*"|^kind:\s*["']?)(?:List|ServiceAccount|Role|ClusterRole|RoleBinding|ClusterRoleBinding|Pod|Deployment|DaemonSet|StatefulSet|ReplicaSet|Job|CronJob|ReplicationController|Secret|ConfigMap|Namespace|Service)\b/m;
const API_VERSION = /"apiVersion"\s*:|^apiVersion:/m;
const PY_CLIENT = /"__type__"\s*:\s*"V1(?:ServiceAccount|Role|ClusterRole|RoleBinding|ClusterRoleBinding|Pod)"/;
const ACCESS_ENTRY = /"accessEntryArn"\s*:/;
const AUDIT = /audit\.k8s\.io/;

/**
 * Kubernetes RBAC and workloads: ServiceAccounts (with IRSA / GKE / Azure workload-identity
 * annotations), Roles, ClusterRoles, their bindings, Pods and the controllers that make pods, secrets
 * of service-account tokens, EKS aws-auth and access entries.
 */
export const connector: Connector = {
  name: 'k8s-rbac',
  title: 'Kubernetes RBAC, service accounts and workloads',
  category: 'inventory',
  produces: 'kubectl get serviceaccounts,roles,clusterroles,rolebindings,clusterrolebindings,pods,deployments,cronjobs -A -o json (or -o yaml, or manifests with ---); aws eks describe-access-entry',
  detect(sample) {
    const head = sample.head;
    if (AUDIT.test(head)) return 0;
    if (RBAC_KIND.test(head) && API_VERSION.test(head)) return 0.9;
    if (PY_CLIENT.test(head) || ACCESS_ENTRY.test(head)) return 0.85;
    return 0;
  },
  async *parse(file, options) {
    const ctx = { cluster: options.cluster ?? null, fallbackCluster: DEFAULT_CLUSTER };
    for await (const batch of readManifests(file)) {
      yield batch.map((o): SourceItem =>
        o.error !== undefined ? { index: o.index, line: o.line, reject: o.error } : toItem(o.index, o.line, () => mapObject(o.value!, ctx)),
      );
    }
  },
};
