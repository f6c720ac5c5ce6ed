import { parse as parseYaml } from 'yaml';
import { rec } from '../contract.js';
import { toIso } from '../../lib/time.js';
import { fingerprint, redact, shortHash } from '../../lib/secrets.js';
import type { CanonicalRecord, IdentityKind, IdentityStatus, Privilege } from '../../model/index.js';
import { federationsOf } from '../k8s-common/federation.js';
import { k8sIds, principalOf } from '../k8s-common/ids.js';
import {
  field, isObj, kindOf, metaOf, podSpecOf, roleRefOf, rulesOf, secretsUsedBy, str, subjectsOf, type Meta, type Obj,
} from '../k8s-common/objects.js';
import { maxPrivilege, ruleActions, rulePrivilege } from '../k8s-common/privilege.js';

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController']);
const SYSTEM_MASTERS = 'system:masters';

export interface MapContext {
  /** ParseOptions.cluster: wins over what the object says. */
  cluster: string | null;
  fallbackCluster: string;
}

/** One Kubernetes object (or EKS access entry) as canonical records; throws with the reason to reject it. */
export function mapObject(o: Obj, ctx: MapContext): CanonicalRecord[] {
  if (typeof o.accessEntryArn === 'string' || isObj(o.accessEntry)) return mapAccessEntry(isObj(o.accessEntry) ? o.accessEntry : o, ctx);
  const kind = kindOf(o);
  if (!kind) throw new Error('missing kind');
  const meta = metaOf(o);
  if (!meta.name) throw new Error('missing metadata.name');
  const cluster = ctx.cluster ?? meta.clusterName ?? ctx.fallbackCluster;
  const m = new Mapper(cluster, meta);
  switch (kind) {
    case 'ServiceAccount': return m.serviceAccount(o);
    case 'Role':
    case 'ClusterRole': return m.role(o, kind);
    case 'RoleBinding':
    case 'ClusterRoleBinding': return m.binding(o, kind);
    case 'Pod': return m.pod(o);
    case 'Secret': return m.secret(o);
    case 'ConfigMap': return meta.name === 'aws-auth' && meta.namespace === 'kube-system' ? m.awsAuth(o) : m.resource(kind);
    case 'Namespace': return [rec.resource({ id: k8sIds.namespace(cluster, meta.name), provider: 'k8s', type: 'namespace', name: meta.name, account: cluster, tags: tagsOf(meta.labels) })];
    default:
      return WORKLOAD_KINDS.has(kind) ? m.workload(o, kind) : m.resource(kind);
  }
}

class Mapper {
  readonly out: CanonicalRecord[] = [];
  readonly ns: string;
  readonly name: string;

  constructor(readonly cluster: string, readonly meta: Meta) {
    this.ns = meta.namespace ?? 'default';
    this.name = meta.name!;
  }

  serviceAccount(o: Obj): CanonicalRecord[] {
    const id = k8sIds.serviceAccount(this.cluster, this.ns, this.name);
    const automount = field(o, 'automountServiceAccountToken');
    this.out.push(rec.identity({
      id, kind: 'service_account', provider: 'k8s', name: this.name, account: this.cluster, status: 'active',
      createdAt: toIso(this.meta.creationTimestamp, 'metadata.creationTimestamp'), tags: tagsOf(this.meta.labels),
      attributes: {
        cluster: this.cluster, namespace: this.ns, uid: this.meta.uid, automountToken: typeof automount === 'boolean' ? automount : null,
        annotations: redact(this.meta.annotations),
      },
    }));
    for (const f of federationsOf(this.meta.annotations, this.ns, this.name)) {
      this.out.push(rec.identity({ id: f.to, kind: f.kind, provider: f.provider, name: f.name, email: f.email, account: f.account, origin: 'derived' }));
      this.out.push(rec.edge({ from: id, to: f.to, kind: 'federates_to', conditions: f.conditions, evidence: [id], attributes: { annotation: f.annotation } }));
    }
    return this.out;
  }

