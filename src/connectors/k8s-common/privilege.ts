import type { Privilege } from '../../model/index.js';
import { PRIVILEGE_RANK } from '../../model/index.js';

/** One RBAC rule, camelCase or the Python client's snake_case already folded in. */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection', '*']);
const READ_SECRET_VERBS = new Set(['get', 'list', 'watch', '*']);
/** Resources whose creation runs code under some service account: creating one is running as it. */
const POD_CREATORS = new Set([
  'pods', 'deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers',
]);
/** Changing these changes who may do what. */
const RBAC_OBJECTS = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);
const IMPERSONABLE = new Set(['users', 'groups', 'serviceaccounts', 'userextras', 'uids']);
const ADMISSION = new Set(['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']);

const has = (set: Set<string>, values: string[]) => values.some((v) => set.has(v));
const hasAny = (values: string[], ...wanted: string[]) => values.some((v) => v === '*' || wanted.includes(v));

/**
 * The privilege level of one rule, as the issue defines it: `*` verbs on `*` resources is admin;
 * creating pods (or what makes pods), exec/attach, escalate, bind, impersonate and rewriting RBAC or
 * admission webhooks are privilege escalation; reading secrets or minting service-account tokens is
 * credential access; any other mutating verb is write; the rest is read.
 */
export function rulePrivilege(rule: RbacRule): Privilege {
  const { verbs, resources } = rule;
  if (verbs.includes('*') && resources.includes('*')) return 'admin';
  if (rule.nonResourceURLs.length && !resources.length) return verbs.some((v) => WRITE_VERBS.has(v)) ? 'write' : 'read';
  const allResources = resources.includes('*');
  const res = allResources ? [] : resources;
  const mutating = verbs.some((v) => WRITE_VERBS.has(v));

  if (verbs.some((v) => v === 'escalate' || v === 'bind' || v === 'impersonate')) return 'privesc';
  if (verbs.includes('*') && (allResources || has(IMPERSONABLE, res))) return 'privesc';
  if (hasAny(verbs, 'create') && (allResources || has(POD_CREATORS, res))) return 'privesc';
  // exec/attach: `create` (and `get` on the named subresource, which older API servers accepted for
  // websocket exec); a bare `get *` is left to the read rules below, as kubescape judges it.
  if (hasAny(verbs, 'create') && (allResources || res.includes('pods/exec') || res.includes('pods/attach'))) return 'privesc';
  if (verbs.includes('get') && (res.includes('pods/exec') || res.includes('pods/attach'))) return 'privesc';
  if (mutating && (allResources || has(RBAC_OBJECTS, res) || has(ADMISSION, res))) return 'privesc';
  if (hasAny(verbs, 'update', 'patch') && res.includes('certificatesigningrequests/approval')) return 'privesc';
  if (res.includes('nodes/proxy')) return 'privesc';

  if (verbs.some((v) => READ_SECRET_VERBS.has(v)) && (allResources || res.includes('secrets'))) return 'credential';
  if (hasAny(verbs, 'create') && res.includes('serviceaccounts/token')) return 'credential';

  return mutating ? 'write' : 'read';
}

/** The highest of several levels (a role is as strong as its strongest rule). */
export function maxPrivilege(levels: Privilege[]): Privilege {
  let best: Privilege = 'read';
  for (const l of levels) if (PRIVILEGE_RANK[l] > PRIVILEGE_RANK[best]) best = l;
  return best;
}

/**
 * Action strings for an entitlement: `<resource>:<verb>` for the core group, `<group>/<resource>:<verb>`
 * otherwise, `<url>:<verb>` for non-resource URLs. Kept as the cross product the rule grants.
 */
export function ruleActions(rule: RbacRule): string[] {
  const out: string[] = [];
  const groups = rule.apiGroups.length ? rule.apiGroups : [''];
  for (const g of groups) {
    for (const r of rule.resources) for (const v of rule.verbs) out.push(`${g ? `${g}/` : ''}${r}:${v}`);
  }
  for (const u of rule.nonResourceURLs) for (const v of rule.verbs) out.push(`${u}:${v}`);
  return out;
}
