import type { RbacRule } from './privilege.js';

/**
 * Readers for Kubernetes objects as `kubectl get -o json|yaml` writes them (camelCase) and as the
 * official Python client's `to_dict()` writes them (snake_case, what Cartography and many scripts save).
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The value under the camelCase key or its snake_case twin. */
export function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  return o[snake ?? toSnake(camel)];
}

const SNAKE = /[A-Z]/g;
function toSnake(camel: string): string {
  return camel.replace(SNAKE, (c) => `_${c.toLowerCase()}`);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export interface Meta {
  name: string | null;
  namespace: string | null;
  uid: string | null;
  creationTimestamp: unknown;
  annotations: Obj;
  labels: Obj;
  clusterName: string | null;
}

export function metaOf(o: Obj): Meta {
  const m = isObj(o.metadata) ? o.metadata : {};
  const annotations = field(m, 'annotations');
  const labels = field(m, 'labels');
  return {
    name: str(m.name),
    namespace: str(m.namespace),
    uid: str(m.uid),
    creationTimestamp: field(m, 'creationTimestamp'),
    annotations: isObj(annotations) ? annotations : {},
    labels: isObj(labels) ? labels : {},
    clusterName: str(field(m, 'clusterName')),
  };
}

/** The kind: `kind`, or what the Python client calls the class (`V1ClusterRoleBinding`). */
export function kindOf(o: Obj): string | null {
  const k = str(o.kind);
  if (k) return k;
  const t = str(o.__type__);
  return t ? t.replace(/^V\d+(?:(?:alpha|beta)\d+)?/, '') : null;
}

export function rulesOf(o: Obj): RbacRule[] {
  const rules = Array.isArray(o.rules) ? o.rules : [];
  return rules.filter(isObj).map((r) => ({
    apiGroups: strings(field(r, 'apiGroups')),
    resources: strings(r.resources),
    verbs: strings(r.verbs).map((v) => v.toLowerCase()),
    resourceNames: strings(field(r, 'resourceNames')),
    nonResourceURLs: strings(field(r, 'nonResourceURLs', 'non_resource_ur_ls')).concat(strings(r.non_resource_urls)),
  }));
}

export interface RoleRef {
  kind: string;
  name: string;
}

export function roleRefOf(o: Obj): RoleRef | null {
  const r = field(o, 'roleRef');
  if (!isObj(r)) return null;
  const kind = str(r.kind);
  const name = str(r.name);
  return kind && name ? { kind, name } : null;
}

export interface Subject {
  kind: string;
  name: string;
  namespace: string | null;
}

export function subjectsOf(o: Obj): Subject[] {
  const s = Array.isArray(o.subjects) ? o.subjects : [];
  const out: Subject[] = [];
  for (const x of s) {
    if (!isObj(x)) continue;
    const kind = str(x.kind);
    const name = str(x.name);
    if (kind && name) out.push({ kind, name, namespace: str(x.namespace) });
  }
  return out;
}

/** The pod spec of a Pod, of a controller's pod template, or of a CronJob's job template. */
export function podSpecOf(o: Obj, kind: string): Obj | null {
  const spec = isObj(o.spec) ? o.spec : null;
  if (!spec) return null;
  if (kind === 'Pod') return spec;
  if (kind === 'CronJob') {
    const jt = field(spec, 'jobTemplate');
    const js = isObj(jt) && isObj(jt.spec) ? jt.spec : null;
    const t = js && isObj(js.template) ? js.template : null;
    return t && isObj(t.spec) ? t.spec : null;
  }
  const t = isObj(spec.template) ? spec.template : null;
  return t && isObj(t.spec) ? t.spec : null;
}

/** Secret names a pod spec reads: env valueFrom.secretKeyRef, envFrom.secretRef, secret volumes. */
export function secretsUsedBy(spec: Obj): string[] {
  const out = new Set<string>();
  const containers = [...arr(spec.containers), ...arr(field(spec, 'initContainers'))];
  for (const c of containers) {
    for (const e of arr(c.env)) {
      const vf = field(e, 'valueFrom');
      const ref = isObj(vf) ? field(vf, 'secretKeyRef') : null;
      if (isObj(ref) && str(ref.name)) out.add(ref.name as string);
    }
    for (const e of arr(field(c, 'envFrom'))) {
      const ref = field(e, 'secretRef');
      if (isObj(ref) && str(ref.name)) out.add(ref.name as string);
    }
  }
  for (const v of arr(spec.volumes)) {
    const s = v.secret;
    if (isObj(s)) {
      const name = str(field(s, 'secretName'));
      if (name) out.add(name);
    }
  }
  return [...out];
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}
