import type { CanonicalRecord } from '../../model/index.js';
import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { indexEntry, mapApiKey, mapAsset, mapKey, mapPolicy, mapPool, mapProvider, mapRole, mapServiceAccount, newIndex } from './map.js';
import { WRAPPER_KEYS, route, type Entry } from './route.js';

const DETECT = [
  /\.iam\.gserviceaccount\.com/, /"validAfterTime"\s*:/, /"includedPermissions"\s*:/, /"workloadIdentityPool/,
  /"bindings"\s*:\s*\[[\s\S]{0,400}"roles\//, /"policy_results"|"policyResults"/,
];
const NOT_MINE = /"protoPayload"|"protopayload"|"apiVersion"\s*:|"logName"\s*:/;

/**
 * Google Cloud IAM: service accounts and their keys, IAM policies (getIamPolicy output keyed by the
 * resource it belongs to, or Cloud Asset Inventory searches and exports, which name the resource),
 * roles, workload identity pools and providers, API keys.
 */
export const connector: Connector = {
  name: 'gcp-iam',
  title: 'Google Cloud IAM (service accounts, keys, IAM policies, workload identity)',
  category: 'inventory',
  produces: 'gcloud iam service-accounts list / keys list --format=json; gcloud asset search-all-iam-policies --format=json; gcloud asset export --content-type=iam-policy; getIamPolicy outputs keyed by resource',
  detect(sample) {
    if (NOT_MINE.test(sample.head)) return 0;
    return DETECT.some((re) => re.test(sample.head)) ? 0.8 : 0;
  },
  async *parse(file, options) {
    // Bindings refer to service accounts by unique id and grant project-wide roles: the whole file is
    // indexed first (inventories are documents, not streams), then mapped.
    const located: { entries: Entry[]; line: number; error?: string }[] = [];
    for await (const batch of readJsonRecords(file, WRAPPER_KEYS)) {
      for (const r of batch) located.push(r.error !== undefined ? { entries: [], line: r.line, error: r.error } : { entries: route(r.value), line: r.line });
    }
    const ix = newIndex(options.now);
    for (const l of located) for (const e of l.entries) indexEntry(e, ix);

    let index = 0;
    const items: SourceItem[] = [];
    for (const l of located) {
      if (l.error !== undefined) {
        items.push({ index: index++, line: l.line, reject: l.error });
        continue;
      }
      for (const e of l.entries) {
        if (e.type === 'policy') {
          let groups: CanonicalRecord[][];
          try {
            groups = mapPolicy(e.resource, e.policy, ix);
          } catch (err) {
            items.push({ index: index++, line: l.line, reject: (err as Error).message });
            continue;
          }
          for (const records of groups) items.push({ index: index++, line: l.line, records });
          continue;
        }
        items.push(toItem(index++, l.line, () => mapEntry(e, ix)));
      }
    }
    for (let i = 0; i < items.length; i += 2000) yield items.slice(i, i + 2000);
  },
};

function mapEntry(e: Exclude<Entry, { type: 'policy' }>, ix: ReturnType<typeof newIndex>): CanonicalRecord[] {
  switch (e.type) {
    case 'serviceAccount': return mapServiceAccount(e.value);
    case 'key': return mapKey(e.value, e.name, ix);
    case 'role': return mapRole(e.value, ix);
    case 'pool': return mapPool(e.value);
    case 'provider': return mapProvider(e.value);
    case 'apiKey': return mapApiKey(e.value);
    case 'asset': return mapAsset(e.name, e.assetType, e.data);
    case 'unresourcedPolicy':
      throw new Error('missing resource: a bare getIamPolicy output does not say which resource it is on; key it by the resource (`{"projects/ID": <policy>}`) or use `gcloud asset search-all-iam-policies`');
    case 'unknown':
      throw new Error(`not a GCP IAM record (${e.what}; expected a service account, key, role, IAM policy or Cloud Asset Inventory result)`);
  }
}