  role(o: Obj, kind: 'Role' | 'ClusterRole'): CanonicalRecord[] {
    const id = kind === 'Role' ? k8sIds.role(this.cluster, this.ns, this.name) : k8sIds.clusterRole(this.cluster, this.name);
    const rules = rulesOf(o);
    const scope = kind === 'Role' ? k8sIds.namespace(this.cluster, this.ns) : k8sIds.cluster(this.cluster);
    const levels: Privilege[] = [];
    rules.forEach((rule, i) => {
      const privilege = rulePrivilege(rule);
      levels.push(privilege);
      const resources = rule.resourceNames.length
        ? rule.resources.flatMap((r) => rule.resourceNames.map((n) => `${scope}/${r}/${n}`))
        : [scope];
      this.out.push(rec.entitlement({
        id: entitlementId(id, i), identityId: id, effect: 'Allow', actions: ruleActions(rule), resources, privilege,
        sourcePolicy: id, via: 'direct',
      }));
    });
    const aggregation = field(o, 'aggregationRule');
    this.out.unshift(
      rec.identity({
        id, kind: 'role', provider: 'k8s', name: this.name, account: this.cluster, status: 'active',
        createdAt: toIso(this.meta.creationTimestamp, 'metadata.creationTimestamp'), tags: tagsOf(this.meta.labels),
        attributes: {
          cluster: this.cluster, namespace: kind === 'Role' ? this.ns : null, roleKind: kind, rules: rules.length,
          privilege: rules.length ? maxPrivilege(levels) : null, aggregated: isObj(aggregation),
        },
      }),
      rec.policy({ id, provider: 'k8s', name: this.name, kind: 'role', document: { kind, rules, aggregationRule: aggregation ?? null } }),
    );
    return this.out;
  }

