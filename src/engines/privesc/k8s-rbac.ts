import type { Db } from '../../store/index.js';

/**
 * Kubernetes RBAC as the store holds it: roles and cluster roles with their rules (policies of kind
 * `role`), bindings as `member_of` edges from subjects to roles (a RoleBinding carries
 * `conditions.namespace`), group membership from EKS aws-auth and access entries, and the groups every
 * subject is in implicitly (system:authenticated, system:serviceaccounts[:ns]).
 */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** A rule as it reaches a subject: through which role and binding, in the whole cluster or one namespace. */
export interface Grant {
  rule: Rule;
  role: string;
  binding: string | null;
  /** null: cluster-wide (ClusterRoleBinding); else the namespace of the RoleBinding. */
  namespace: string | null;
  /** Cluster-wide binding to the cluster role named cluster-admin. */
  clusterAdminBinding: boolean;
}

export interface Subject {
  id: string;
  name: string;
  kind: 'serviceaccount' | 'user' | 'group';
  cluster: string;
  namespace: string | null;
  identityKind: string;
  grants: Grant[];
  /** Member of system:masters, which bypasses RBAC. */
  masters: boolean;
}

export interface K8sEstate {
  subjects: Map<string, Subject>;
  /** Service accounts by cluster and namespace. */
  serviceAccounts: Map<string, string[]>;
  /** Service accounts that known pods and controllers run as, by cluster and namespace. */
  podAccounts: Map<string, string[]>;
  /** Service accounts with a long-lived token secret, by cluster and namespace. */
  tokenAccounts: Map<string, string[]>;
  users: Map<string, string[]>;
}

