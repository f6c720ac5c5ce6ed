import type { Connector, SourceItem } from '../contract.js';
import { toItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { mapSecretScanningAlert } from './map.js';

const SECRET_TYPE = /"secret_type"\s*:/;
const NUMBER = /"number"\s*:/;

/** GitHub secret scanning alerts of an organization, enterprise or repository. */
export const connector: Connector = {
  name: 'github-secret-scanning',
  title: 'GitHub secret scanning alerts',
  category: 'alerts',
  produces: 'gh api --paginate /orgs/ORG/secret-scanning/alerts (or /repos/OWNER/REPO/secret-scanning/alerts)',
  detect(sample) {
    return SECRET_TYPE.test(sample.head) && NUMBER.test(sample.head) ? 0.95 : 0;
  },
  async *parse(file) {
    for await (const batch of readJsonRecords(file, ['alerts'])) {
      yield batch.map((r): SourceItem => {
        if (r.error !== undefined) return { index: r.index, line: r.line, reject: r.error };
        return toItem(r.index, r.line, () => {
          if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) throw new Error('expected a secret scanning alert object');
          return mapSecretScanningAlert(r.value as Record<string, unknown>, `${file.path}#${r.index}`);
        });
      });
    }
  },
};