  binding(o: Obj, kind: 'RoleBinding' | 'ClusterRoleBinding'): CanonicalRecord[] {
    const ref = roleRefOf(o);
    if (!ref) throw new Error('missing roleRef');
    const namespaced = kind === 'RoleBinding';
    const roleId = ref.kind === 'Role' && namespaced ? k8sIds.role(this.cluster, this.ns, ref.name) : k8sIds.clusterRole(this.cluster, ref.name);
    const bindingRef = namespaced ? `k8s:rolebinding:${this.cluster}/${this.ns}/${this.name}` : `k8s:clusterrolebinding:${this.cluster}/${this.name}`;
    this.out.push(rec.identity({ id: roleId, kind: 'role', provider: 'k8s', name: ref.name, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster, roleKind: ref.kind } }));
    // A RoleBinding to a ClusterRole grants the ClusterRole's rules inside its own namespace only.
    const conditions = namespaced ? { namespace: this.ns } : null;
    for (const s of subjectsOf(o)) {
      const subject = this.subject(s.kind, s.name, s.namespace);
      if (!subject) continue;
      this.out.push(rec.edge({
        from: subject, to: roleId, kind: 'member_of', conditions, evidence: [bindingRef],
        attributes: { binding: bindingRef, bindingKind: kind, roleKind: ref.kind },
      }));
    }
    return this.out;
  }

  pod(o: Obj): CanonicalRecord[] {
    const id = k8sIds.pod(this.cluster, this.ns, this.name);
    const spec = podSpecOf(o, 'Pod');
    const status = isObj(o.status) ? str(o.status.phase) : null;
    this.out.push(rec.identity({
      id, kind: 'workload', provider: 'k8s', name: this.name, account: this.cluster, status: podStatus(status),
      createdAt: toIso(this.meta.creationTimestamp, 'metadata.creationTimestamp'), tags: tagsOf(this.meta.labels),
      attributes: { cluster: this.cluster, namespace: this.ns, workloadKind: 'Pod', phase: status, controlledBy: ownerOf(o), ...specFacts(spec) },
    }));
    if (spec) this.runsAs(id, spec);
    return this.out;
  }

  workload(o: Obj, kind: string): CanonicalRecord[] {
    const id = k8sIds.workload(this.cluster, this.ns, kind, this.name);
    const spec = podSpecOf(o, kind);
    this.out.push(rec.identity({
      id, kind: 'workload', provider: 'k8s', name: this.name, account: this.cluster, status: 'active',
      createdAt: toIso(this.meta.creationTimestamp, 'metadata.creationTimestamp'), tags: tagsOf(this.meta.labels),
      attributes: { cluster: this.cluster, namespace: this.ns, workloadKind: kind, ...specFacts(spec) },
    }));
    if (spec) this.runsAs(id, spec);
    return this.out;
  }

  secret(o: Obj): CanonicalRecord[] {
    const id = k8sIds.object(this.cluster, 'secret', this.ns, this.name);
    const type = str(o.type);
    this.out.push(rec.resource({ id, provider: 'k8s', type: 'secret', name: this.name, account: this.cluster, tags: tagsOf(this.meta.labels), attributes: { namespace: this.ns, secretType: type } }));
    const saName = str(this.meta.annotations['kubernetes.io/service-account.name']);
    if (type === 'kubernetes.io/service-account-token' && saName) {
      const sa = k8sIds.serviceAccount(this.cluster, this.ns, saName);
      const tokenId = k8sIds.saToken(this.cluster, this.ns, this.name);
      const data = isObj(o.data) ? o.data : {};
      // The token itself is never kept: only its fingerprint, or the id's when the export left data out.
      const token = str(data.token);
      this.out.push(
        rec.identity({ id: sa, kind: 'service_account', provider: 'k8s', name: saName, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster, namespace: this.ns } }),
        rec.credential({
          id: tokenId, identityId: sa, type: 'api_token', fingerprint: fingerprint(token ?? tokenId),
          createdAt: toIso(this.meta.creationTimestamp, 'metadata.creationTimestamp'), status: 'active',
          attributes: { longLived: true, secret: id },
        }),
        rec.edge({ from: sa, to: tokenId, kind: 'owns_credential', evidence: [id] }),
      );
    }
    return this.out;
  }

  /** EKS aws-auth: mapRoles / mapUsers put AWS principals into Kubernetes users and groups. */
  awsAuth(o: Obj): CanonicalRecord[] {
    this.resource('ConfigMap');
    const data = isObj(o.data) ? o.data : {};
    const evidence = [k8sIds.object(this.cluster, 'configmap', 'kube-system', 'aws-auth')];
    for (const [key, arnKey, kind] of [['mapRoles', 'rolearn', 'role'], ['mapUsers', 'userarn', 'human']] as const) {
      const text = str(data[key]);
      if (!text) continue;
      let entries: unknown;
      try {
        entries = parseYaml(text);
      } catch (e) {
        throw new Error(`data.${key} is not valid YAML (${(e as Error).message.split('\n')[0]})`);
      }
      if (!Array.isArray(entries)) throw new Error(`data.${key} is not a list`);
      for (const e of entries) {
        if (!isObj(e)) continue;
        const arn = str(e[arnKey]);
        if (!arn) throw new Error(`data.${key}: an entry has no ${arnKey}`);
        this.mapAwsPrincipal(arn, kind === 'role' ? 'role' : awsUserKind(arn), str(e.username), strings(e.groups), evidence, key);
      }
    }
    return this.out;
  }

  mapAwsPrincipal(arn: string, kind: IdentityKind, username: string | null, groups: string[], evidence: string[], via: string): void {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    this.out.push(rec.identity({ id: arn, kind, provider: 'aws', name, account: /:(\d{12}):/.exec(arn)?.[1] ?? null, origin: 'derived' }));
    // Without a username EKS authenticates the principal under its ARN.
    const user = principalOf(this.cluster, username ?? arn);
    this.out.push(
      rec.identity({ id: user.id, kind: user.kind, provider: 'k8s', name: user.name, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster, usernameTemplate: username?.includes('{{') ?? false } }),
      rec.edge({ from: arn, to: user.id, kind: 'federates_to', evidence, attributes: { via } }),
    );
    for (const g of groups) {
      const gid = this.group(g);
      this.out.push(rec.edge({ from: user.id, to: gid, kind: 'member_of', evidence, attributes: { via } }));
    }
  }

  resource(kind: string): CanonicalRecord[] {
    const namespaced = this.meta.namespace !== null;
    this.out.push(rec.resource({
      id: k8sIds.object(this.cluster, kind, namespaced ? this.ns : null, this.name), provider: 'k8s', type: kind.toLowerCase(), name: this.name,
      account: this.cluster, tags: tagsOf(this.meta.labels), attributes: { namespace: namespaced ? this.ns : null },
    }));
    return this.out;
  }

  private runsAs(from: string, spec: Obj): void {
    const saName = str(field(spec, 'serviceAccountName')) ?? str(field(spec, 'serviceAccount')) ?? 'default';
    const sa = k8sIds.serviceAccount(this.cluster, this.ns, saName);
    this.out.push(
      rec.identity({ id: sa, kind: 'service_account', provider: 'k8s', name: saName, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster, namespace: this.ns } }),
      rec.edge({ from, to: sa, kind: 'runs_as', evidence: [from], attributes: { automountToken: boolOrNull(field(spec, 'automountServiceAccountToken')) } }),
    );
    for (const secret of secretsUsedBy(spec)) {
      const sid = k8sIds.object(this.cluster, 'secret', this.ns, secret);
      this.out.push(
        rec.resource({ id: sid, provider: 'k8s', type: 'secret', name: secret, account: this.cluster, attributes: { namespace: this.ns } }),
        rec.edge({ from, to: sid, kind: 'can_access', evidence: [from], attributes: { access: 'read', how: 'pod spec' } }),
      );
    }
  }

  /** An RBAC subject as an identity id, with a derived identity record for it. */
  private subject(kind: string, name: string, namespace: string | null): string | null {
    if (kind === 'ServiceAccount') {
      const ns = namespace ?? this.ns;
      const id = k8sIds.serviceAccount(this.cluster, ns, name);
      this.out.push(rec.identity({ id, kind: 'service_account', provider: 'k8s', name, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster, namespace: ns } }));
      return id;
    }
    if (kind === 'User') {
      const p = principalOf(this.cluster, name);
      this.out.push(rec.identity({
        id: p.id, kind: p.kind, provider: 'k8s', name: p.name, email: name.includes('@') ? name : null, account: this.cluster, origin: 'derived',
        attributes: { cluster: this.cluster, ...(p.namespace ? { namespace: p.namespace } : {}) },
      }));
      return p.id;
    }
    if (kind === 'Group') return this.group(name);
    return null;
  }

  private group(name: string): string {
    const id = k8sIds.group(this.cluster, name);
    this.out.push(rec.identity({ id, kind: 'group', provider: 'k8s', name, account: this.cluster, origin: 'derived', attributes: { cluster: this.cluster } }));
    if (name === SYSTEM_MASTERS) {
      // system:masters bypasses RBAC altogether: no binding shows it, so it is stated here.
      this.out.push(rec.entitlement({
        id: entitlementId(id, 0), identityId: id, effect: 'Allow', actions: ['*/*:*'], resources: [k8sIds.cluster(this.cluster)], privilege: 'admin',
        sourcePolicy: 'k8s:builtin:system:masters', via: 'direct',
      }));
    }
    return id;
  }
}