/** Built-in cluster roles, abridged to what decides escalation, for bindings whose role is not in the export. */
const CORE = ['pods', 'pods/exec', 'pods/attach', 'pods/portforward', 'pods/log', 'secrets', 'configmaps', 'services', 'serviceaccounts', 'persistentvolumeclaims', 'events'];
const WORKLOADS = ['deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers'];
const rule = (apiGroups: string[], resources: string[], verbs: string[]): Rule => ({ apiGroups, resources, verbs, resourceNames: [], nonResourceURLs: [] });
const BUILTIN_ROLES: Record<string, Rule[]> = {
  'cluster-admin': [rule(['*'], ['*'], ['*']), { ...rule([], [], ['*']), nonResourceURLs: ['*'] }],
  admin: [
    rule(['', 'apps', 'batch', 'extensions', 'autoscaling', 'policy', 'networking.k8s.io'], [...CORE, ...WORKLOADS], ['*']),
    rule([''], ['serviceaccounts'], ['impersonate']),
    rule(['rbac.authorization.k8s.io'], ['roles', 'rolebindings'], ['*']),
  ],
  edit: [
    rule(['', 'apps', 'batch', 'extensions', 'autoscaling', 'policy', 'networking.k8s.io'], [...CORE, ...WORKLOADS], ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']),
    rule([''], ['serviceaccounts'], ['impersonate']),
  ],
  view: [rule(['', 'apps', 'batch', 'extensions', 'autoscaling', 'policy', 'networking.k8s.io'], [...CORE.filter((r) => r !== 'secrets' && !r.includes('/')), ...WORKLOADS], ['get', 'list', 'watch'])],
};

export async function loadK8s(db: Db): Promise<K8sEstate> {
  const ids = await db.query(`SELECT id, name, kind, account, attributes FROM identities WHERE provider = 'k8s' AND (id LIKE 'k8s:serviceaccount:%' OR id LIKE 'k8s:user:%' OR id LIKE 'k8s:group:%')`);
  const roles = await db.query(`SELECT id, name, document FROM policies WHERE provider = 'k8s' AND kind = 'role'`);
  const masters = await db.query(`SELECT identity_id FROM entitlements WHERE source_policy = 'k8s:builtin:system:masters'`);
  const edges = await db.query(`SELECT from_id, to_id, kind, conditions, attributes FROM edges WHERE from_id LIKE 'k8s:%' AND kind IN ('member_of', 'runs_as') AND potential`);
  const tokens = await db.query(`SELECT identity_id FROM credentials WHERE identity_id LIKE 'k8s:serviceaccount:%' AND status <> 'revoked'`);

  const rulesOf = new Map<string, Rule[]>();
  for (const r of roles) rulesOf.set(r.id, normaliseRules((r.document as { rules?: unknown })?.rules));
  const mastersGroups = new Set(masters.map((m) => m.identity_id as string));
  const subjects = new Map<string, Subject>();
  const est: K8sEstate = { subjects, serviceAccounts: new Map(), podAccounts: new Map(), tokenAccounts: new Map(), users: new Map() };
  for (const r of ids) {
    const s = parseSubjectId(r.id);
    if (!s) continue;
    subjects.set(r.id, { id: r.id, name: r.name, kind: s.kind, cluster: s.cluster, namespace: s.namespace, identityKind: r.kind, grants: [], masters: mastersGroups.has(r.id) });
    if (s.kind === 'serviceaccount') add(est.serviceAccounts, nsKey(s.cluster, s.namespace!), r.id);
    if (s.kind === 'user') add(est.users, s.cluster, r.id);
  }
  const groupsOf = new Map<string, string[]>();
  for (const e of edges) {
    if (e.kind === 'runs_as') {
      const sa = parseSubjectId(e.to_id);
      if (sa?.kind === 'serviceaccount') add(est.podAccounts, nsKey(sa.cluster, sa.namespace!), e.to_id);
      continue;
    }
    const subject = subjects.get(e.from_id);
    if (!subject) continue;
    if (e.to_id.startsWith('k8s:group:')) {
      add(groupsOf, e.from_id, e.to_id);
      continue;
    }
    const role = e.to_id as string;
    if (!role.startsWith('k8s:role:') && !role.startsWith('k8s:clusterrole:')) continue;
    const attrs = (e.attributes ?? {}) as Record<string, unknown>;
    const namespace = (e.conditions as { namespace?: string } | null)?.namespace ?? null;
    const roleName = role.slice(role.lastIndexOf('/') + 1);
    const rules = rulesOf.get(role) ?? (role.startsWith('k8s:clusterrole:') ? BUILTIN_ROLES[roleName] ?? [] : []);
    // A ClusterRoleBinding can only name a ClusterRole; one naming a Role grants nothing.
    if (attrs.bindingKind === 'ClusterRoleBinding' && attrs.roleKind === 'Role') continue;
    for (const r of rules) {
      subject.grants.push({
        rule: r, role, binding: typeof attrs.binding === 'string' ? attrs.binding : null, namespace,
        clusterAdminBinding: namespace === null && role.startsWith('k8s:clusterrole:') && roleName === 'cluster-admin',
      });
    }
  }
  for (const t of tokens) {
    const sa = parseSubjectId(t.identity_id);
    if (sa?.kind === 'serviceaccount') add(est.tokenAccounts, nsKey(sa.cluster, sa.namespace!), t.identity_id);
  }
  // Groups pass their grants to their members, named and implicit.
  for (const s of subjects.values()) {
    if (s.kind === 'group') continue;
    const groups = [...(groupsOf.get(s.id) ?? []), `k8s:group:${s.cluster}/system:authenticated`];
    if (s.kind === 'serviceaccount') groups.push(`k8s:group:${s.cluster}/system:serviceaccounts`, `k8s:group:${s.cluster}/system:serviceaccounts:${s.namespace}`);
    for (const g of groups) {
      const group = subjects.get(g);
      if (!group) continue;
      s.grants.push(...group.grants);
      if (group.masters) s.masters = true;
    }
  }
  return est;
}

function normaliseRules(raw: unknown): Rule[] {
  if (!Array.isArray(raw)) return [];
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return raw.filter((r) => r && typeof r === 'object').map((r: Record<string, unknown>) => ({
    apiGroups: list(r.apiGroups), resources: list(r.resources), verbs: list(r.verbs).map((v) => v.toLowerCase()),
    resourceNames: list(r.resourceNames), nonResourceURLs: list(r.nonResourceURLs),
  }));
}

export function parseSubjectId(id: string): { kind: Subject['kind']; cluster: string; namespace: string | null; name: string } | null {
  let m = /^k8s:serviceaccount:([^/]+)\/([^/]+)\/(.+)$/.exec(id);
  if (m) return { kind: 'serviceaccount', cluster: m[1], namespace: m[2], name: m[3] };
  m = /^k8s:(user|group):([^/]+)\/(.+)$/.exec(id);
  if (m) return { kind: m[1] as 'user' | 'group', cluster: m[2], namespace: null, name: m[3] };
  return null;
}

export const nsKey = (cluster: string, ns: string) => `${cluster}/${ns}`;

function add(map: Map<string, string[]>, k: string, v: string): void {
  const l = map.get(k);
  if (!l) map.set(k, [v]);
  else if (!l.includes(v)) l.push(v);
}

/** The API group a resource belongs to, for the resources escalation and risk checks name. */
const API_GROUP: Record<string, string> = {
  deployments: 'apps', daemonsets: 'apps', statefulsets: 'apps', replicasets: 'apps', jobs: 'batch', cronjobs: 'batch',
  roles: 'rbac.authorization.k8s.io', clusterroles: 'rbac.authorization.k8s.io', rolebindings: 'rbac.authorization.k8s.io', clusterrolebindings: 'rbac.authorization.k8s.io',
  'certificatesigningrequests/approval': 'certificates.k8s.io',
  validatingwebhookconfigurations: 'admissionregistration.k8s.io', mutatingwebhookconfigurations: 'admissionregistration.k8s.io',
};

export function apiGroupOf(resource: string): string {
  return API_GROUP[resource] ?? '';
}

function resourceMatches(ruleResource: string, resource: string): boolean {
  if (ruleResource === '*' || ruleResource === resource) return true;
  const slash = resource.indexOf('/');
  if (slash !== -1 && ruleResource === `${resource.slice(0, slash)}/*`) return true;
  if (slash !== -1 && ruleResource === `*${resource.slice(slash)}`) return true;
  return false;
}

/**
 * Does the rule allow one of `verbs` on one of `resources` (each in its own API group)? Rules limited
 * to named objects (resourceNames) grant no blanket capability and are not counted.
 */
export function ruleAllows(r: Rule, verbs: string[], resources: string[], opts: { group?: string; anyGroup?: boolean } = {}): boolean {
  if (r.resourceNames.length) return false;
  if (!r.verbs.includes('*') && !verbs.some((v) => r.verbs.includes(v))) return false;
  return resources.some((res) => {
    const group = opts.group ?? apiGroupOf(res);
    const groups = r.apiGroups.length ? r.apiGroups : [''];
    if (!opts.anyGroup && !groups.includes('*') && !groups.includes(group)) return false;
    return r.resources.some((rr) => resourceMatches(rr, res));
  });
}

/** Where a subject holds a capability: the whole cluster, or some namespaces. */
export interface Reach {
  cluster: boolean;
  namespaces: Set<string>;
  evidence: string[];
}

export function reachOf(s: Subject, test: (r: Rule) => boolean): Reach {
  const out: Reach = { cluster: false, namespaces: new Set(), evidence: [] };
  for (const g of s.grants) {
    if (!test(g.rule)) continue;
    if (g.namespace === null) out.cluster = true;
    else out.namespaces.add(g.namespace);
    const ev = g.binding ?? g.role;
    if (!out.evidence.includes(ev)) out.evidence.push(ev);
    if (!out.evidence.includes(g.role)) out.evidence.push(g.role);
  }
  return out;
}

export const reaches = (r: Reach) => r.cluster || r.namespaces.size > 0;

/** Cluster administrator: system:masters, or every verb on every resource of every group, cluster-wide. */
export function isClusterAdmin(s: Subject): boolean {
  if (s.masters) return true;
  return s.grants.some((g) => g.namespace === null && !g.rule.resourceNames.length && g.rule.verbs.includes('*') && g.rule.resources.includes('*') && g.rule.apiGroups.includes('*'));
}

/**
 * RBAC risks per subject, named after the checks Kubernetes security scanners run (the kubescape
 * control library's RBAC rules): bindings that grant secrets, pod creation, exec, impersonation,
 * bind/escalate, port-forward, event deletion, proxy, CSR approval, webhooks and more.
 */
export const K8S_RISKS: Record<string, { title: string; test: (s: Subject) => boolean }> = {
  'cluster-admin-binding': { title: 'bound to cluster-admin', test: (s) => s.grants.some((g) => g.clusterAdminBinding) },
  'wildcard-admin': { title: 'every verb on every resource (cluster-admin-like)', test: (s) => s.grants.some((g) => !g.rule.resourceNames.length && g.rule.verbs.includes('*') && g.rule.resources.includes('*')) },
  'secrets-read': { title: 'can read secrets', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['get', 'list', 'watch'], ['secrets']))) },
  'pods-create': { title: 'can create pods', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create'], ['pods']))) },
  'pods-exec': { title: 'can exec into pods', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create', 'get'], ['pods/exec']))) },
  'pods-portforward': { title: 'can port-forward to pods', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create', 'get'], ['pods/portforward']))) },
  impersonate: { title: 'can impersonate users, groups or service accounts', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['impersonate'], ['users', 'groups', 'serviceaccounts']))) },
  bind: { title: 'can bind roles', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['bind'], ['roles', 'clusterroles']))) },
  escalate: { title: 'can escalate roles', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['escalate'], ['roles', 'clusterroles']))) },
  'events-delete': { title: 'can delete events', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['delete', 'deletecollection'], ['events']))) },
  'nodes-proxy': { title: 'can reach the kubelet through nodes/proxy', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['get', 'create', 'connect'], ['nodes/proxy']))) },
  'csr-approve': { title: 'can approve certificate signing requests', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['update', 'patch'], ['certificatesigningrequests/approval']))) },
  'pv-create': { title: 'can create persistent volumes', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create'], ['persistentvolumes']))) },
  'token-create': { title: 'can mint service-account tokens', test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create'], ['serviceaccounts/token']))) },
  'webhooks-modify': {
    title: 'can change admission webhooks',
    test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['create', 'update', 'patch', 'delete'], ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations']))),
  },
  'coredns-configmap-update': {
    title: "can modify kube-system's coredns configmap",
    test: (s) => {
      const r = reachOf(s, (x) => ruleAllows(x, ['update', 'patch'], ['configmaps']));
      return r.cluster || r.namespaces.has('kube-system');
    },
  },
  'delete-important': {
    title: 'can delete important resources',
    test: (s) => reaches(reachOf(s, (r) => ruleAllows(r, ['delete', 'deletecollection'], ['secrets', 'pods', 'services', 'deployments', 'replicasets', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs']))),
  },
};

/** Every risk each subject carries (only subjects with at least one). */
export async function k8sRisks(db: Db): Promise<Map<string, string[]>> {
  const est = await loadK8s(db);
  const out = new Map<string, string[]>();
  for (const s of est.subjects.values()) {
    const risks = Object.entries(K8S_RISKS).filter(([, r]) => r.test(s)).map(([k]) => k);
    if (risks.length) out.set(s.id, risks);
  }
  return out;
}
