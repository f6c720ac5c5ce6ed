/**
 * Sorting the JSON values of a GCP IAM export into the things they are. gcloud, the REST API and
 * Cloud Asset Inventory write the same objects in different wrappers; this finds the objects inside.
 */
export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export type Entry =
  | { type: 'serviceAccount'; value: Obj }
  | { type: 'key'; value: Obj; name: string }
  | { type: 'role'; value: Obj }
  | { type: 'policy'; resource: string; policy: Obj }
  | { type: 'pool'; value: Obj }
  | { type: 'provider'; value: Obj }
  | { type: 'apiKey'; value: Obj }
  | { type: 'asset'; name: string; assetType: string; data: Obj }
  | { type: 'unresourcedPolicy' }
  | { type: 'unknown'; what: string };

/** Wrapper keys whose array holds the records (REST list responses, CAI responses). */
export const WRAPPER_KEYS = [
  'accounts', 'keys', 'roles', 'assets', 'results', 'policyResults', 'policy_results', 'workloadIdentityPools',
  'workloadIdentityPoolProviders', 'iamPolicySearchResults',
];

const KEY_NAME = /(?:^|\/)projects\/[^/]+\/serviceAccounts\/[^/]+\/keys\/[^/]+$/;
const RESOURCE_KEY = /^(?:\/\/|projects\/|folders\/|organizations\/)/;

/** Every entry in one JSON value, depth-first, in document order. */
export function route(v: unknown, out: Entry[] = []): Entry[] {
  if (Array.isArray(v)) {
    for (const x of v) route(x, out);
    return out;
  }
  if (!isObj(v)) {
    out.push({ type: 'unknown', what: `a ${v === null ? 'null' : typeof v}` });
    return out;
  }
  for (const k of WRAPPER_KEYS) {
    if (Array.isArray(v[k]) && !isEntity(v)) return route(v[k], out);
  }
  if (expandEffective(v, out)) return out;
  const entry = entityOf(v);
  if (entry) {
    out.push(entry);
    return out;
  }
  // An object keyed by resource names: `{"projects/p": <getIamPolicy output>, ...}`.
  const keys = Object.keys(v);
  if (keys.length && keys.every((k) => RESOURCE_KEY.test(k))) {
    for (const k of keys) {
      const val = v[k];
      if (isObj(val) && Array.isArray(val.bindings)) out.push({ type: 'policy', resource: k, policy: val });
      else route(val, out);
    }
    return out;
  }
  if (Array.isArray(v.bindings)) {
    out.push({ type: 'unresourcedPolicy' });
    return out;
  }
  out.push({ type: 'unknown', what: `an object with keys ${keys.slice(0, 5).join(', ') || '(none)'}` });
  return out;
}

function isEntity(v: Obj): boolean {
  return entityOf(v) !== null;
}

function entityOf(v: Obj): Entry | null {
  const name = str(v.name) ?? '';
  // Cloud Asset Inventory: search-all-iam-policies results and exports.
  if (isObj(v.policy) && str(v.resource)) return { type: 'policy', resource: v.resource as string, policy: v.policy };
  const iamPolicy = v.iamPolicy ?? v.iam_policy;
  if (isObj(iamPolicy) && name) return { type: 'policy', resource: name, policy: iamPolicy };
  const data = isObj(v.resource) && isObj(v.resource.data) ? v.resource.data : null;
  const assetType = str(v.assetType) ?? str(v.asset_type);
  if (data && assetType) return entityOf(data) ?? { type: 'asset', name: name || (str(data.name) ?? ''), assetType, data };
  if (KEY_NAME.test(name) && (v.validAfterTime !== undefined || v.keyType !== undefined || v.keyAlgorithm !== undefined)) {
    return { type: 'key', value: v, name: name.replace(/^\/\/iam\.googleapis\.com\//, '') };
  }
  if (str(v.email) && (v.uniqueId !== undefined || name.includes('/serviceAccounts/'))) return { type: 'serviceAccount', value: v };
  if ((name.startsWith('roles/') || name.includes('/roles/')) && (Array.isArray(v.includedPermissions) || str(v.title) || str(v.stage))) {
    return { type: 'role', value: v };
  }
  if (name.includes('/workloadIdentityPools/')) return name.includes('/providers/') ? { type: 'provider', value: v } : { type: 'pool', value: v };
  if (/\/locations\/[^/]+\/keys\/[^/]+$/.test(name) && (str(v.uid) || str(v.keyString) !== null)) return { type: 'apiKey', value: v };
  return null;
}

/** batchGetEffectiveIamPolicies results: each attached policy of each resource. */
export function expandEffective(v: unknown, out: Entry[]): boolean {
  if (!isObj(v)) return false;
  const fullName = str(v.fullResourceName) ?? str(v.full_resource_name);
  if (!fullName || !Array.isArray(v.policies)) return false;
  for (const p of v.policies) {
    if (!isObj(p)) continue;
    const attached = str(p.attachedResource) ?? str(p.attached_resource) ?? fullName;
    if (isObj(p.policy)) out.push({ type: 'policy', resource: attached, policy: p.policy });
  }
  return true;
}