/** EKS access entries (`aws eks describe-access-entry`): the principal becomes a Kubernetes user in groups. */
function mapAccessEntry(e: Obj, ctx: MapContext): CanonicalRecord[] {
  const arn = str(e.principalArn);
  if (!arn) throw new Error('missing principalArn');
  const cluster = ctx.cluster ?? str(e.clusterName) ?? ctx.fallbackCluster;
  const m = new Mapper(cluster, { name: arn, namespace: null, uid: null, creationTimestamp: null, annotations: {}, labels: {}, clusterName: cluster });
  const entryArn = str(e.accessEntryArn);
  m.mapAwsPrincipal(arn, arn.includes(':role/') ? 'role' : awsUserKind(arn), str(e.username), strings(e.kubernetesGroups), entryArn ? [entryArn] : [], 'access-entry');
  return m.out;
}

function entitlementId(identityId: string, index: number): string {
  return `ent:${shortHash(`${identityId}\u0000${identityId}\u0000${index}\u0000direct\u0000`, 24)}`;
}

function tagsOf(labels: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

function boolOrNull(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function awsUserKind(arn: string): IdentityKind {
  return arn.includes(':user/') ? 'human' : 'role';
}

function podStatus(phase: string | null): IdentityStatus {
  if (phase === 'Running' || phase === 'Pending') return 'active';
  if (phase === 'Succeeded' || phase === 'Failed') return 'inactive';
  return 'unknown';
}

function ownerOf(o: Obj): string | null {
  const m = isObj(o.metadata) ? o.metadata : {};
  const refs = field(m, 'ownerReferences');
  if (!Array.isArray(refs) || !isObj(refs[0])) return null;
  const kind = str(refs[0].kind);
  const name = str(refs[0].name);
  return kind && name ? `${kind}/${name}` : null;
}

/** Facts about a pod spec that risk scoring reads (host access, privileged containers, token mount). */
function specFacts(spec: Obj | null): Record<string, unknown> {
  if (!spec) return {};
  const containers = [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(field(spec, 'initContainers')) ? (field(spec, 'initContainers') as unknown[]) : [])].filter(isObj);
  const privileged = containers.some((c) => {
    const sc = field(c, 'securityContext');
    return isObj(sc) && sc.privileged === true;
  });
  return {
    serviceAccountName: str(field(spec, 'serviceAccountName')) ?? str(field(spec, 'serviceAccount')) ?? 'default',
    automountToken: boolOrNull(field(spec, 'automountServiceAccountToken')),
    hostNetwork: field(spec, 'hostNetwork') === true,
    hostPID: field(spec, 'hostPID', 'host_pid') === true,
    privileged,
    images: containers.map((c) => str(c.image)).filter(Boolean),
  };
}
